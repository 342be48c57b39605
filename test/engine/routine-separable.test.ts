// The separable routine (separable_f32): convs with one input channel per group, x-stride 1 and rank-1 kernels, as two 1-D
// passes. Rank-1 detection and the choice of routine; sizes at, below and above the 4-pixel tail and the 16-pixel strip, all
// padding modes, y-strides, dilations, batchnorm, activations; within tolerance of the reference, the same bytes on threads
// 1/2/3 and in bands (the vertical pass reads the same rows whatever the band).
import { describe as group, expect, it } from 'vitest';
import { rankOneFactors } from '../../src/engine/fast/pack.js';
import { routineFor } from '../../src/engine/fast/routines/index.js';
import { createReferenceEngine } from '../../src/engine/reference.js';
import type { Conv2dLayer } from '../../src/network/types.js';
import { depthwiseLayers } from './depthwise-cases.js';
import { firstMismatch, mulberry32, network, wholeRun, type Case } from './fast-nets.js';
import { checkRoutine, routineCase, routineEngines } from './routine-check.js';

const reference = createReferenceEngine();
const MAP = { height: 32, width: 32 };
const engines = routineEngines('auto');

group('routine separable', () => {
  it('detects rank-1 kernels numerically (gaussian, box, sobel exactly; a perturbed one not)', () => {
    const base: Conv2dLayer = { type: 'conv2d', index: 0, inChannels: 1, outChannels: 1, kernelSize: [3, 3], stride: [1, 1], dilation: [1, 1], padding: { top: 1, bottom: 1, left: 1, right: 1 }, paddingMode: 'zeros', groups: 1, weight: new Float32Array([1, 0, -1, 2, 0, -2, 1, 0, -1]), bias: null };
    expect(rankOneFactors(base)).not.toBeNull();
    expect(routineFor(base, 'auto', MAP).id).toBe('separable');
    expect(routineFor(base, 'direct', MAP).id).toBe('direct');
    const bumped = { ...base, weight: new Float32Array([1, 0, -1, 2, 1e-3, -2, 1, 0, -1]) };
    expect(rankOneFactors(bumped)).toBeNull();
    expect(routineFor(bumped, 'auto', MAP).id).toBe('depthwise');
    const box = { ...base, kernelSize: [5, 5] as [number, number], weight: new Float32Array(25).fill(1 / 25) };
    expect(routineFor(box, 'auto', MAP).id).toBe('separable');
    // 1xN and 2x2 kernels: two passes are no fewer multiplies than one.
    expect(routineFor({ ...base, kernelSize: [1, 3], weight: new Float32Array([1, 2, 1]) }, 'auto', MAP).id).toBe('depthwise');
    expect(routineFor({ ...base, kernelSize: [2, 2], weight: new Float32Array([1, 1, 1, 1]) }, 'auto', MAP).id).toBe('depthwise');
    // Several input channels per group: not depthwise.
    expect(routineFor({ ...base, inChannels: 2, weight: new Float32Array(18).fill(1) }, 'auto', MAP).id).toBe('direct');
  });

  it('matches the reference on random shapes (all padding modes); threads 1, 2, 3 and bands give identical bytes', async () => {
    for (let seed = 1; seed <= 150; seed++) await checkRoutine('separable', engines, routineCase('separable', 'auto', seed * 7717 + 1, depthwiseLayers(true)), seed);
  });

  it('a separable 7x7 gaussian on a 3-channel 67x70 image with reflect padding stays within tolerance', async () => {
    const g = [1, 6, 15, 20, 15, 6, 1].map((v) => v / 64);
    const k = Float32Array.from({ length: 49 }, (_, i) => g[Math.floor(i / 7)] * g[i % 7]);
    const weight = new Float32Array(3 * 49);
    for (let c = 0; c < 3; c++) weight.set(k, c * 49);
    const net = network(3, [{ type: 'conv2d', index: 0, inChannels: 3, outChannels: 3, kernelSize: [7, 7], stride: [1, 1], dilation: [1, 1], padding: { top: 3, bottom: 3, left: 3, right: 3 }, paddingMode: 'reflect', groups: 3, weight, bias: null }]);
    const r = mulberry32(9);
    const c: Case = { net, input: { channels: 3, height: 67, width: 70, data: Float32Array.from({ length: 3 * 67 * 70 }, () => r() * 255) }, shapes: [{ channels: 3, height: 67, width: 70 }] };
    const ref = await wholeRun(reference, c);
    const out = await wholeRun(engines.get(2)!, c);
    expect(engines.get(2)!.lastTimings[0].label).toBe('0 conv2d[separable]');
    expect(firstMismatch(out.data, ref.data, out)).toBeNull();
  });
});
