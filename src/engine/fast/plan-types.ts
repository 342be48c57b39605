// The fast engine's plan and what the planner and its routines pass each other: steps, heap bands, fusions, conv jobs, the routine interface.
import type { RowRange } from '../band.js';
import type { Shape } from '../tensor.js';
import type { MapSize } from '../tiles.js';
import type { AvgPool2dLayer, BatchNorm2dLayer, Conv2dLayer, MaxPool2dLayer } from '../../network/types.js';
import type { ArenaAllocator, SharedHeap } from './memory.js';
import type { PackCache } from './pack-cache.js';
import type { Phase } from './protocol.js';

/**
 * Which conv routines the planner may pick: 'auto' by layer shape; the others force a kind wherever
 * it applies (tests, benchmarks, and --no-winograd): 'direct' never uses Winograd, 'winograd' uses it
 * wherever a routine can (2-D where it applies, else row-wise), 'winograd-x' only row-wise.
 */
export type Algorithm = 'auto' | 'direct' | 'winograd' | 'winograd-x';

/** A band of one layer's output held in the shared memory. */
export interface HeapBand {
  readonly ptr: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly y0: number;
  readonly fullHeight: number;
  /** Only on a plan's input band: where its first reader asked the engine to copy the rows (see planPad). */
  readonly slot?: InputSlot;
  /**
   * When the step that computes the band writes it straight into its one reader's padded buffer: that buffer. Row L of
   * channel c is then at ptr + (c * buffer.rows + L) * buffer.pitch floats (bandPitch, bandPlane in plan-parts.ts).
   */
  readonly padded?: PaddedBuffer;
}

/**
 * The padded copy of its input a conv's plan makes (planPad): rows [iy0, iy0 + rows) of the padded map (full-map input
 * coordinates, may start above the map), `pitch` floats each, the input's column x at x + padding.left.
 */
export interface PadGeometry {
  readonly iy0: number;
  readonly rows: number;
  readonly pitch: number;
}

/** A padded buffer allocated by the step before its reader (`HeapBand.padded`): `bytes` at `ptr`, released by the reader's plan. */
export interface PaddedBuffer extends PadGeometry {
  readonly ptr: number;
  readonly bytes: number;
}

/**
 * Where the plan's input may go instead of a band of its own: `placement` once its first reader asks for it (see
 * planPad), for rows at least `minWidth` floats wide (the engine copies a float input's rows one call each, so narrow
 * rows are copied densely; a PixelTensor's rows are written by the pixels step, at any width).
 */
export interface InputSlot {
  placement: InputPlacement | null;
  readonly minWidth: number;
}

/**
 * Where the engine copies the input's rows: band row L of channel c goes to ptr + (c * plane + L * pitch)
 * floats, for L in [first, end) (rows outside are never read). Set when the first layer pads its input:
 * the rows then land inside the padded buffer and the padding phase only fills the borders.
 */
export interface InputPlacement {
  readonly ptr: number;
  readonly pitch: number;
  readonly plane: number;
  readonly first: number;
  readonly end: number;
}

/** Heap addresses of a PixelTensor's parts (the pixels descriptor's SRC, SOURCES and TABLES). */
export interface PixelsPlacement {
  readonly samples: number;
  readonly sources: number;
  readonly tables: number;
}

export type Pool2dLayer = MaxPool2dLayer | AvgPool2dLayer;

/** An activation folded into a conv's output loop: its ACT code (layout.ts) and leaky_relu's slope. */
export interface Activation {
  readonly code: number;
  readonly slope: number;
}

/**
 * Layers folded into a conv: batchnorm, then an activation, then a non-overlapping pool; or batchnorm,
 * an add of another map (`residual`, the other input's node) and the activation after the add.
 * `last` is the last folded layer.
 */
export interface Fusion {
  readonly last: number;
  readonly bn: BatchNorm2dLayer | null;
  readonly act: Activation;
  readonly pool: Pool2dLayer | null;
  readonly residual: number | null;
}

/**
 * Where a conv step writes: output channel c of the conv (after its fused layers) goes to channel
 * `channel + c` of `band`. The planner allocates the band, so a step can write into part of a larger
 * one (a concatenation's channels).
 */
export interface ConvOutput {
  readonly band: HeapBand;
  readonly channel: number;
}

/** What a routine plans from: the conv, its packed weights and fusion, the band it reads and where it writes. */
export interface ConvJob<P> {
  readonly arena: ArenaAllocator;
  readonly threads: number;
  /** The conv's index in the network (for messages). */
  readonly index: number;
  readonly layer: Conv2dLayer;
  readonly packed: P;
  readonly fusion: Fusion;
  /** The band the conv reads. */
  readonly input: HeapBand;
  /** The conv's full output shape (before a fused pool). */
  readonly conv: Shape;
  /** The step's output: the conv's rows, or with a fused pool the pooled rows. */
  readonly out: ConvOutput;
  /** With a fused add: the other input's band, over the same rows as `out` (added before the activation). */
  readonly residual: HeapBand | null;
}

/**
 * A SIMD routine of the fast engine: one module under routines/, one entry in routines/index.ts's
 * ordered list. Its id names it everywhere: the module (routines/<id>.ts), the wasm export
 * (<id>_f32), the step label (`conv2d[<id>]`) and its test (test/engine/routine-<id>.test.ts).
 * Methods, not function properties: a Routine<PackedConv> is then a Routine<unknown> in the list.
 */
export interface Routine<P = unknown> {
  readonly id: string;
  /**
   * Whether it runs `layer` under `algorithm` on a full output map of size `out`. Depends on these only
   * (bands share the full map's size), so band and whole-map runs agree.
   */
  applies(layer: Conv2dLayer, algorithm: Algorithm, out: MapSize): boolean;
  /** Whether a following pool (already known to have no padding, kernel = stride and whole windows) folds into its output loop. */
  fusesPool(pool: Pool2dLayer): boolean;
  /**
   * For routines whose plan copies the whole input into a padded buffer (planPad): that buffer's geometry when the conv
   * computes output rows `out` (after `pool`, when one folds in) and reads an input `inWidth` wide, or null when it reads
   * the band in place. The step before may then write its rows straight into the buffer, and the padding phase only
   * fills the borders.
   */
  paddedInput?(layer: Conv2dLayer, pool: Pool2dLayer | null, conv: Shape, out: RowRange, inWidth: number): PadGeometry | null;
  /** True when its plan writes each output row through outputChannel's pitch and plane, so it can write into a reader's padded buffer. */
  readonly pitchedOutput?: boolean;
  /** True when its plan adds ConvJob.residual in its output loop (an add after the conv folds in). */
  readonly fusesResidual?: boolean;
  /**
   * True for the Winograd routines: an output mixes every input of its tile, so a NaN or infinity there
   * turns the whole tile NaN (a direct conv, and PyTorch, keep it to the windows that hold it).
   */
  readonly winograd?: boolean;
  /**
   * Arena bytes of the work buffers its plan holds beside the conv's input and output that can outgrow a few L2-sized
   * chunks a thread, when it computes output rows `out` of a map of size `conv` on `threads` threads (the band memory
   * model adds them: src/stream/run-bytes.ts). None when absent.
   */
  workBytes?(layer: Conv2dLayer, conv: MapSize, out: RowRange, threads: number): number;
  /** Heap bytes `pack` takes for the layer on a full output map of size `out` (for memory budgets, before packing). */
  packedBytes(layer: Conv2dLayer, out: MapSize): number;
  /** Packs the layer's weights, a following batchnorm folded in, into the heap (once per network, layer and routine). */
  pack(heap: SharedHeap, layer: Conv2dLayer, bn: BatchNorm2dLayer | null): P;
  /** The phases that compute the job's output (descriptors written into the arena). */
  plan(job: ConvJob<P>): Phase[];
}

export type Step =
  | { readonly kind: 'wasm'; readonly label: string; readonly first: number; readonly last: number; readonly phases: readonly Phase[] }
  | { readonly kind: 'js'; readonly label: string; readonly first: number; readonly last: number; readonly run: () => void };

export interface Plan {
  /** Heap mark below this plan's arena; releasing to it frees the arena. */
  readonly arenaMark: number;
  /** Bytes of the arena its buffers occupy (placed by lifetime; the unwritten gaps around per-thread scratch left out, see ArenaAllocator). */
  readonly arenaBytes: number;
  readonly input: HeapBand;
  /** Where the engine copies the input rows instead of `input` (the first layer's padded buffer), or null. */
  readonly inputPlacement: InputPlacement | null;
  /** For a PixelTensor input: where the engine copies its parts, which the plan's first step converts into the input's place; else null. */
  readonly pixels: PixelsPlacement | null;
  readonly steps: readonly Step[];
  /** Bands of the requested output layers, in the order of `outputs`. */
  readonly outputs: readonly HeapBand[];
  /** The nodes whose step writes them straight into their reader's padded buffer (HeapBand.padded). */
  readonly paddedNodes: readonly number[];
}

export interface PlanContext {
  readonly heap: SharedHeap;
  readonly threads: number;
  readonly packs: PackCache;
  readonly algorithm: Algorithm;
}
