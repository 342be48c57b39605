// Weight packing for each conv routine (the routine modules name their packer): batchnorm folded in, transforms in float64, written straight into the heap.
import type { BatchNorm2dLayer, Conv2dLayer } from '../../network/types.js';
import { index32 } from './address.js';
import { align, allocSpan, type MainThreadSimd, type SharedHeap } from './memory.js';

/** One group's packed weights and bias: addresses in the shared memory (written there directly, no JS copy). */
export interface PackedGroup {
  /** [ocb][k][4] (x6 panels for Winograd), zero rows where oc >= outChannels / groups. */
  readonly w: number;
  /** [4 * ocb] */
  readonly bias: number;
}

/** Heap bytes of allocations of these float counts. */
function heapBytes(...floats: number[]): number {
  return floats.reduce((sum, n) => sum + allocSpan(n * 4), 0);
}

/**
 * Heap bytes each packer takes for `layer` (the same float counts as the packer below it; a test packs
 * every kind and compares), so memory budgets can count packed weights before they exist.
 */
export const packedBytes = {
  conv(layer: Conv2dLayer): number {
    const blocks = Math.ceil(layer.outChannels / layer.groups / 4);
    const k = (layer.inChannels / layer.groups) * layer.kernelSize[0] * layer.kernelSize[1];
    return layer.groups * heapBytes(blocks * k * 4, blocks * 4);
  },
  winograd1d(layer: Conv2dLayer): number {
    const blocks = Math.ceil(layer.outChannels / layer.groups / 4);
    return layer.groups * heapBytes(6 * blocks * (layer.inChannels / layer.groups) * layer.kernelSize[0] * 4, blocks * 4);
  },
  winograd2d(layer: Conv2dLayer, tile: number): number {
    const blocks = Math.ceil(layer.outChannels / layer.groups / 4);
    return layer.groups * heapBytes((tile + 2) ** 2 * blocks * (layer.inChannels / layer.groups) * 4, blocks * 4);
  },
  winograd1dSmall(layer: Conv2dLayer): number {
    const [kh, kw] = layer.kernelSize;
    const ocg = layer.outChannels / layer.groups;
    const perOc = Math.ceil(((layer.inChannels / layer.groups) * kh) / 5) * (kw === 3 ? 3 : 4) * 5 * 2 * 4;
    return layer.groups * heapBytes(kh * ocg * perOc, ocg);
  },
  depthwise(layer: Conv2dLayer, separable: boolean): number {
    const [kh, kw] = layer.kernelSize;
    const n = layer.outChannels;
    return separable ? heapBytes(n, n * kh, n * kw) : heapBytes(n, n * kh * kw);
  },
};

/** Allocates n zeroed floats in the heap; returns their address. */
function zeros(heap: SharedHeap, n: number): number {
  const ptr = heap.alloc(n * 4);
  heap.floatsAt(ptr, n).fill(0);
  return ptr;
}

export interface PackedConv {
  readonly groups: readonly PackedGroup[];
  /** Reduction length: in/groups * kh * kw, ordered (ic, ky, kx) like the spec's weight. */
  readonly k: number;
  /** Output channels per group, and blocks of 4 of them. */
  readonly ocPerGroup: number;
  readonly blocks: number;
}

/**
 * Output channel `oc`'s weight scale and bias after folding a following batchnorm into the conv:
 * w' = w * g, b' = (b - mean) * g + beta with g = gamma / sqrt(var + eps); (1, b) without one.
 */
function foldedAffine(layer: Conv2dLayer, bn: BatchNorm2dLayer | null, oc: number): { scale: number; shift: number } {
  const bias = layer.bias ? layer.bias[oc] : 0;
  if (!bn) return { scale: 1, shift: bias };
  const scale = bn.weight[oc] / Math.sqrt(bn.runningVar[oc] + bn.eps);
  return { scale, shift: (bias - bn.runningMean[oc]) * scale + bn.bias[oc] };
}

/**
 * Per group: `wFloats` weight floats and ocPerGroup bias floats (blocks of 4 when `biasFloats` says so),
 * the folded bias written here; the weights by fillGroup(w, g, scales) when given and it returns true
 * (it writes every float), else zeroed and written by fill(weights, o, oc, scale) for each output
 * channel o of the group (oc in the layer). The views are taken after both allocations.
 */
function packGroups(
  heap: SharedHeap,
  layer: Conv2dLayer,
  bn: BatchNorm2dLayer | null,
  wFloats: number,
  biasFloats: number,
  fill: (weights: Float32Array, o: number, oc: number, scale: number) => void,
  fillGroup?: (w: number, g: number, scales: Float64Array) => boolean,
): PackedGroup[] {
  const ocg = layer.outChannels / layer.groups;
  const groups: PackedGroup[] = [];
  const scales = new Float64Array(ocg);
  for (let gi = 0; gi < layer.groups; gi++) {
    const w = heap.alloc(wFloats * 4);
    const b = zeros(heap, biasFloats);
    const bias = heap.floatsAt(b, biasFloats);
    for (let o = 0; o < ocg; o++) {
      const { scale, shift } = foldedAffine(layer, bn, gi * ocg + o);
      bias[o] = shift;
      scales[o] = scale;
    }
    // fillGroup writes every float of the group's weights; fill leaves the padding channels' zeros.
    if (!fillGroup?.(w, gi, scales)) {
      const weights = heap.floatsAt(w, wFloats);
      weights.fill(0);
      for (let o = 0; o < ocg; o++) fill(weights, o, gi * ocg + o, scales[o]);
    }
    groups.push({ w, bias: b });
  }
  return groups;
}

/**
 * Runs `fn` on `bytes` of scratch above the heap's top (the module's copy of a group's weights, its
 * scales, its scratch), zeroes them after (the slack of the allocations that follow then holds zeros,
 * as after the JavaScript packers on fresh memory) and frees them. False, and nothing run, without
 * the SIMD module or room for the scratch.
 */
function onModule(heap: SharedHeap, bytes: number, fn: (simd: MainThreadSimd, at: number) => void): boolean {
  if (!heap.simd || !heap.fits(bytes)) return false;
  const mark = heap.mark;
  const at = heap.alloc(bytes);
  fn(heap.simd, at);
  heap.floatsAt(at, bytes / 4).fill(0);
  heap.release(mark);
  return true;
}

/** Group g's `n` weights and, with a batchnorm, its output channels' scales (f64), copied to `at`; returns the scales' address, 0 without. */
function copyGroup(heap: SharedHeap, layer: Conv2dLayer, bn: BatchNorm2dLayer | null, g: number, n: number, scales: Float64Array, at: number): number {
  heap.floatsAt(at, n).set(layer.weight.subarray(g * n, (g + 1) * n));
  if (!bn) return 0;
  const s = at + align(n * 4, 16);
  new Float64Array(heap.memory.buffer, s, scales.length).set(scales);
  return s;
}

/** Bytes of a group's copy for onModule: `n` weights and, with a batchnorm, `ocg` scales. */
function copyBytes(n: number, ocg: number, bn: BatchNorm2dLayer | null): number {
  return align(n * 4, 16) + (bn ? align(ocg * 8, 16) : 0);
}

/**
 * Output channels per call of the module's packers: whole blocks of 4, about `per` weights. V8 runs a
 * call on the code it entered with, so a first call over a whole layer would run in its baseline code throughout.
 */
function blockStep(perOc: number, per: number): number {
  return Math.max(4, Math.floor(per / perOc / 4) * 4);
}

/**
 * Group g's 3x3 filters transformed on the heap's SIMD module (winograd_filters_f32: the bits of
 * winogradFilter, batchnorm scales folded in as it folds them) into dst, as panels `panel` floats apart,
 * in calls of about 4096 filters. False: JS packs.
 */
function simdFilters(heap: SharedHeap, layer: Conv2dLayer, bn: BatchNorm2dLayer | null, g: number, scales: Float64Array, tile: 4 | 6, dst: number, panel: number): boolean {
  const ocg = layer.outChannels / layer.groups;
  const icg = layer.inChannels / layer.groups;
  const n = ocg * icg * 9;
  const copy = copyBytes(n, ocg, bn);
  const points = (tile + 2) ** 2;
  return onModule(heap, copy + 16 * (2 * points + 3 * (tile + 2) + 3), (simd, at) => {
    const s = copyGroup(heap, layer, bn, g, n, scales, at);
    const step = blockStep(icg, 4096);
    for (let o = 0; o < ocg; o += step) {
      simd.winograd_filters_f32(at + o * icg * 36, Math.min(step, ocg - o), icg, s && s + o * 8, tile, dst + o * icg * 4, panel, at + copy);
    }
  });
}

/** Group g's weights packed on the heap's SIMD module (conv_weights_f32: packConv's bytes) into dst, in calls of about 16384 weights. False: JS packs. */
function simdConv(heap: SharedHeap, layer: Conv2dLayer, bn: BatchNorm2dLayer | null, g: number, scales: Float64Array, k: number, dst: number): boolean {
  const ocg = layer.outChannels / layer.groups;
  const n = ocg * k;
  return onModule(heap, copyBytes(n, ocg, bn), (simd, at) => {
    const s = copyGroup(heap, layer, bn, g, n, scales, at);
    const step = blockStep(k, 16384);
    for (let o = 0; o < ocg; o += step) simd.conv_weights_f32(at + o * k * 4, Math.min(step, ocg - o), k, s && s + o * 8, dst + o * k * 4);
  });
}

/**
 * Packs a conv's weights for the direct and strided routines' GEMM, [OCB][K][4] panels per group,
 * folding a following batchnorm (y = (x - mean) / sqrt(var + eps) * w + b) into them when given:
 * w' = w * s, b' = (b_conv - mean) * s + b with s = w / sqrt(var + eps). Bias padded to blocks of 4.
 */
export function packConv(heap: SharedHeap, layer: Conv2dLayer, bn: BatchNorm2dLayer | null): PackedConv {
  const ocg = layer.outChannels / layer.groups;
  const k = (layer.inChannels / layer.groups) * layer.kernelSize[0] * layer.kernelSize[1];
  const blocks = Math.ceil(ocg / 4);
  const w = layer.weight;
  const groups = packGroups(
    heap,
    layer,
    bn,
    blocks * k * 4,
    blocks * 4,
    (weights, o, oc, scale) => {
      const src = oc * k;
      const dst = (o >> 2) * k * 4 + (o & 3);
      // The Float32Array store rounds the product as Math.fround would.
      if (bn) for (let kk = 0; kk < k; kk++) weights[dst + kk * 4] = w[src + kk] * scale;
      else for (let kk = 0; kk < k; kk++) weights[dst + kk * 4] = w[src + kk];
    },
    (dst, g, scales) => simdConv(heap, layer, bn, g, scales, k, dst),
  );
  return { groups, k, ocPerGroup: ocg, blocks };
}

/**
 * Packs a 3-wide conv for winograd1d (row-wise F(4,3) as GEMMs): per group, 6 panels [ocb][K = (ic, ky)][4]
 * of U = G g for each filter row g (G: Lavin & Gray's F(4,3) matrix), computed in float64 then rounded
 * once. Batchnorm folds in as in packConv. `bias` holds the (folded) bias for the output transform.
 */
export function packWinograd1d(heap: SharedHeap, layer: Conv2dLayer, bn: BatchNorm2dLayer | null): PackedConv {
  const ocg = layer.outChannels / layer.groups;
  const icg = layer.inChannels / layer.groups;
  const kh = layer.kernelSize[0];
  if (layer.kernelSize[1] !== 3) throw new RangeError('packWinograd1d: kernel width must be 3');
  const k = icg * kh;
  const blocks = Math.ceil(ocg / 4);
  const panel = blocks * k * 4;
  const groups = packGroups(heap, layer, bn, 6 * panel, blocks * 4, (weights, o, oc, scale) => {
    const base = (o >> 2) * k * 4 + (o & 3);
    for (let ic = 0; ic < icg; ic++) {
      for (let ky = 0; ky < kh; ky++) {
        const w = ((oc * icg + ic) * kh + ky) * 3;
        const g0 = bn ? Math.fround(layer.weight[w] * scale) : layer.weight[w];
        const g1 = bn ? Math.fround(layer.weight[w + 1] * scale) : layer.weight[w + 1];
        const g2 = bn ? Math.fround(layer.weight[w + 2] * scale) : layer.weight[w + 2];
        const u = [g0 / 4, -(g0 + g1 + g2) / 6, -(g0 - g1 + g2) / 6, g0 / 24 + g1 / 12 + g2 / 6, g0 / 24 - g1 / 12 + g2 / 6, g2];
        const at = base + (ic * kh + ky) * 4;
        for (let xi = 0; xi < 6; xi++) weights[xi * panel + at] = u[xi];
      }
    }
  });
  return { groups, k, ocPerGroup: ocg, blocks };
}

/** Lavin & Gray's F(4,3) filter transform G (6 x 3), the matrix behind packWinograd1d's rows. */
const G43 = [
  [1 / 4, 0, 0],
  [-1 / 6, -1 / 6, -1 / 6],
  [-1 / 6, 1 / 6, -1 / 6],
  [1 / 24, 1 / 12, 1 / 6],
  [1 / 24, -1 / 12, 1 / 6],
  [0, 0, 1],
];

/**
 * The F(6,3) filter transform G (8 x 3) for points 0, 1, -1, 2, -2, 1/2, -1/2 and infinity, the matrix
 * behind packWinograd2d's wide tiles (B^T and A^T are in src/wasm/assembly/f63.ts).
 */
const G63 = [
  [1, 0, 0],
  [-2 / 9, -2 / 9, -2 / 9],
  [-2 / 9, 2 / 9, -2 / 9],
  [1 / 90, 1 / 45, 2 / 45],
  [1 / 90, -1 / 45, 2 / 45],
  [32 / 45, 16 / 45, 8 / 45],
  [32 / 45, -16 / 45, 8 / 45],
  [0, 0, 1],
];

/** G43 and G63 row after row (n x 3), for winogradFilter's loops. */
const G43_FLAT = new Float64Array(G43.flat());
const G63_FLAT = new Float64Array(G63.flat());

/**
 * U = G g G^T (n x n values, xi = n i + j, n = G's rows) of filter (oc, ic) of a 3x3 conv into `u`, batchnorm
 * scale folded in as in packConv, computed in float64 (the caller's f32 store rounds each value once);
 * `gf` holds G g (n x 3). Both are the caller's, reused filter after filter. G is flat (n x 3): a VGG16 has
 * 1.6 M filters, so this runs in optimised code from the first layers on (no closures, no row arrays).
 */
function winogradFilter(layer: Conv2dLayer, bn: BatchNorm2dLayer | null, scale: number, oc: number, ic: number, G: Float64Array, gf: Float64Array, u: Float64Array): void {
  const src = (oc * (layer.inChannels / layer.groups) + ic) * 9;
  const w = layer.weight;
  let f0 = w[src], f1 = w[src + 1], f2 = w[src + 2], f3 = w[src + 3], f4 = w[src + 4], f5 = w[src + 5], f6 = w[src + 6], f7 = w[src + 7], f8 = w[src + 8];
  if (bn) {
    f0 = Math.fround(f0 * scale), f1 = Math.fround(f1 * scale), f2 = Math.fround(f2 * scale);
    f3 = Math.fround(f3 * scale), f4 = Math.fround(f4 * scale), f5 = Math.fround(f5 * scale);
    f6 = Math.fround(f6 * scale), f7 = Math.fround(f7 * scale), f8 = Math.fround(f8 * scale);
  }
  const n = G.length / 3;
  for (let i = 0; i < n; i++) {
    const a = G[3 * i], b = G[3 * i + 1], c = G[3 * i + 2];
    gf[i * 3] = a * f0 + b * f3 + c * f6;
    gf[i * 3 + 1] = a * f1 + b * f4 + c * f7;
    gf[i * 3 + 2] = a * f2 + b * f5 + c * f8;
  }
  for (let i = 0; i < n; i++) {
    const g0 = gf[i * 3], g1 = gf[i * 3 + 1], g2 = gf[i * 3 + 2];
    for (let j = 0; j < n; j++) u[n * i + j] = g0 * G[3 * j] + g1 * G[3 * j + 1] + g2 * G[3 * j + 2];
  }
}

/**
 * Packs a 3x3 conv for winograd2d and winograd2d_small (tile 4: F(4x4,3x3), 36 points) or winograd2d_wide
 * (tile 6: F(6x6,3x3), 64 points): per group, (tile + 2)^2 panels (xi = (tile + 2) i + j) [ocb][K = ic][4] of U = G g G^T,
 * computed in float64 then rounded once. Batchnorm folds in as in packConv.
 */
export function packWinograd2d(heap: SharedHeap, layer: Conv2dLayer, bn: BatchNorm2dLayer | null, tile: 4 | 6): PackedConv {
  const ocg = layer.outChannels / layer.groups;
  const icg = layer.inChannels / layer.groups;
  if (layer.kernelSize[0] !== 3 || layer.kernelSize[1] !== 3) throw new RangeError('packWinograd2d: kernel must be 3x3');
  const G = tile === 6 ? G63_FLAT : G43_FLAT;
  const blocks = Math.ceil(ocg / 4);
  const panel = blocks * icg * 4;
  const points = (G.length / 3) ** 2;
  const gf = new Float64Array(G.length);
  const u = new Float64Array(points);
  const groups = packGroups(
    heap,
    layer,
    bn,
    points * panel,
    blocks * 4,
    (weights, o, oc, scale) => {
      const base = (o >> 2) * icg * 4 + (o & 3);
      for (let ic = 0; ic < icg; ic++) {
        winogradFilter(layer, bn, scale, oc, ic, G, gf, u);
        for (let xi = 0, at = base + ic * 4; xi < points; xi++, at += panel) weights[at] = u[xi];
      }
    },
    (w, g, scales) => simdFilters(heap, layer, bn, g, scales, tile, w, panel),
  );
  return { groups, k: icg, ocPerGroup: ocg, blocks };
}

/**
 * Weights for winograd1d_small (U = G g per kernel row, see packWinograd1dSmall), and the bias f32[OC].
 */
export interface PackedSmall {
  readonly ocPerGroup: number;
  readonly groups: readonly PackedGroup[];
}

/**
 * The F(4,5) filter transform G (8 x 5) for the points 0, 1, -1, 2, -2, 1/2, -1/2, infinity (row 0
 * sign-flipped with B^T's row 0 in src/wasm/assembly/winograd1d_small.ts). The rows of +-1/2 are divided by 8 (exactly: a
 * power of two), so the output transform multiplies their products by 8, 4, 2, 1 (doublings) instead
 * of 1, 1/2, 1/4, 1/8.
 */
const G45 = [
  [1, 0, 0, 0, 0],
  [-2 / 9, -2 / 9, -2 / 9, -2 / 9, -2 / 9],
  [-2 / 9, 2 / 9, -2 / 9, 2 / 9, -2 / 9],
  [1 / 90, 1 / 45, 2 / 45, 4 / 45, 8 / 45],
  [1 / 90, -1 / 45, 2 / 45, -4 / 45, 8 / 45],
  [4 / 45, 2 / 45, 1 / 45, 1 / 90, 1 / 180],
  [4 / 45, -2 / 45, 1 / 45, -1 / 90, 1 / 180],
  [0, 0, 0, 0, 1],
];

/**
 * Weights for winograd1d_small: per (channel, kernel row), U = G g (6 values for F(4,3), 8 for F(4,5))
 * in float64, rounded once, batchnorm folded in; laid out [KH rotations][OC][step chunks of 5][point
 * pairs][5 steps][2 points], each value splatted to 4 lanes (the micro-kernel holds one pair's 10
 * vectors in registers). Step ch * KH + s holds kernel row (s - rotation) mod KH (the routine's ring
 * slot s); steps past C * KH in the last chunk are zeros.
 */
export function packWinograd1dSmall(heap: SharedHeap, layer: Conv2dLayer, bn: BatchNorm2dLayer | null): PackedSmall {
  const [kh, kw] = layer.kernelSize;
  if (kw !== 3 && kw !== 5) throw new RangeError('packWinograd1dSmall: kernel width must be 3 or 5');
  const G = kw === 3 ? G43 : G45;
  const pairs = G.length / 2;
  const ocg = layer.outChannels / layer.groups;
  const icg = layer.inChannels / layer.groups;
  const perOc = Math.ceil((icg * kh) / 5) * pairs * 5 * 2 * 4;
  const groups = packGroups(heap, layer, bn, kh * ocg * perOc, ocg, (weights, o, oc, scale) => {
    for (let ic = 0; ic < icg; ic++) {
      for (let ky = 0; ky < kh; ky++) {
        const src = ((oc * icg + ic) * kh + ky) * kw;
        const g = (x: number) => (bn ? Math.fround(layer.weight[src + x] * scale) : layer.weight[src + x]);
        const u = G.map((row) => row.reduce((sum, c, x) => sum + c * g(x), 0));
        for (let rot = 0; rot < kh; rot++) {
          const step = ic * kh + ((ky + rot) % kh);
          for (let p = 0; p < G.length; p++) {
            const at = (rot * ocg + o) * perOc + (((Math.floor(step / 5) * pairs + (p >> 1)) * 5 + (step % 5)) * 2 + (p & 1)) * 4;
            weights.fill(u[p], at, at + 4);
          }
        }
      }
    }
  });
  return { ocPerGroup: ocg, groups };
}

/** Per output channel, a kernel's column and row factors (w[ky][kx] = col[ky] * row[kx]), float64. */
export interface RankOne {
  readonly col: Float64Array;
  readonly row: Float64Array;
}

/**
 * The rank-1 factors of every output channel's 2-D kernel (one input channel per group), or null
 * when some kernel is not rank 1 within |w - col x row| <= 1e-6 * max|w| (per kernel).
 * Gaussian, box, sobel and scharr kernels are exactly rank 1. The pivot is the largest |w|:
 * col = the pivot's column, row = the pivot's row / pivot.
 */
export function rankOneFactors(layer: Conv2dLayer): RankOne[] | null {
  if (layer.inChannels / layer.groups !== 1) return null;
  const [kh, kw] = layer.kernelSize;
  const out: RankOne[] = [];
  for (let o = 0; o < layer.outChannels; o++) {
    const w = layer.weight.subarray(o * kh * kw, (o + 1) * kh * kw);
    let p = 0;
    for (let i = 1; i < w.length; i++) if (Math.abs(w[i]) > Math.abs(w[p])) p = i;
    const max = Math.abs(w[p]);
    if (!Number.isFinite(max)) return null;
    const py = Math.floor(p / kw), px = p % kw;
    const col = new Float64Array(kh);
    const row = new Float64Array(kw);
    if (max > 0) {
      for (let y = 0; y < kh; y++) col[y] = w[y * kw + px];
      for (let x = 0; x < kw; x++) row[x] = w[py * kw + x] / w[p];
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) if (Math.abs(w[y * kw + x] - col[y] * row[x]) > 1e-6 * max) return null;
    }
    out.push({ col, row });
  }
  return out;
}

const rankOneCache = new WeakMap<Conv2dLayer, RankOne[] | null>();

/** rankOneFactors(layer), computed once per layer object. */
export function rankOne(layer: Conv2dLayer): RankOne[] | null {
  if (!rankOneCache.has(layer)) rankOneCache.set(layer, rankOneFactors(layer));
  return rankOneCache.get(layer)!;
}

/** Depthwise weights per group: direct taps f32[OC][kh * kw], or the separable factors f32[OC][kh] and f32[OC][kw]; bias f32[OC]. */
export interface PackedDepthwise {
  readonly separable: boolean;
  readonly ocPerGroup: number;
  /** f32[groups][ocPerGroup][kh kw] taps (0 when separable). */
  readonly w: number;
  /** Separable: f32[groups][ocPerGroup][kh] column and [kw] row factors (0 otherwise). */
  readonly col: number;
  readonly row: number;
  /** f32[groups][ocPerGroup]. */
  readonly bias: number;
}

/** Packs a conv with one input channel per group for the depthwise routine, or with rank-1 factors for the separable one, folding a following batchnorm (into the row factors when separable). */
export function packDepthwise(heap: SharedHeap, layer: Conv2dLayer, bn: BatchNorm2dLayer | null, factors: RankOne[] | null): PackedDepthwise {
  const g = layer.groups;
  const ocg = layer.outChannels / g;
  const [kh, kw] = layer.kernelSize;
  const taps = kh * kw;
  // One block per array, group after group: the routine finds group g's part from g alone.
  const bias = zeros(heap, g * ocg);
  const w = factors ? 0 : zeros(heap, g * ocg * taps);
  const col = factors ? zeros(heap, g * ocg * kh) : 0;
  const row = factors ? zeros(heap, g * ocg * kw) : 0;
  const f = heap.floats;
  for (let oc = 0; oc < layer.outChannels; oc++) {
    const { scale, shift } = foldedAffine(layer, bn, oc);
    f[index32(bias) + oc] = shift;
    if (factors) {
      const { col: c, row: r } = factors[oc];
      for (let y = 0; y < kh; y++) f[index32(col) + oc * kh + y] = c[y];
      for (let x = 0; x < kw; x++) f[index32(row) + oc * kw + x] = r[x] * scale;
    } else {
      for (let t = 0; t < taps; t++) f[index32(w) + oc * taps + t] = bn ? Math.fround(layer.weight[oc * taps + t] * scale) : layer.weight[oc * taps + t];
    }
  }
  return { separable: factors !== null, ocPerGroup: ocg, w, col, row, bias };
}
