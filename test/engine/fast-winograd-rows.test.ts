// Row-wise Winograd F(4,3) and F(4,5) (winograd_rows_f32) for 3- and 5-wide convs with 1..7 input channels: within
// tolerance of the reference with fused and unfused pools, every padding mode, kernel heights 1..7, y-strides, groups,
// batchnorm; bit-identical across threads 1/2/3 and band splits (the ring of transformed rows is anchored at global rows,
// so bands sum in the same order).
import { describe as group, expect, it } from 'vitest';
import { createReferenceEngine } from '../../src/engine/reference.js';
import type { Shape } from '../../src/engine/tensor.js';
import type { Conv2dLayer, Layer } from '../../src/network/types.js';
import { ALL_MODES, bandMatchesWhole, caseFor, describe, fastEnginesPerThreadCount, firstMismatch, int, mulberry32, network, pick, sameBytes, shapesOf, wholeRun, type Case, type Rand } from './fast-nets.js';

const reference = createReferenceEngine();
const engines = fastEnginesPerThreadCount();

/** Widths around the 4-pixel tiles, the 16-pixel groups and the 32-group column chunks (512 pixels) of the routine. */
const WIDTHS = [1, 2, 3, 4, 5, 7, 8, 12, 15, 16, 17, 20, 31, 33, 47, 48, 49, 508, 512, 513, 530];
const HEIGHTS = [1, 2, 3, 5, 6, 9, 13, 17];

function convRows(r: Rand, index: number, cin: number, cout: number, groups: number): Layer {
  const kh = int(r, 1, 7);
  const kw = pick(r, [3, 5]);
  const icg = cin / groups;
  return {
    type: 'conv2d', index, inChannels: cin, outChannels: cout, kernelSize: [kh, kw], stride: [pick(r, [1, 1, 1, 2, 3]), 1], dilation: [1, 1],
    padding: { top: int(r, 0, kh - 1), bottom: int(r, 0, kh - 1), left: int(r, 0, kw - 1), right: int(r, 0, kw - 1) }, paddingMode: pick(r, ALL_MODES), groups,
    weight: Float32Array.from({ length: cout * icg * kh * kw }, () => (r() * 2 - 1) / Math.sqrt(icg * kh * kw)), bias: r() < 0.7 ? Float32Array.from({ length: cout }, () => r() - 0.5) : null,
  };
}

function pool(r: Rand, index: number): Layer {
  // Kernel = stride folds into the routine (2, 3, 4); overlapping windows run on their own.
  const [k, s] = pick(r, [[2, 2], [3, 3], [4, 4], [4, 4], [3, 2]] as const);
  return r() < 0.5
    ? { type: 'maxpool2d', index, kernelSize: [k, k], stride: [s, s], padding: [0, 0], dilation: [1, 1], ceilMode: false }
    : { type: 'avgpool2d', index, kernelSize: [k, k], stride: [s, s], padding: [0, 0], ceilMode: false, countIncludePad: true, divisorOverride: null };
}

function randomCase(seed: number): Case {
  const r = mulberry32(seed);
  for (;;) {
    const groups = r() < 0.2 ? 2 : 1;
    const cin = groups * int(r, 1, 7);
    const cout = groups * int(r, 4, 10);
    const layers: Layer[] = [convRows(r, 0, cin, cout, groups)];
    if (r() < 0.25) {
      const c = cout;
      layers.push({ type: 'batchnorm2d', index: 1, channels: c, weight: Float32Array.from({ length: c }, () => r() + 0.5), bias: Float32Array.from({ length: c }, () => r() - 0.5), runningMean: Float32Array.from({ length: c }, () => r() - 0.5), runningVar: Float32Array.from({ length: c }, () => 0.2 + r()), eps: 1e-5 });
    }
    layers.push(r() < 0.8 ? { type: 'relu', index: layers.length } : { type: 'leaky_relu', index: layers.length, negativeSlope: 0.1 });
    if (r() < 0.6) layers.push(pool(r, layers.length));
    const input: Shape = { channels: cin, height: pick(r, HEIGHTS), width: pick(r, WIDTHS) };
    const c = caseFor(r, layers, input);
    if (c) return c;
  }
}

group('fast engine: row-wise Winograd F(4,3) and F(4,5) for few channels', () => {
  it('matches the reference (kernel heights 1..7, y-strides, groups, batchnorm, all padding modes, fused and unfused pools); threads 1, 2, 3 and band splits give identical bytes', async () => {
    let x3 = 0;
    let x5 = 0;
    let fusedPools = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const c = randomCase(seed * 9001);
      const last = c.net.layers.length - 1;
      const ref = await wholeRun(reference, c);
      const outs = [];
      for (const t of [1, 2, 3]) outs.push(await wholeRun(engines.get(t)!, c));
      const labels = engines.get(3)!.lastTimings.map((s) => s.label);
      const rowWise = labels.some((l) => l.includes('[winograd1d_small]'));
      const kw = (c.net.layers[0] as Conv2dLayer).kernelSize[1];
      if (rowWise && kw === 3) x3++;
      if (rowWise && kw === 5) x5++;
      if (labels.some((l) => /\[winograd1d_small\].*pool2d/.test(l))) fusedPools++;
      const bad = firstMismatch(outs[0].data, ref.data, outs[0]);
      expect(bad, `seed ${seed}: ${describe(c.net, c.input)}: ${bad}`).toBeNull();
      expect(sameBytes(outs[1].data, outs[0].data), `seed ${seed} threads 2`).toBe(true);
      expect(sameBytes(outs[2].data, outs[0].data), `seed ${seed} threads 3`).toBe(true);
      // Bands cut at a random row: each equals the same rows of the whole run (ring slots follow global rows).
      const s = c.shapes[last];
      if (s.height < 2) continue;
      const cut = 1 + Math.floor(mulberry32(seed)() * (s.height - 1));
      for (const out of [{ start: 0, end: cut }, { start: cut, end: s.height }]) {
        expect(await bandMatchesWhole(engines.get(2)!, c, last, outs[0].data, out), `seed ${seed} rows ${out.start}..${out.end}: ${describe(c.net, c.input)}`).toBe(true);
      }
    }
    expect(x3).toBeGreaterThan(35);
    expect(x5).toBeGreaterThan(35);
    expect(fusedPools).toBeGreaterThan(25);
  });

  it('keeps W3-sized edge banks (1 -> 8, 5x5, values in [0, 1], avgpool 4) inside the conformance tolerance on 600-pixel rows', async () => {
    const r = mulberry32(5);
    const layers: Layer[] = [
      { type: 'conv2d', index: 0, inChannels: 1, outChannels: 8, kernelSize: [5, 5], stride: [1, 1], dilation: [1, 1], padding: { top: 2, bottom: 2, left: 2, right: 2 }, paddingMode: 'zeros', groups: 1, weight: Float32Array.from({ length: 200 }, () => r() * 2 - 1), bias: Float32Array.from({ length: 8 }, () => r() - 0.5) },
      { type: 'relu', index: 1 },
      { type: 'avgpool2d', index: 2, kernelSize: [4, 4], stride: [4, 4], padding: [0, 0], ceilMode: false, countIncludePad: true, divisorOverride: null },
    ];
    const input = { channels: 1, height: 40, width: 600, data: Float32Array.from({ length: 40 * 600 }, () => r()) };
    const c: Case = { net: network(1, layers), input, shapes: shapesOf(layers, input)! };
    const ref = await wholeRun(reference, c);
    const got = await wholeRun(engines.get(2)!, c);
    expect(engines.get(2)!.lastTimings.map((s) => s.label)).toContain('0-2 conv2d[winograd1d_small]+relu+avgpool2d');
    expect(firstMismatch(got.data, ref.data, got)).toBeNull();
  });
});
