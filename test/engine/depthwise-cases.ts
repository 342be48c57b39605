// Random convs with one input channel per group for the depthwise and separable routines' tests: channel multipliers 1..3,
// kernels 2..7 (rank-1 ones, named or random, for separable), y-strides, x-strides (depthwise), dilations, batchnorm, activations, 2x2 max pools.
import type { Shape } from '../../src/engine/tensor.js';
import type { Conv2dLayer, Layer } from '../../src/network/types.js';
import { ALL_MODES, int, pick, type Rand } from './fast-nets.js';

/** Sizes around the 4-pixel tail and the 16-pixel strip of the depthwise routines (and 1). */
const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 19, 20, 31, 32, 33, 36];

/** Named rank-1 kernels (as outer products col x row) and random ones. */
function rankOneKernel(r: Rand, kh: number, kw: number): Float32Array {
  const named: [number[], number[]][] = [
    [[1, 2, 1], [-1, 0, 1]], // sobel x
    [[-1, 0, 1], [1, 2, 1]], // sobel y
    [[3, 10, 3], [-1, 0, 1]], // scharr x
    [[1, 4, 6, 4, 1], [1, 4, 6, 4, 1].map((v) => v / 256)], // gaussian 5
    [Array(kh).fill(1 / kh), Array(kw).fill(1 / kw)], // box
  ];
  const fit = named.filter(([c, w]) => c.length === kh && w.length === kw);
  const [col, row] = fit.length > 0 && r() < 0.4 ? pick(r, fit) : [Array.from({ length: kh }, () => r() * 2 - 1), Array.from({ length: kw }, () => r() * 2 - 1)];
  return Float32Array.from({ length: kh * kw }, (_, i) => col[Math.floor(i / kw)] * row[i % kw]);
}

/** Layers of a depthwise conv (rank-1 kernels when `separable`; 3x3 ones when `kernel3x3`) and an input shape, for routineCase. */
export function depthwiseLayers(separable: boolean, kernel3x3 = false): (r: Rand) => { layers: Layer[]; input: Shape } {
  return (r) => {
    const c = pick(r, [1, 2, 3, 5, 6, 7]);
    const m = pick(r, [1, 1, 2, 3]);
    const kh = kernel3x3 ? 3 : int(r, 2, 7), kw = kernel3x3 ? 3 : int(r, 2, 7);
    const weight = new Float32Array(c * m * kh * kw);
    for (let o = 0; o < c * m; o++) weight.set(separable ? rankOneKernel(r, kh, kw) : Float32Array.from({ length: kh * kw }, () => r() * 2 - 1), o * kh * kw);
    const conv: Conv2dLayer = {
      type: 'conv2d', index: 0, inChannels: c, outChannels: c * m, kernelSize: [kh, kw], stride: [pick(r, [1, 1, 2]), separable ? 1 : pick(r, [1, 1, 2, 3])], dilation: [pick(r, [1, 1, 2]), pick(r, [1, 1, 2])],
      padding: { top: int(r, 0, kh - 1), bottom: int(r, 0, kh - 1), left: int(r, 0, kw - 1), right: int(r, 0, kw - 1) }, paddingMode: pick(r, ALL_MODES),
      groups: c, weight, bias: r() < 0.7 ? Float32Array.from({ length: c * m }, () => r() - 0.5) : null,
    };
    const layers: Layer[] = [conv];
    if (r() < 0.3) layers.push({ type: 'batchnorm2d', index: layers.length, channels: c * m, weight: Float32Array.from({ length: c * m }, () => r() + 0.5), bias: Float32Array.from({ length: c * m }, () => r() - 0.5), runningMean: Float32Array.from({ length: c * m }, () => r() - 0.5), runningVar: Float32Array.from({ length: c * m }, () => 0.2 + r()), eps: 1e-5 });
    if (r() < 0.5) layers.push(r() < 0.5 ? { type: 'relu', index: layers.length } : r() < 0.5 ? { type: 'relu6', index: layers.length } : { type: 'leaky_relu', index: layers.length, negativeSlope: 0.1 });
    // Neither routine fuses a pool: it runs after the conv.
    if (r() < 0.3) layers.push({ type: 'maxpool2d', index: layers.length, kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false });
    return { layers, input: { channels: c, height: pick(r, SIZES), width: pick(r, SIZES) } };
  };
}
