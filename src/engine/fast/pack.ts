// Weight packing for the f32 igemm micro-kernels: [OCB][K][4] panels per group, batchnorm folded in, bias padded to blocks of 4.
import type { BatchNorm2dLayer, Conv2dLayer } from '../../spec/types.js';
import type { SharedHeap } from './memory.js';

/** One group's packed weights and bias: addresses in the shared memory (written there directly, no JS copy). */
export interface PackedGroup {
  /** [ocb][k][4] (x6 panels for Winograd), zero rows where oc >= outChannels / groups. */
  readonly w: number;
  /** [4 * ocb] */
  readonly bias: number;
}

/** Allocates n zeroed floats in the heap; returns the address and a view (valid until the next allocation). */
function zeros(heap: SharedHeap, n: number): { ptr: number; view: Float32Array } {
  const ptr = heap.alloc(n * 4);
  const view = heap.floats.subarray(ptr >> 2, (ptr >> 2) + n);
  view.fill(0);
  return { ptr, view };
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
 * Packs a conv's weights, folding a following batchnorm (y = (x - mean) / sqrt(var + eps) * w + b)
 * into them when given: w' = w * s, b' = (b_conv - mean) * s + b with s = w / sqrt(var + eps).
 */
export function packConv(heap: SharedHeap, layer: Conv2dLayer, bn: BatchNorm2dLayer | null): PackedConv {
  const g = layer.groups;
  const ocg = layer.outChannels / g;
  const k = (layer.inChannels / g) * layer.kernelSize[0] * layer.kernelSize[1];
  const blocks = Math.ceil(ocg / 4);
  const groups: PackedGroup[] = [];
  for (let gi = 0; gi < g; gi++) {
    const w = zeros(heap, blocks * k * 4);
    const b = zeros(heap, blocks * 4);
    const weights = heap.floats.subarray(w.ptr >> 2, (w.ptr >> 2) + blocks * k * 4);
    const bias = heap.floats.subarray(b.ptr >> 2, (b.ptr >> 2) + blocks * 4);
    for (let o = 0; o < ocg; o++) {
      const oc = gi * ocg + o;
      let scale = 1;
      let shift = layer.bias ? layer.bias[oc] : 0;
      if (bn) {
        scale = bn.weight[oc] / Math.sqrt(bn.runningVar[oc] + bn.eps);
        shift = (shift - bn.runningMean[oc]) * scale + bn.bias[oc];
      }
      const blk = o >> 2;
      const lane = o & 3;
      const src = oc * k;
      const dst = blk * k * 4 + lane;
      for (let kk = 0; kk < k; kk++) weights[dst + kk * 4] = bn ? Math.fround(layer.weight[src + kk] * scale) : layer.weight[src + kk];
      bias[blk * 4 + lane] = shift;
    }
    groups.push({ w: w.ptr, bias: b.ptr });
  }
  return { groups, k, ocPerGroup: ocg, blocks };
}

/**
 * Packs a 3-wide conv for row-wise Winograd F(4,3): per group, 6 panels [ocb][K = (ic, ky)][4] of
 * U = G g for each filter row g (G: Lavin & Gray's F(4,3) matrix), computed in float64 then rounded once.
 * Batchnorm folds in as in packConv. `bias` holds the (folded) bias for the output transform.
 */
export function packConvWinograd(heap: SharedHeap, layer: Conv2dLayer, bn: BatchNorm2dLayer | null): PackedConv {
  const g = layer.groups;
  const ocg = layer.outChannels / g;
  const icg = layer.inChannels / g;
  const kh = layer.kernelSize[0];
  if (layer.kernelSize[1] !== 3) throw new RangeError('packConvWinograd: kernel width must be 3');
  const k = icg * kh;
  const blocks = Math.ceil(ocg / 4);
  const panel = blocks * k * 4;
  const groups: PackedGroup[] = [];
  for (let gi = 0; gi < g; gi++) {
    const w = zeros(heap, 6 * panel);
    const b = zeros(heap, blocks * 4);
    const weights = heap.floats.subarray(w.ptr >> 2, (w.ptr >> 2) + 6 * panel);
    const bias = heap.floats.subarray(b.ptr >> 2, (b.ptr >> 2) + blocks * 4);
    for (let o = 0; o < ocg; o++) {
      const oc = gi * ocg + o;
      let scale = 1;
      let shift = layer.bias ? layer.bias[oc] : 0;
      if (bn) {
        scale = bn.weight[oc] / Math.sqrt(bn.runningVar[oc] + bn.eps);
        shift = (shift - bn.runningMean[oc]) * scale + bn.bias[oc];
      }
      bias[o] = shift;
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
    }
    groups.push({ w: w.ptr, bias: b.ptr });
  }
  return { groups, k, ocPerGroup: ocg, blocks };
}
