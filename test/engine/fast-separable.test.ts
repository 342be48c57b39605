// Depthwise and separable (rank-1) convs on the fast engine: within tolerance of the reference, bit-identical across threads and bands.
import { describe as group, expect, it } from 'vitest';
import { neededRows } from '../../src/engine/band.js';
import { routineFor } from '../../src/engine/fast/routines/index.js';
import { rankOneFactors } from '../../src/engine/fast/pack.js';
import { createReferenceEngine } from '../../src/engine/reference.js';
import type { Shape } from '../../src/engine/tensor.js';
import type { Conv2dLayer, Layer, PaddingMode } from '../../src/network/types.js';
import { ALL_MODES, bandOf, bandRows, caseFor, describe, fastEnginesPerThreadCount, firstMismatch, int, mulberry32, network, pick, rowsFor, sameBytes, wholeRun, type Case, type Rand } from './fast-nets.js';

const reference = createReferenceEngine();
const engines = fastEnginesPerThreadCount();

/** Around the 4-pixel tail and 16-pixel strip of depthwise_f32 (and 1). */
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

function randomDepthwiseCase(seed: number, separable: boolean, modes: readonly PaddingMode[] = ALL_MODES): Case {
  const r = mulberry32(seed);
  for (;;) {
    const c = pick(r, [1, 2, 3, 5, 6, 7]);
    const m = pick(r, [1, 1, 2, 3]);
    const kh = int(r, 2, 7), kw = int(r, 2, 7);
    const weight = new Float32Array(c * m * kh * kw);
    for (let o = 0; o < c * m; o++) weight.set(separable ? rankOneKernel(r, kh, kw) : Float32Array.from({ length: kh * kw }, () => r() * 2 - 1), o * kh * kw);
    const conv: Conv2dLayer = {
      type: 'conv2d', index: 0, inChannels: c, outChannels: c * m, kernelSize: [kh, kw], stride: [pick(r, [1, 1, 2]), 1], dilation: [pick(r, [1, 1, 2]), pick(r, [1, 1, 2])],
      padding: { top: int(r, 0, kh - 1), bottom: int(r, 0, kh - 1), left: int(r, 0, kw - 1), right: int(r, 0, kw - 1) }, paddingMode: pick(r, modes),
      groups: c, weight, bias: r() < 0.7 ? Float32Array.from({ length: c * m }, () => r() - 0.5) : null,
    };
    const layers: Layer[] = [conv];
    if (r() < 0.3) layers.push({ type: 'batchnorm2d', index: layers.length, channels: c * m, weight: Float32Array.from({ length: c * m }, () => r() + 0.5), bias: Float32Array.from({ length: c * m }, () => r() - 0.5), runningMean: Float32Array.from({ length: c * m }, () => r() - 0.5), runningVar: Float32Array.from({ length: c * m }, () => 0.2 + r()), eps: 1e-5 });
    if (r() < 0.5) layers.push(r() < 0.7 ? { type: 'relu', index: layers.length } : { type: 'leaky_relu', index: layers.length, negativeSlope: 0.1 });
    if (r() < 0.3) layers.push({ type: 'maxpool2d', index: layers.length, kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false });
    const input: Shape = { channels: c, height: pick(r, SIZES), width: pick(r, SIZES) };
    const found = caseFor(r, layers, input);
    if (found) return found;
  }
}



group('fast engine: depthwise and separable convs', () => {
  it('detects rank-1 kernels numerically (gaussian, box, sobel exactly; a perturbed one not)', () => {
    const base: Conv2dLayer = { type: 'conv2d', index: 0, inChannels: 1, outChannels: 1, kernelSize: [3, 3], stride: [1, 1], dilation: [1, 1], padding: { top: 1, bottom: 1, left: 1, right: 1 }, paddingMode: 'zeros', groups: 1, weight: new Float32Array([1, 0, -1, 2, 0, -2, 1, 0, -1]), bias: null };
    expect(rankOneFactors(base)).not.toBeNull();
    expect(routineFor(base, 'auto').id).toBe('separable');
    expect(routineFor(base, 'direct').id).toBe('direct');
    const bumped = { ...base, weight: new Float32Array([1, 0, -1, 2, 1e-3, -2, 1, 0, -1]) };
    expect(rankOneFactors(bumped)).toBeNull();
    expect(routineFor(bumped, 'auto').id).toBe('depthwise');
    const box = { ...base, kernelSize: [5, 5] as [number, number], weight: new Float32Array(25).fill(1 / 25) };
    expect(routineFor(box, 'auto').id).toBe('separable');
    // 1xN and 2x2 kernels: two passes are no fewer multiplies than one.
    expect(routineFor({ ...base, kernelSize: [1, 3], weight: new Float32Array([1, 2, 1]) }, 'auto').id).toBe('depthwise');
    expect(routineFor({ ...base, kernelSize: [2, 2], weight: new Float32Array([1, 1, 1, 1]) }, 'auto').id).toBe('depthwise');
    // Several input channels per group: not depthwise.
    expect(routineFor({ ...base, inChannels: 2, weight: new Float32Array(18).fill(1) }, 'auto').id).toBe('direct');
  });

  for (const separable of [true, false]) {
    const kind = separable ? 'separable' : 'depthwise';
    it(`${kind}: matches the reference on random shapes, all padding modes; threads 1, 2, 3 give identical bytes`, async () => {
      let used = 0;
      for (let seed = 1; seed <= 150; seed++) {
        const c = randomDepthwiseCase(seed * 7717 + (separable ? 1 : 0), separable);
        const ref = await wholeRun(reference, c);
        const outs = [];
        for (const t of [1, 2, 3]) {
          const e = engines.get(t)!;
          outs.push(await wholeRun(e, c));
          if (t === 1 && e.lastTimings[0].label.includes(`[${kind}]`)) used++;
        }
        const bad = firstMismatch(outs[0].data, ref.data, outs[0]);
        expect(bad, `seed ${seed}: ${describe(c.net, c.input)}: ${bad}`).toBeNull();
        expect(sameBytes(outs[1].data, outs[0].data), `seed ${seed} threads 2`).toBe(true);
        expect(sameBytes(outs[2].data, outs[0].data), `seed ${seed} threads 3`).toBe(true);
      }
      // Cases with x-stride 1 and (for separable) kh + kw < kh * kw take the path under test.
      expect(used).toBeGreaterThan(100);
    });

    it(`${kind}: a band of rows equals the whole-map run byte for byte (the vertical pass reads the same rows whatever the band)`, async () => {
      let compared = 0;
      for (let seed = 1; seed <= 60; seed++) {
        const c = randomDepthwiseCase(seed * 104723 + (separable ? 3 : 5), separable);
        const last = c.net.layers.length - 1;
        const full = await wholeRun(engines.get(2)!, c);
        const h = c.shapes[last].height;
        const r = mulberry32(seed);
        const cuts = h > 2 ? [0, 1 + Math.floor(r() * (h - 2)), h] : [0, h];
        for (let k = 0; k + 1 < cuts.length; k++) {
          const out = { start: cuts[k], end: cuts[k + 1] };
          const { rows, input } = rowsFor(c.net, c.input.height, c.shapes, last, out);
          expect(input).toEqual(neededRows(c.net.layers[0], rows[0], c.input.height));
          const [got] = await engines.get(3)!.run(c.net, bandOf(c, input), rows, [last]);
          expect(sameBytes(got.tensor.data, bandRows(full.data, c.shapes[last], out)), `seed ${seed} ${describe(c.net, c.input)} rows ${out.start}..${out.end}`).toBe(true);
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(80);
    });
  }

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
    expect(engines.get(2)!.lastTimings[0].label).toContain('[separable]');
    expect(firstMismatch(out.data, ref.data, out)).toBeNull();
  });
});
