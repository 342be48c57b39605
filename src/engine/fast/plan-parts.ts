// Pieces the conv routines' planners share: heap bands, fixed partitions, the padding phase, and the descriptor fields most routines have.
import type { RowRange } from '../band.js';
import { borderIndex } from '../geometry.js';
import type { Shape } from '../tensor.js';
import type { Conv2dLayer } from '../../network/types.js';
import { descriptor, type Descriptor, type Layout } from './descriptor.js';
import { PAD, POOL } from './layout.js';
import type { ArenaAllocator } from './memory.js';
import type { PackedGroup } from './pack.js';
import type { Activation, ConvOutput, HeapBand, PadGeometry, Pool2dLayer } from './plan-types.js';
import type { Call, Phase } from './protocol.js';

export function allocBand(arena: ArenaAllocator, s: Shape, r: RowRange): HeapBand {
  const height = r.end - r.start;
  return { ptr: arena.alloc(s.channels * height * s.width * 4), channels: s.channels, height, width: s.width, y0: r.start, fullHeight: s.height };
}

/** Items are never smaller than 1 / (MIN_ITEM_SHARE x threads) of a phase's units (rounded up). */
const MIN_ITEM_SHARE = 16;

/**
 * How a phase's units become items: 'guided' (the default) or 'one-per-thread', equal ranges, for
 * splits whose items repeat shared work (channel-block splits transform the whole input in every item).
 */
export type ItemSplit = 'guided' | 'one-per-thread';

/**
 * The ranges share() cuts [0, n) into: one with one thread; 'one-per-thread': min(n, threads) equal
 * ones; 'guided': ranges of falling sizes, each 1 / (2 x threads) of the units not yet given out, none
 * below 1 / (MIN_ITEM_SHARE x threads) of n (guided self-scheduling; about 6 items per thread, fewer
 * when units are few). Workers take items in order from a shared counter, so the big ones go first
 * and the last are small: the threads reach the barrier within a small item of each other, however
 * unit sizes and thread speeds differ, where equal items could leave one thread a whole item behind.
 * Ranges depend only on n, threads and the split, never on data or timing.
 */
export function shareRanges(n: number, threads: number, split: ItemSplit = 'guided'): [number, number][] {
  if (n <= 0) return [];
  if (threads === 1) return [[0, n]];
  if (split === 'one-per-thread') return equalRanges(n, Math.min(n, threads));
  const least = Math.ceil(n / (MIN_ITEM_SHARE * threads));
  const out: [number, number][] = [];
  for (let a = 0; a < n; ) {
    const b = Math.min(n, a + Math.max(least, Math.ceil((n - a) / (2 * threads))));
    out.push([a, b]);
    a = b;
  }
  return out;
}

/** A phase over [0, n): the ranges of shareRanges, each made into an item by make(a, b) (calls pass TID for the worker's index). */
export function share(n: number, threads: number, make: (a: number, b: number) => Call[], split: ItemSplit = 'guided'): Phase {
  return shareRanges(n, threads, split).map(([a, b]) => make(a, b));
}

/** [0, n) as `parts` contiguous ranges of equal size (within one unit). */
function equalRanges(n: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  for (let t = 0; t < parts; t++) out.push([Math.floor((t * n) / parts), Math.floor(((t + 1) * n) / parts)]);
  return out;
}

/** A layout with the fields every per-group conv routine reads (winograd2d, winograd2d_small, winograd1d_small). */
type GroupLayout = Layout & { readonly fields: Record<'IN' | 'IN_PLANE' | 'IN_PITCH' | 'C' | 'OC' | 'W' | 'BIAS' | 'OUT' | 'OUT_PLANE' | 'OUT_PITCH' | 'ACT' | 'SLOPE', unknown> };

/** Floats between a band's rows: its width, or its reader's padded pitch when it lies in that buffer. */
export function bandPitch(b: HeapBand): number {
  return b.padded ? b.padded.pitch : b.width;
}

/** Floats between a band's channel planes. */
export function bandPlane(b: HeapBand): number {
  return b.padded ? b.padded.rows * b.padded.pitch : b.height * b.width;
}

/** Where output channel c of a step goes: its byte address at local row 0, and the floats between channel planes and rows. */
export function outputChannel(out: ConvOutput, c: number): { ptr: number; plane: number; pitch: number } {
  const plane = bandPlane(out.band);
  return { ptr: out.band.ptr + (out.channel + c) * plane * 4, plane, pitch: bandPitch(out.band) };
}

/**
 * A band of `s`'s rows `r` written straight into the padded buffer of geometry `g` its reader will pad it into: the
 * buffer is allocated here, and the reader's planPad takes it instead of a buffer of its own.
 */
export function allocPaddedBand(arena: ArenaAllocator, s: Shape, r: RowRange, g: PadGeometry, left: number): HeapBand {
  const bytes = s.channels * g.rows * g.pitch * 4;
  const ptr = arena.alloc(bytes);
  const at = ptr + ((r.start - g.iy0) * g.pitch + left) * 4;
  return { ptr: at, channels: s.channels, height: r.end - r.start, width: s.width, y0: r.start, fullHeight: s.height, padded: { ...g, ptr, bytes } };
}

/** Whether rows `r` of a map `width` wide fit inside padded buffer `g` of a layer padding `left` columns (see allocPaddedBand). */
export function fitsPadded(g: PadGeometry, r: RowRange, width: number, left: number): boolean {
  return r.start >= g.iy0 && r.end <= g.iy0 + g.rows && left + width <= g.pitch;
}

/**
 * Sets the fields every per-group conv routine reads, for group g: its channels of the padded input and
 * of the output (icg in, ocg out), its packed weights and bias, and the fused activation.
 */
export function setGroupFields<L extends GroupLayout>(d: Descriptor<L>, g: number, padded: PaddedInput, icg: number, ocg: number, packed: PackedGroup, out: ConvOutput, act: Activation): Descriptor<L> {
  const o = outputChannel(out, g * ocg);
  (d as Descriptor<GroupLayout>).set({
    IN: padded.ptr + g * icg * padded.rows * padded.pitch * 4,
    IN_PLANE: padded.rows * padded.pitch,
    IN_PITCH: padded.pitch,
    C: icg,
    OC: ocg,
    W: packed.w,
    BIAS: packed.bias,
    OUT: o.ptr,
    OUT_PLANE: o.plane,
    OUT_PITCH: o.pitch,
    ACT: act.code,
    SLOPE: act.slope,
  });
  return d;
}

/** A layout with the fused pool fields of the row-wise and small Winograd descriptors. */
type PoolLayout = Layout & { readonly fields: Record<'POOL' | 'PKH' | 'PKW' | 'POOL_OW' | 'POOL_DIV', unknown> };

/** Sets a fused pool's fields: code, window, pooled width, divisor. */
export function setPoolFields<L extends PoolLayout>(d: Descriptor<L>, pool: Pool2dLayer, pooledWidth: number): Descriptor<L> {
  (d as Descriptor<PoolLayout>).set({ POOL: poolCode(pool), PKH: pool.kernelSize[0], PKW: pool.kernelSize[1], POOL_OW: pooledWidth, POOL_DIV: poolDivisor(pool) });
  return d;
}

/** A fused pool's descriptor code (POOL.MAX or POOL.AVG). */
export function poolCode(pool: Pool2dLayer): number {
  return pool.type === 'maxpool2d' ? POOL.MAX : POOL.AVG;
}

/** A fused pool's divisor (1 for max). */
export function poolDivisor(pool: Pool2dLayer): number {
  return pool.type === 'avgpool2d' ? (pool.divisorOverride ?? pool.kernelSize[0] * pool.kernelSize[1]) : 1;
}

/** A padded copy of a conv's input: [channels][rows][pitch] at ptr, filled by `phase` (items of padded rows over all channels, shareRanges(channels * rows)). */
export interface PaddedInput {
  readonly ptr: number;
  readonly bytes: number;
  readonly rows: number;
  readonly pitch: number;
  readonly phase: Phase;
}

/**
 * Narrowest float input (floats per row) the engine copies row by row into the first layer's padded buffer.
 * Each row is a JS call; below this width the calls cost more than the padding phase's own copy,
 * which the threads share. A PixelTensor's rows go there at any width: the pixels step writes them.
 */
export const PLACEMENT_MIN_WIDTH = 1024;

/**
 * Plans the copy of padded rows [iy0, iy0 + rows) (full-map input coordinates, may start above the
 * map) of `prev` into a new buffer `pitch` floats wide: borders follow the layer's padding mode;
 * rows and columns past the padded map (whole tiles reaching beyond it) are zeros.
 */
export function planPad(arena: ArenaAllocator, threads: number, layer: Conv2dLayer, prev: HeapBand, iy0: number, rows: number, pitch: number, i: number, columnPhases = 1, fill = 0): PaddedInput {
  const given = prev.padded;
  // The band's step wrote it into this buffer (HeapBand.padded): its rows are in place, the phase fills the borders.
  if (given && (given.iy0 !== iy0 || given.rows !== rows || given.pitch !== pitch || columnPhases !== 1 || fill !== 0)) {
    throw new Error(`layers[${i}] (conv2d): the padded buffer planned for its input (rows ${given.iy0}+${given.rows}, pitch ${given.pitch}) is not the one it pads into (rows ${iy0}+${rows}, pitch ${pitch})`);
  }
  const bytes = given ? given.bytes : prev.channels * rows * pitch * 4;
  const ptr = given ? given.ptr : arena.alloc(bytes);
  const pdPtr = padDescriptor(arena, layer, prev, iy0, rows, pitch, i, columnPhases, fill, ptr);
  // Items are padded rows over all channels (a one-channel map still splits across threads).
  const phase = share(prev.channels * rows, threads, (i0, i1) => [['pad_f32', pdPtr, i0, i1]]);
  return { ptr, bytes, rows, pitch, phase };
}

/**
 * For `n` rows of the full map, `iyOf(j)` (may lie in the padding, or past it for whole tiles), the
 * row of band `prev` each reads under the layer's padding mode, or -1 for zeros. A row the band does
 * not hold is a planning error of layer i.
 */
export function bandRowTable(layer: Conv2dLayer, prev: HeapBand, n: number, iyOf: (j: number) => number, i: number): Int32Array {
  const pad = layer.padding;
  const rowtab = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const iy = iyOf(j);
    const y = iy < -pad.top || iy >= prev.fullHeight + pad.bottom ? -1 : borderIndex(iy, prev.fullHeight, layer.paddingMode);
    if (y < 0) rowtab[j] = -1;
    else {
      const local = y - prev.y0;
      if (local < 0 || local >= prev.height) throw new RangeError(`layers[${i}] (conv2d): row ${y} is outside the band ${prev.y0}..${prev.y0 + prev.height}`);
      rowtab[j] = local;
    }
  }
  return rowtab;
}

/**
 * The pad descriptor of planPad's rows, writing into `dst`; with dst 0, no buffer: a routine pads the
 * rows it reads into scratch of its own (padRows in src/wasm/assembly/pad.ts).
 */
export function padDescriptor(arena: ArenaAllocator, layer: Conv2dLayer, prev: HeapBand, iy0: number, rows: number, pitch: number, i: number, columnPhases = 1, fill = 0, dst = 0): number {
  const pad = layer.padding;
  const W = prev.width;
  const rowtab = bandRowTable(layer, prev, rows, (j) => iy0 + j, i);
  // With column phases s, a row holds padded columns q, q + s, q + 2s ... for q = 0..s-1, one run after
  // another: a conv of x-stride s then reads each tap's columns at unit stride.
  const phaseLen = pitch / columnPhases;
  const coltab = new Int32Array(pitch);
  for (let p = 0; p < pitch; p++) {
    const x = (p % phaseLen) * columnPhases + Math.floor(p / phaseLen);
    coltab[p] = x < W + pad.left + pad.right ? borderIndex(x - pad.left, W, layer.paddingMode) : -1;
  }
  // The plan's input band goes straight into this buffer when every row the tables read lands inside
  // it, and its rows are long enough to copy one by one (InputSlot.minWidth).
  const shift = prev.y0 - iy0; // padded row of band row 0
  const inside = (l: number) => l + shift >= 0 && l + shift < rows && rowtab[l + shift] === l;
  const place = dst !== 0 && columnPhases === 1 && fill === 0 && prev.slot !== undefined && prev.slot.placement === null && W >= prev.slot.minWidth && rowtab.every((l) => l < 0 || inside(l));
  if (place) prev.slot.placement = { ptr: dst + (shift * pitch + pad.left) * 4, pitch, plane: rows * pitch, first: Math.max(0, -shift), end: Math.min(prev.height, rows - shift) };
  const pd = descriptor(PAD);
  if (place) pd.set({ SRC: prev.slot!.placement!.ptr, SRC_PLANE: rows * pitch, SRC_PITCH: pitch });
  else pd.set({ SRC: prev.ptr, SRC_PLANE: bandPlane(prev), SRC_PITCH: bandPitch(prev) });
  pd.set({ W, DST: dst, DST_PLANE: rows * pitch, PW: pitch, ROWS: rows, ROWTAB: arena.putI32(rowtab), COLTAB: arena.putI32(coltab), LEFT: pad.left, GATHER: columnPhases > 1 ? 1 : 0, FILL: fill });
  return pd.put(arena);
}
