// The fast engine's plan: for a network, an input band and the requested rows, which SIMD routine runs each layer, with which buffers and partition.
import type { Band, RowRange } from '../band.js';
import { effectiveKernel, poolOutputSize } from '../geometry.js';
import { tensor, type Shape } from '../tensor.js';
import { outputRowTile } from '../tiles.js';
import { isMerge, layerDef } from '../../layers/index.js';
import type { AvgPool2dLayer, BatchNorm2dLayer, Conv2dLayer, Layer, MaxPool2dLayer, Network, SingleLayer } from '../../network/types.js';
import { inputShapes, nodeShape } from '../../network/shapes.js';
import { align, ArenaAllocator, type SharedHeap } from './memory.js';
import { packConv, packConvWinograd, packConvWinograd2d, packConvWinogradSmall, packConvWinogradRows, packDepthwise, rankOneFactors, type PackedConv, type PackedDepthwise, type PackedSmall, type RankOne } from './pack.js';
import { allocBand, convLabel, f32bits, planPad, poolCode, poolDivisorBits, share, shareRanges, type Fusion, type HeapBand, type InputPlacement } from './plan-parts.js';
import { planWinograd2d, winograd2dPoolFits } from './plan-winograd2d.js';
import { planWinogradSmall, winogradSmallPoolFits } from './plan-winograd-small.js';
import { planWinogradRows, ROWS_MAX_KH } from './plan-winograd-rows.js';
import { TID, type Call, type Phase } from './protocol.js';

export type { HeapBand } from './plan-parts.js';

// Descriptor field indices: keep in step with src/wasm/assembly/conv2d.ts, winograd.ts and pad.ts (documented in src/wasm/README.md).
const D = {
  IN: 0, IN_PITCH: 2, OFFS: 3, K: 4, W: 5, OCB: 6, BIAS: 7, OUT: 8, OUT_PLANE: 9, OUT_PITCH: 10, OC: 11, OW: 12, SY: 13, SX: 14,
  ACT: 15, SLOPE: 16, COL: 17, COL_STRIDE: 18, POOL: 19, PKH: 20, PKW: 21, PSH: 22, PSW: 23, POOL_OUT: 24, POOL_OUT_PLANE: 25,
  POOL_OUT_PITCH: 26, POOL_OW: 27, POOL_DIV: 28, SCRATCH: 29, SCRATCH_STRIDE: 30, OFFS_COL: 31, COL_PITCH: 32, POOL_ROW_BASE: 33,
  WINO: 34, T: 35, TP: 36, M: 37, M_STRIDE: 38, W_XI: 39, ZERO: 40, NMAX: 41, PNP: 42, CW: 43, WORDS: 44,
} as const;
const WI = { SRC: 0, SRC_PLANE: 1, PW: 2, ROWS: 3, DST: 4, T: 5, TP: 6, WORDS: 7 } as const;
const DW = {
  IN: 0, IN_PITCH: 1, SY: 2, OW: 3, OC: 4, K: 5, OFFS: 6, W: 7, BIAS: 8, OUT: 9, OUT_PLANE: 10, OUT_PITCH: 11, ACT: 12, SLOPE: 13,
  SEP: 14, KH: 15, VOFFS: 16, VW: 17, KW: 18, HOFFS: 19, HW: 20, TMP: 21, TMP_STRIDE: 22, SPAN: 23, WORDS: 24,
} as const;

/**
 * Which conv algorithm the planner may pick: 'auto' by layer shape; the others force one wherever it
 * applies (tests, benchmarks): 'winograd' is 2-D Winograd where it applies and row-wise elsewhere,
 * 'winograd-x' row-wise only.
 */
export type Algorithm = 'auto' | 'direct' | 'winograd' | 'winograd-x';

/** Which Winograd routine runs a conv (null: direct, depthwise or separable). */
export type WinogradKind = '2d' | 'small' | 'x' | 'x3' | 'x5';

/**
 * The Winograd variant of a conv, or null for the other routines:
 * - 'small': 3x3 stride-1 convs with 1..7 input channels per group (2-D F(4x4,3x3), products summed
 *   over channels in registers);
 * - 'x3' / 'x5': row-wise F(4,3) / F(4,5) for 3- / 5-wide, x-stride-1, dilation-1 convs with 1..7 input
 *   channels per group (no GEMM: products summed over channels and kernel rows in registers along
 *   the row, `winograd-rows.ts`);
 * - '2d': 3x3 stride-1 convs with more channels (F(4x4,3x3), 36 GEMMs);
 * - 'x': row-wise F(4,3) as 6 GEMMs, for other 3-wide, x-stride-1, x-dilation-1 convs.
 * 'auto' wants >= 4 outputs per group for the few-channel routines (they share one input transform
 * between the outputs) and leaves rank-1 banks of one input channel to the two 1-D passes. For 3x3
 * stride-1 convs it takes 'small' with 2..7 input channels (3-18% faster than 'x3' with a pool after,
 * measured with 2 to 6 channels; within +-20% either way without) and 'x3' with one (a gray 1 -> 8
 * bank at 2048x2048: 1.6-1.7x faster, its 3 steps per point on the 3-step micro-kernel). 'auto' uses
 * '2d' and 'x' with >= 8 channels in and out per group. The choice depends only on the layer, never
 * on the band, so band and whole-map runs compute the same bits.
 */
export function winogradKind(layer: Conv2dLayer, algorithm: Algorithm): WinogradKind | null {
  if (algorithm === 'direct') return null;
  const icg = layer.inChannels / layer.groups;
  const ocg = layer.outChannels / layer.groups;
  const auto = algorithm === 'auto';
  const fewChannels = icg <= 7 && (!auto || (ocg >= 4 && !(icg === 1 && rankOne(layer))));
  const [kh, kw] = layer.kernelSize;
  const unitX = layer.stride[1] === 1 && layer.dilation[1] === 1;
  const rowsFit = unitX && layer.dilation[0] === 1 && kh <= ROWS_MAX_KH;
  if (outputRowTile(layer) > 1 && fewChannels && (algorithm === 'winograd' || (auto && icg >= 2))) return 'small';
  if (rowsFit && kw === 5) return fewChannels ? 'x5' : null;
  if (rowsFit && kw === 3 && fewChannels) return 'x3';
  if (kw !== 3 || !unitX || (auto && (icg < 8 || ocg < 8))) return null;
  return kh === 3 && outputRowTile(layer) > 1 && algorithm !== 'winograd-x' ? '2d' : 'x';
}

export function usesWinograd(layer: Conv2dLayer, algorithm: Algorithm): boolean {
  return winogradKind(layer, algorithm) !== null;
}

const rankOneCache = new WeakMap<Conv2dLayer, RankOne[] | null>();
function rankOne(layer: Conv2dLayer): RankOne[] | null {
  if (!rankOneCache.has(layer)) rankOneCache.set(layer, rankOneFactors(layer));
  return rankOneCache.get(layer)!;
}

/**
 * Convs with one input channel per group and x-stride 1 run on depthwise_f32 (vectorised along x):
 * 'separable' (two 1-D passes) when every kernel is rank 1 and kh + kw < kh * kw multiplies, else
 * 'depthwise' (direct taps) when fewer than 4 output channels per group would leave GEMM lanes idle.
 * 'direct' keeps the GEMM path, 'winograd' keeps Winograd where it applies. Depends only on the layer.
 */
export function depthwiseMode(layer: Conv2dLayer, algorithm: Algorithm): 'separable' | 'depthwise' | null {
  if (algorithm === 'direct' || usesWinograd(layer, algorithm)) return null;
  if (layer.inChannels / layer.groups !== 1 || layer.stride[1] !== 1) return null;
  const [kh, kw] = layer.kernelSize;
  if (kh + kw < kh * kw && rankOne(layer)) return 'separable';
  return layer.outChannels / layer.groups < 4 ? 'depthwise' : null;
}

export type Step =
  | { readonly kind: 'wasm'; readonly label: string; readonly first: number; readonly last: number; readonly phases: readonly Phase[] }
  | { readonly kind: 'js'; readonly label: string; readonly first: number; readonly last: number; readonly run: () => void };

export interface Plan {
  /** Heap mark below this plan's arena; releasing to it frees the arena. */
  readonly arenaMark: number;
  /** Bytes of the arena (buffers placed by lifetime, see ArenaAllocator). */
  readonly arenaBytes: number;
  readonly input: HeapBand;
  /** Where the engine copies the input rows instead of `input` (the first layer's padded buffer), or null. */
  readonly inputPlacement: InputPlacement | null;
  readonly steps: readonly Step[];
  /** Bands of the requested output layers, in the order of `outputs`. */
  readonly outputs: readonly HeapBand[];
}

/** Packed weights, cached per network and layer (and folded batchnorm) for the life of the engine. */
export type PackCache = WeakMap<Network, Map<string, PackedConv | PackedDepthwise | PackedSmall>>;

/** The full-map shape after each layer, from the input's full shape. */
export function fullShapes(net: Network, input: Shape): Shape[] {
  const shapes: Shape[] = [];
  for (const layer of net.layers) {
    const next = nodeShape(layer, inputShapes(layer, input, shapes));
    if (typeof next === 'string') throw new RangeError(`${layer.path} (${layer.type}): ${next}`);
    shapes.push(next);
  }
  return shapes;
}

/** Which layers after conv i fold into it: batchnorm, then relu/leaky_relu, then a non-overlapping pool the conv's routine accepts. */
function fusionAfter(net: Network, i: number, lastLayer: number, outputs: ReadonlySet<number>, rows: readonly RowRange[], shapes: readonly Shape[], poolFits: (pool: MaxPool2dLayer | AvgPool2dLayer) => boolean): Fusion {
  let j = i;
  let bn: BatchNorm2dLayer | null = null;
  let act = 0;
  let slope = 0;
  let pool: MaxPool2dLayer | AvgPool2dLayer | null = null;
  const next = (): Layer | null => (j + 1 <= lastLayer && !outputs.has(j) ? net.layers[j + 1] : null);
  let l = next();
  if (l && l.type === 'batchnorm2d') {
    bn = l;
    j++;
    l = next();
  }
  if (l && (l.type === 'relu' || l.type === 'leaky_relu')) {
    act = l.type === 'relu' ? 1 : 2;
    slope = l.type === 'leaky_relu' ? l.negativeSlope : 0;
    j++;
    l = next();
  }
  if (l && (l.type === 'maxpool2d' || l.type === 'avgpool2d') && poolFits(l)) {
    const conv = shapes[j];
    const [kh, kw] = l.kernelSize;
    const [sh, sw] = l.stride;
    const plain = l.padding[0] === 0 && l.padding[1] === 0 && sh === kh && sw === kw && (l.type === 'avgpool2d' || (l.dilation[0] === 1 && l.dilation[1] === 1));
    // No partial windows: ceil_mode must not add an output that floor mode would not have.
    const whole = plain && poolOutputSize(conv.height, kh, sh, 1, 0, l.ceilMode) === Math.floor((conv.height - kh) / sh) + 1 && poolOutputSize(conv.width, kw, sw, 1, 0, l.ceilMode) === Math.floor((conv.width - kw) / sw) + 1;
    const pr = rows[j + 1];
    const need = { start: pr.start * sh, end: (pr.end - 1) * sh + kh };
    if (whole && need.start >= rows[i].start && need.end <= rows[i].end) {
      pool = l;
      j++;
    }
  }
  return { last: j, bn, act, slope, pool };
}

export interface PlanContext {
  readonly heap: SharedHeap;
  readonly threads: number;
  readonly packs: PackCache;
  readonly algorithm: Algorithm;
}

/** Builds the plan for one (network, input band geometry, rows, outputs); allocates its arena at the top of the heap. */
export function makePlan(ctx: PlanContext, net: Network, input: Band, rows: readonly RowRange[], outputs: readonly number[]): Plan {
  const { heap, threads } = ctx;
  const lastLayer = Math.max(...outputs);
  const outSet = new Set(outputs);
  // Branching networks are planned node by node once the planner walks a graph; until then only stacks run here.
  if (net.layers.some((l, i) => isMerge(l) || l.inputs.length !== 1 || l.inputs[0] !== i - 1)) {
    throw new RangeError(`${net.file}: the fast engine does not run branching networks (add, concat) yet; use the reference engine`);
  }
  const shapes = fullShapes(net, { channels: input.tensor.channels, height: input.fullHeight, width: input.tensor.width });

  // Pack weights first (persistent, below the arena).
  let perNet = ctx.packs.get(net);
  if (!perNet) ctx.packs.set(net, (perNet = new Map()));
  // Per conv: the layers folded into it and the routine chosen (decided once, used again below).
  const convs = new Map<number, { f: Fusion; wino: WinogradKind | null; dw: 'separable' | 'depthwise' | null }>();
  for (let i = 0; i <= lastLayer; i++) {
    const layer = net.layers[i];
    if (layer.type !== 'conv2d') continue;
    const dw = depthwiseMode(layer, ctx.algorithm);
    const wino = winogradKind(layer, ctx.algorithm);
    const f = fusionAfter(net, i, lastLayer, outSet, rows, shapes, (pool) => dw === null && (wino === '2d' ? winograd2dPoolFits(pool) : wino === 'small' ? winogradSmallPoolFits(pool) : true));
    convs.set(i, { f, wino, dw });
    const key = packKey(i, f, wino, dw);
    if (!perNet.has(key)) {
      const pack = dw
        ? packDepthwise(heap, layer, f.bn, dw === 'separable' ? rankOne(layer) : null)
        : wino === '2d'
          ? packConvWinograd2d(heap, layer, f.bn)
          : wino === 'small'
            ? packConvWinogradSmall(heap, layer, f.bn)
            : wino === 'x5' || wino === 'x3'
              ? packConvWinogradRows(heap, layer, f.bn)
              : wino
              ? packConvWinograd(heap, layer, f.bn)
              : packConv(heap, layer, f.bn);
      perNet.set(key, pack);
    }
    i = f.last;
  }

  const arenaMark = heap.mark;
  const arena = new ArenaAllocator(heap);
  const slot: { placement: InputPlacement | null } = { placement: null };
  const inBand: HeapBand = {
    ptr: arena.alloc(input.tensor.data.length * 4),
    channels: input.tensor.channels,
    height: input.tensor.height,
    width: input.tensor.width,
    y0: input.y0,
    fullHeight: input.fullHeight,
    slot,
  };
  const steps: Step[] = [];
  const bands: HeapBand[] = [];
  let prev = inBand;
  let prevLayer = -1;
  // A band dies after the step that reads it, unless the caller asked for it.
  const retire = (band: HeapBand, layer: number) => {
    if (!outSet.has(layer)) arena.release(band.ptr, bandBytes(band));
  };
  for (let i = 0; i <= lastLayer; i++) {
    const layer = net.layers[i];
    if (layer.type === 'conv2d') {
      const { f, wino, dw } = convs.get(i)!;
      const packed = perNet.get(packKey(i, f, wino, dw))!;
      const { step, out } =
        wino === '2d'
          ? planWinograd2d(arena, threads, layer, packed as PackedConv, f, prev, rows, shapes, i)
          : wino === 'small'
            ? planWinogradSmall(arena, threads, layer, packed as PackedSmall, f, prev, rows, shapes, i)
            : wino === 'x5' || wino === 'x3'
              ? planWinogradRows(arena, threads, layer, packed as PackedSmall, f, prev, rows, shapes, i)
              : planConv(arena, threads, layer, packed as PackedConv | PackedDepthwise, f, prev, rows, shapes, i, wino === 'x');
      steps.push(step);
      for (let j = i; j <= f.last; j++) bands[j] = out; // only bands[f.last] is meaningful
      retire(prev, prevLayer);
      prev = out;
      prevLayer = f.last;
      i = f.last;
      continue;
    }
    const out = planReference(heap, arena, layer as SingleLayer, prev, rows[i]!, shapes[i], steps, i);
    bands[i] = out;
    retire(prev, prevLayer);
    prev = out;
    prevLayer = i;
  }
  const arenaBytes = arena.finish();
  return { arenaMark, arenaBytes, input: inBand, inputPlacement: slot.placement, steps, outputs: outputs.map((o) => bands[o]) };
}

function packKey(i: number, f: Fusion, wino: WinogradKind | null, dw: 'separable' | 'depthwise' | null): string {
  return `${i}:${f.bn ? 'bn' : ''}:${dw ?? wino ?? 'direct'}`;
}

function bandBytes(b: HeapBand): number {
  return b.channels * b.height * b.width * 4;
}

/** A layer with no SIMD routine (pools not fused, adaptive pools, lone relu/batchnorm): the reference, on the main thread. */
function planReference(heap: SharedHeap, arena: ArenaAllocator, layer: SingleLayer, prev: HeapBand, r: RowRange, shape: Shape, steps: Step[], i: number): HeapBand {
  const out = allocBand(arena, shape, r);
  const def = layerDef(layer);
  steps.push({
    kind: 'js',
    label: `${i} ${layer.type}`,
    first: i,
    last: i,
    run: () => {
      const f = heap.floats;
      const x = tensor(prev.channels, prev.height, prev.width, f.subarray(prev.ptr >> 2, (prev.ptr >> 2) + prev.channels * prev.height * prev.width));
      const y = def.reference(layer, { tensor: x, y0: prev.y0, fullHeight: prev.fullHeight }, r, shape);
      heap.floats.set(y.data, out.ptr >> 2);
    },
  });
  return out;
}

function planConv(
  arena: ArenaAllocator,
  threads: number,
  layer: Conv2dLayer,
  packing: PackedConv | PackedDepthwise,
  f: Fusion,
  prev: HeapBand,
  rows: readonly RowRange[],
  shapes: readonly Shape[],
  i: number,
  wino: boolean,
): { step: Step; out: HeapBand } {
  const [kh, kw] = layer.kernelSize;
  const [sy, sx] = layer.stride;
  const [dy, dx] = layer.dilation;
  const pad = layer.padding;
  const convShape = shapes[i];
  const ow = convShape.width;
  const W = prev.width;
  const G = layer.groups;
  const icg = layer.inChannels / G;
  const ocg = packing.ocPerGroup;

  // Conv rows to compute: the requested ones, or exactly those the fused pool reads.
  let convRows = rows[i];
  let out: HeapBand;
  const pool = f.pool;
  if (pool) {
    const pr = rows[f.last];
    convRows = { start: pr.start * pool.stride[0], end: (pr.end - 1) * pool.stride[0] + pool.kernelSize[0] };
    out = allocBand(arena, shapes[f.last], pr);
  } else {
    out = allocBand(arena, convShape, convRows);
  }
  const R = convRows.end - convRows.start;
  const iy0 = convRows.start * sy - pad.top;
  const iy1 = (convRows.end - 1) * sy - pad.top + effectiveKernel(kh, dy);
  const phases: Phase[] = [];
  // Buffers only this step uses (padded input, Winograd V and products, scratch): free for later steps.
  const transients: [number, number][] = [];

  let inPtr: number;
  let inPlane: number;
  let pitch: number;
  const padded = wino || pad.top > 0 || pad.bottom > 0 || pad.left > 0 || pad.right > 0;
  // Winograd tiles: T of 4 outputs; tile t reads padded columns 4t..4t+5, so rows are at least 4T + 2 wide (extra columns are zeros).
  const T = Math.ceil(ow / 4);
  const TP = T;
  let padRows = 0;
  let padPtr = 0;
  let padPitch = 0;
  if (padded) {
    const p = planPad(arena, threads, layer, prev, iy0, iy1 - iy0, wino ? Math.max(W + pad.left + pad.right, 4 * T + 2) : W + pad.left + pad.right, i);
    phases.push(p.phase);
    transients.push([p.ptr, p.bytes]);
    inPtr = p.ptr;
    inPlane = p.rows * p.pitch;
    pitch = p.pitch;
    padRows = p.rows;
    padPtr = p.ptr;
    padPitch = p.pitch;
  } else {
    if (iy0 < prev.y0 || iy1 > prev.y0 + prev.height) throw new RangeError(`layers[${i}] (conv2d): rows ${iy0}..${iy1} are not all in the band ${prev.y0}..${prev.y0 + prev.height}`);
    inPlane = prev.height * W;
    pitch = W;
    inPtr = prev.ptr + (iy0 - prev.y0) * W * 4;
  }

  if ('kind' in packing) {
    const step = planDepthwise(arena, threads, layer, packing, f, inPtr, inPlane, pitch, out, R, ow, phases, i);
    for (const [ptr, bytes] of transients) arena.release(ptr, bytes);
    return { step, out };
  }
  const packed = packing;
  const K = packed.k;
  let offs: Int32Array;
  let mPtr = 0;
  let mStride = 0;
  let nmax = 1;
  if (wino) {
    // Transformed input V: [channel][6][padded row][TP]; consecutive rows' tiles are contiguous, so one
    // GEMM strip can span NMAX output rows (stride 1), which keeps narrow deep layers on the 12-wide micro-kernel.
    const vPtr = arena.alloc(prev.channels * padRows * 6 * TP * 4);
    transients.push([vPtr, prev.channels * padRows * 6 * TP * 4]);
    const wd = new Int32Array(WI.WORDS);
    wd[WI.SRC] = padPtr;
    wd[WI.SRC_PLANE] = padRows * padPitch;
    wd[WI.PW] = padPitch;
    wd[WI.ROWS] = padRows;
    wd[WI.DST] = vPtr;
    wd[WI.T] = T;
    wd[WI.TP] = TP;
    const wdPtr = arena.putI32(wd);
    // The transform of a padded row reads only that row, so it joins the padding phase (same row
    // ranges, no barrier between them).
    const ranges = shareRanges(prev.channels * padRows, threads);
    phases[phases.length - 1] = phases[phases.length - 1].map((item, k) => [...item, ['winograd_input_f32', wdPtr, ...ranges[k]] as Call]);
    inPtr = vPtr;
    inPlane = padRows * 6 * TP;
    pitch = TP;
    offs = new Int32Array(6 * K);
    for (let xi = 0; xi < 6; xi++) {
      let k = 0;
      for (let ic = 0; ic < icg; ic++) for (let ky = 0; ky < kh; ky++) offs[xi * K + k++] = ((ic * 6 + xi) * padRows + ky * dy) * TP * 4;
    }
    // Rows per GEMM: enough tiles for several 12-wide strips, products kept within ~512 KiB (L2).
    nmax = sy === 1 ? Math.max(1, Math.min(Math.ceil(64 / T), Math.floor(131072 / (6 * packed.blocks * 4 * T)))) : 1;
    mStride = align(6 * packed.blocks * 4 * nmax * TP * 4 + 256, 64);
    mPtr = arena.alloc(mStride * threads);
    transients.push([mPtr, mStride * threads]);
  } else {
    offs = new Int32Array(K);
    let k = 0;
    for (let ic = 0; ic < icg; ic++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) offs[k++] = (ic * inPlane + ky * dy * pitch + kx * dx) * 4;
  }
  const offsPtr = arena.putI32(offs);
  const zeroPtr = arena.putF32(new Float32Array(4));

  let colPtr = 0;
  let colStride = 0;
  let colPitch = 0;
  let offsColPtr = 0;
  if (sx !== 1) {
    colPitch = align(ow, 4) + 16;
    colStride = align(K * colPitch * 4 + 256, 64);
    colPtr = arena.alloc(colStride * threads);
    transients.push([colPtr, colStride * threads]);
    const oc = new Int32Array(K);
    for (let kk = 0; kk < K; kk++) oc[kk] = kk * colPitch * 4;
    offsColPtr = arena.putI32(oc);
  }
  let scratchPtr = 0;
  let scratchStride = 0;
  // Pooled rows per batch: with Winograd, enough that their conv rows fill one multi-row GEMM.
  const pnp = pool && wino ? Math.max(1, Math.floor(nmax / pool.kernelSize[0])) : 1;
  // Fused pool on the direct path (conv2d.ts pooledDirect): conv rows folded into an L1 row accumulator,
  // in column chunks of CW (input rows of ~16 KiB, a multiple of 8 pixels and of the pool stride).
  const pooledDirect = pool !== null && !wino && sx === 1;
  let cw = 0;
  if (pooledDirect) {
    const unit = 8 * pool.stride[1];
    cw = Math.min(Math.max(unit, Math.floor(Math.max(256, Math.floor(16384 / (K * 4))) / unit) * unit), Math.ceil(ow / unit) * unit);
    scratchStride = align((ocg * (cw + 16) + cw + 16 + 64) * 4, 64);
    scratchPtr = arena.alloc(scratchStride * threads);
    transients.push([scratchPtr, scratchStride * threads]);
  } else if (pool) {
    scratchStride = align((ocg * (pnp * pool.kernelSize[0] * ow + 16) + ow + 64) * 4, 64);
    scratchPtr = arena.alloc(scratchStride * threads);
    transients.push([scratchPtr, scratchStride * threads]);
  }

  const descs: number[] = [];
  for (let g = 0; g < G; g++) {
    const d = new Int32Array(D.WORDS);
    d[D.IN] = inPtr + g * icg * inPlane * 4;
    d[D.IN_PITCH] = pitch;
    d[D.OFFS] = offsPtr;
    d[D.K] = K;
    d[D.W] = packed.groups[g].w;
    d[D.OCB] = packed.blocks;
    d[D.BIAS] = packed.groups[g].bias;
    d[D.OUT] = out.ptr + g * ocg * R * ow * 4;
    d[D.OUT_PLANE] = R * ow;
    d[D.OUT_PITCH] = ow;
    d[D.OC] = ocg;
    d[D.OW] = ow;
    d[D.SY] = sy;
    d[D.SX] = sx;
    d[D.ACT] = f.act;
    d[D.SLOPE] = f32bits(f.slope);
    d[D.COL] = colPtr;
    d[D.COL_STRIDE] = colStride;
    d[D.OFFS_COL] = offsColPtr;
    d[D.COL_PITCH] = colPitch;
    if (wino) {
      d[D.WINO] = 1;
      d[D.T] = T;
      d[D.TP] = TP;
      d[D.M] = mPtr;
      d[D.M_STRIDE] = mStride;
      d[D.W_XI] = packed.blocks * K * 16;
      d[D.ZERO] = zeroPtr;
      d[D.NMAX] = nmax;
    }
    if (pool) {
      const ps = shapes[f.last];
      d[D.POOL] = poolCode(pool);
      d[D.PKH] = pool.kernelSize[0];
      d[D.PKW] = pool.kernelSize[1];
      d[D.PSH] = pool.stride[0];
      d[D.PSW] = pool.stride[1];
      d[D.POOL_OUT] = out.ptr + g * ocg * out.height * ps.width * 4;
      d[D.POOL_OUT_PLANE] = out.height * ps.width;
      d[D.POOL_OUT_PITCH] = ps.width;
      d[D.POOL_OW] = ps.width;
      d[D.POOL_DIV] = poolDivisorBits(pool);
      d[D.SCRATCH] = scratchPtr;
      d[D.SCRATCH_STRIDE] = scratchStride;
      d[D.POOL_ROW_BASE] = 0;
      d[D.PNP] = pnp;
      d[D.CW] = cw;
    }
    descs.push(arena.putI32(d));
  }
  // Rows (pooled rows when fused) in contiguous ranges of whole Winograd GEMM batches; few rows and
  // many channel blocks: block ranges instead.
  const items = pool ? out.height : R;
  const batch = wino ? (pool ? pnp : nmax) : 1;
  const blocks = packed.blocks;
  const byRows = items >= 8 * threads || blocks < 2 * threads;
  phases.push(
    byRows
      ? share(Math.ceil(items / batch), threads, (u0, u1) => descs.map((d) => ['conv2d_f32', d, u0 * batch, Math.min(items, u1 * batch), 0, blocks, TID] as Call))
      : share(blocks, threads, (b0, b1) => descs.map((d) => ['conv2d_f32', d, 0, items, b0, b1, TID] as Call), 1),
  );
  for (const [ptr, bytes] of transients) arena.release(ptr, bytes);
  return { step: { kind: 'wasm', label: convLabel(i, f, wino ? 'winograd-x' : null), first: i, last: f.last, phases }, out };
}

/** The compute phase of a conv on depthwise_f32 (one descriptor per group; rows split across threads). */
function planDepthwise(
  arena: ArenaAllocator,
  threads: number,
  layer: Conv2dLayer,
  packed: PackedDepthwise,
  f: Fusion,
  inPtr: number,
  inPlane: number,
  pitch: number,
  out: HeapBand,
  R: number,
  ow: number,
  phases: Phase[],
  i: number,
): Step {
  const [kh, kw] = layer.kernelSize;
  const [dy, dx] = layer.dilation;
  const ocg = packed.ocPerGroup;
  const span = ow - 1 + (kw - 1) * dx + 1;
  let offsPtr = 0, voffsPtr = 0, hoffsPtr = 0, tmpPtr = 0, tmpStride = 0;
  if (packed.separable) {
    voffsPtr = arena.putI32(Int32Array.from({ length: kh }, (_, ky) => ky * dy * pitch * 4));
    hoffsPtr = arena.putI32(Int32Array.from({ length: kw }, (_, kx) => kx * dx * 4));
    tmpStride = align((span + 16) * 4 + 256, 64);
    tmpPtr = arena.alloc(tmpStride * threads);
    // Step-local: released with the step's other transients by the caller's arena.
  } else {
    const offs = new Int32Array(kh * kw);
    for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) offs[ky * kw + kx] = (ky * dy * pitch + kx * dx) * 4;
    offsPtr = arena.putI32(offs);
  }
  const descs: number[] = [];
  for (let g = 0; g < layer.groups; g++) {
    const d = new Int32Array(DW.WORDS);
    const pg = packed.groups[g];
    d[DW.IN] = inPtr + g * inPlane * 4;
    d[DW.IN_PITCH] = pitch;
    d[DW.SY] = layer.stride[0];
    d[DW.OW] = ow;
    d[DW.OC] = ocg;
    d[DW.K] = kh * kw;
    d[DW.OFFS] = offsPtr;
    d[DW.W] = pg.w;
    d[DW.BIAS] = pg.bias;
    d[DW.OUT] = out.ptr + g * ocg * R * ow * 4;
    d[DW.OUT_PLANE] = R * ow;
    d[DW.OUT_PITCH] = ow;
    d[DW.ACT] = f.act;
    d[DW.SLOPE] = f32bits(f.slope);
    d[DW.SEP] = packed.separable ? 1 : 0;
    d[DW.KH] = kh;
    d[DW.VOFFS] = voffsPtr;
    d[DW.VW] = pg.col;
    d[DW.KW] = kw;
    d[DW.HOFFS] = hoffsPtr;
    d[DW.HW] = pg.row;
    d[DW.TMP] = tmpPtr;
    d[DW.TMP_STRIDE] = tmpStride;
    d[DW.SPAN] = span;
    descs.push(arena.putI32(d));
  }
  if (tmpPtr) arena.release(tmpPtr, tmpStride * threads);
  phases.push(share(R, threads, (r0, r1) => descs.map((d) => ['depthwise_f32', d, r0, r1, TID] as Call)));
  return { kind: 'wasm', label: convLabel(i, f, packed.separable ? 'separable' : 'depthwise'), first: i, last: f.last, phases };
}
