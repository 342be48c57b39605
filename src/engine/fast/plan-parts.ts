// Pieces every conv planner of the fast engine shares: heap bands, fixed partitions, f32 bit patterns, and the padding phase.
import type { RowRange } from '../band.js';
import { borderIndex } from '../geometry.js';
import type { Shape } from '../tensor.js';
import type { AvgPool2dLayer, BatchNorm2dLayer, Conv2dLayer, MaxPool2dLayer } from '../../network/types.js';
import type { ArenaAllocator } from './memory.js';
import type { PackedGroup } from './pack.js';
import type { Call, Phase } from './protocol.js';

/** A band of one layer's output held in the shared memory. */
export interface HeapBand {
  readonly ptr: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly y0: number;
  readonly fullHeight: number;
  /** Only on a plan's input band: where its first reader asked the engine to copy the rows (see planPad). */
  readonly slot?: { placement: InputPlacement | null };
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

/** Layers folded into a conv: batchnorm, then relu / leaky_relu (act 1 / 2), then a non-overlapping pool; `last` is the last folded layer. */
export interface Fusion {
  readonly last: number;
  readonly bn: BatchNorm2dLayer | null;
  readonly act: number;
  readonly slope: number;
  readonly pool: MaxPool2dLayer | AvgPool2dLayer | null;
}

/** A conv step's label, e.g. `3-5 conv2d[winograd-2d]+relu+maxpool2d` (what `npm run bench` and --verbose show). */
export function convLabel(i: number, f: Fusion, algorithm: string | null): string {
  const act = f.act === 1 ? '+relu' : f.act === 2 ? '+leaky_relu' : '';
  return `${i}${f.last > i ? `-${f.last}` : ''} conv2d${algorithm ? `[${algorithm}]` : ''}${f.bn ? '+batchnorm2d' : ''}${act}${f.pool ? `+${f.pool.type}` : ''}`;
}

export function allocBand(arena: ArenaAllocator, s: Shape, r: RowRange): HeapBand {
  const height = r.end - r.start;
  return { ptr: arena.alloc(s.channels * height * s.width * 4), channels: s.channels, height, width: s.width, y0: r.start, fullHeight: s.height };
}

/** Phase items per thread: enough that a thread slowed by other work on the machine hands some to the others. */
const ITEMS_PER_THREAD = 4;

/** The ranges share() cuts [0, n) into: one with one thread, else up to `perThread` per thread. */
export function shareRanges(n: number, threads: number, perThread = ITEMS_PER_THREAD): [number, number][] {
  return split(n, threads === 1 ? 1 : itemCount(n, Math.min(n, perThread * threads), threads)).filter(([a, b]) => b > a);
}

/**
 * Items for n units when `want` are asked for: when items would be only a few units each, the nearest
 * count up to 2x that cuts n into equal items, a multiple of the threads. VGG's 56x56 and 112x112 layers
 * make 14 GEMM batches; 8 items of 1 or 2 batches left one thread up to 2 batches behind the other
 * (W2 at 2 threads 3-4% slower, paired, than with 14 items of 1).
 */
function itemCount(n: number, want: number, threads: number): number {
  if (n >= 8 * want) return want;
  for (let k = want; k <= Math.min(n, 2 * want); k++) if (n % k === 0 && k % threads === 0) return k;
  return want;
}

/**
 * A phase over [0, n): contiguous ranges (shareRanges), each made into an item by make(a, b) (calls
 * pass TID for the worker's index). Splits whose items repeat shared work (channel-block splits
 * transform the whole input in every item) ask for one item per thread.
 */
export function share(n: number, threads: number, make: (a: number, b: number) => Call[], perThread = ITEMS_PER_THREAD): Phase {
  return shareRanges(n, threads, perThread).map(([a, b]) => make(a, b));
}

/** Splits [0, n) into `parts` contiguous ranges; ranges depend only on n and parts, never on data. */
function split(n: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  for (let t = 0; t < parts; t++) out.push([Math.floor((t * n) / parts), Math.floor(((t + 1) * n) / parts)]);
  return out;
}

/** Where a per-group conv routine's descriptor keeps the fields putGroupFields writes (each routine's own table). */
export interface GroupFields {
  readonly IN: number;
  readonly IN_PLANE: number;
  readonly IN_PITCH: number;
  readonly C: number;
  readonly OC: number;
  readonly W: number;
  readonly BIAS: number;
  readonly OUT: number;
  readonly OUT_PLANE: number;
  readonly OUT_PITCH: number;
  readonly ACT: number;
  readonly SLOPE: number;
}

/**
 * The fields every per-group conv routine reads, for group g: its channels of the padded input and of
 * the output band (icg in, ocg out), its packed weights and bias, and the fused activation.
 */
export function putGroupFields(d: Int32Array, F: GroupFields, g: number, padded: PaddedInput, icg: number, ocg: number, packed: PackedGroup, out: HeapBand, f: Fusion): void {
  d[F.IN] = padded.ptr + g * icg * padded.rows * padded.pitch * 4;
  d[F.IN_PLANE] = padded.rows * padded.pitch;
  d[F.IN_PITCH] = padded.pitch;
  d[F.C] = icg;
  d[F.OC] = ocg;
  d[F.W] = packed.w;
  d[F.BIAS] = packed.bias;
  d[F.OUT] = out.ptr + g * ocg * out.height * out.width * 4;
  d[F.OUT_PLANE] = out.height * out.width;
  d[F.OUT_PITCH] = out.width;
  d[F.ACT] = f.act;
  d[F.SLOPE] = f32bits(f.slope);
}

/** A fused pool's fields in the row-wise and small Winograd descriptors: code, window, pooled width, divisor. */
export function putPoolFields(d: Int32Array, F: { readonly POOL: number; readonly PKH: number; readonly PKW: number; readonly POOL_OW: number; readonly POOL_DIV: number }, pool: MaxPool2dLayer | AvgPool2dLayer, pooledWidth: number): void {
  d[F.POOL] = poolCode(pool);
  d[F.PKH] = pool.kernelSize[0];
  d[F.PKW] = pool.kernelSize[1];
  d[F.POOL_OW] = pooledWidth;
  d[F.POOL_DIV] = poolDivisorBits(pool);
}

/** A fused pool's descriptor code (1 max, 2 avg) and its divisor as f32 bits (1 for max). */
export function poolCode(pool: MaxPool2dLayer | AvgPool2dLayer): number {
  return pool.type === 'maxpool2d' ? 1 : 2;
}
export function poolDivisorBits(pool: MaxPool2dLayer | AvgPool2dLayer): number {
  return f32bits(pool.type === 'avgpool2d' ? (pool.divisorOverride ?? pool.kernelSize[0] * pool.kernelSize[1]) : 1);
}

const F32 = new Float32Array(1);
const I32 = new Int32Array(F32.buffer);
export function f32bits(x: number): number {
  F32[0] = x;
  return I32[0];
}

// pad_f32's descriptor fields: keep in step with src/wasm/assembly/pad.ts.
const P = { SRC: 0, SRC_PLANE: 1, W: 2, DST: 3, DST_PLANE: 4, PW: 5, ROWS: 6, ROWTAB: 7, COLTAB: 8, LEFT: 9, SRC_PITCH: 10, WORDS: 11 } as const;

/** A padded copy of a conv's input: [channels][rows][pitch] at ptr, filled by `phase` (items of padded rows over all channels, shareRanges(channels * rows)). */
export interface PaddedInput {
  readonly ptr: number;
  readonly bytes: number;
  readonly rows: number;
  readonly pitch: number;
  readonly phase: Phase;
}

/**
 * Narrowest input (floats per row) the engine copies row by row into the first layer's padded buffer.
 * Each row is a JS call; below this the calls cost more than the padding phase's own copy, which the
 * threads share: W1's 3 MB input (1536 rows of 512) took 1.6 ms row by row and 0.6 ms densely, with
 * the padding phase 0.3 ms longer on 2 threads; W3's 2048-wide rows are neutral either way.
 */
export const PLACEMENT_MIN_WIDTH = 1024;

/**
 * Plans the copy of padded rows [iy0, iy0 + rows) (full-map input coordinates, may start above the
 * map) of `prev` into a new buffer `pitch` floats wide: borders follow the layer's padding mode;
 * rows and columns past the padded map (whole tiles reaching beyond it) are zeros.
 */
export function planPad(arena: ArenaAllocator, threads: number, layer: Conv2dLayer, prev: HeapBand, iy0: number, rows: number, pitch: number, i: number): PaddedInput {
  const pad = layer.padding;
  const W = prev.width;
  const rowtab = new Int32Array(rows);
  for (let j = 0; j < rows; j++) {
    const iy = iy0 + j;
    const y = iy < -pad.top || iy >= prev.fullHeight + pad.bottom ? -1 : borderIndex(iy, prev.fullHeight, layer.paddingMode);
    if (y < 0) rowtab[j] = -1;
    else {
      const local = y - prev.y0;
      if (local < 0 || local >= prev.height) throw new RangeError(`layers[${i}] (conv2d): row ${y} is outside the band ${prev.y0}..${prev.y0 + prev.height}`);
      rowtab[j] = local;
    }
  }
  const coltab = new Int32Array(pitch);
  for (let x = 0; x < pitch; x++) coltab[x] = x < W + pad.left + pad.right ? borderIndex(x - pad.left, W, layer.paddingMode) : -1;
  const bytes = prev.channels * rows * pitch * 4;
  const ptr = arena.alloc(bytes);
  // The plan's input band goes straight into this buffer when every row the tables read lands inside
  // it, and its rows are long enough to copy one by one (see PLACEMENT_MIN_WIDTH).
  const shift = prev.y0 - iy0; // padded row of band row 0
  const inside = (l: number) => l + shift >= 0 && l + shift < rows && rowtab[l + shift] === l;
  const place = prev.slot !== undefined && prev.slot.placement === null && W >= PLACEMENT_MIN_WIDTH && rowtab.every((l) => l < 0 || inside(l));
  const pd = new Int32Array(P.WORDS);
  if (place) {
    prev.slot.placement = { ptr: ptr + (shift * pitch + pad.left) * 4, pitch, plane: rows * pitch, first: Math.max(0, -shift), end: Math.min(prev.height, rows - shift) };
    pd[P.SRC] = prev.slot.placement.ptr;
    pd[P.SRC_PLANE] = rows * pitch;
    pd[P.SRC_PITCH] = pitch;
  } else {
    pd[P.SRC] = prev.ptr;
    pd[P.SRC_PLANE] = prev.height * W;
    pd[P.SRC_PITCH] = W;
  }
  pd[P.W] = W;
  pd[P.DST] = ptr;
  pd[P.DST_PLANE] = rows * pitch;
  pd[P.PW] = pitch;
  pd[P.ROWS] = rows;
  pd[P.ROWTAB] = arena.putI32(rowtab);
  pd[P.COLTAB] = arena.putI32(coltab);
  pd[P.LEFT] = pad.left;
  const pdPtr = arena.putI32(pd);
  // Items are padded rows over all channels (a one-channel map still splits across threads).
  const phase = share(prev.channels * rows, threads, (i0, i1) => [['pad_f32', pdPtr, i0, i1]]);
  return { ptr, bytes, rows, pitch, phase };
}
