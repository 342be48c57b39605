// The separable routine: convs with one input channel per group, x-stride 1 and rank-1 kernels (gaussian, box, sobel, scharr ...)
// as two 1-D passes on the depthwise descriptor: vertical (column taps, into a per-thread row), then horizontal (row taps, + bias, activation).
import { packDepthwise, packedBytes, rankOne, type PackedDepthwise } from '../pack.js';
import type { Routine } from '../plan-types.js';
import { groupIn } from './conditions.js';
import { planDepthwise } from './depthwise.js';

export const separable: Routine<PackedDepthwise> = {
  id: 'separable',
  // Only when two passes take fewer multiplies (kh + kw < kh * kw: not 1xN, Nx1 or 2x2).
  applies: (layer, algorithm) => {
    const [kh, kw] = layer.kernelSize;
    return algorithm !== 'direct' && groupIn(layer) === 1 && layer.stride[1] === 1 && kh + kw < kh * kw && rankOne(layer) !== null;
  },
  fusesPool: () => false,
  pitchedOutput: true,
  packedBytes: (layer) => packedBytes.depthwise(layer, true),
  pack: (heap, layer, bn) => packDepthwise(heap, layer, bn, rankOne(layer)),
  plan: (job) => planDepthwise(job),
};
