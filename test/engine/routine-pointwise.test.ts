// The pointwise routine (pointwise_f32): 1x1 stride-1 unpadded convs as one GEMM over the band's pixels in virtual rows of up
// to 256, as equal as multiples of 8 let them be, shared by rows or by channel blocks (splitByRows); with a fused pool, real rows as the direct routine. Maps whose pixel count
// falls at, below and above the virtual row and the 4- and 8-pixel strips; within tolerance of the reference, the same bytes
// on threads 1/2/3 and in bands. From 512 input channels each call packs its virtual row into strips of 8 pixels and runs
// the channel blocks over groups of strips a quarter of the L2 holds: a tiny L2 (CNNX_CACHE_SIZES) makes every group one strip.
import { afterEach, describe as group, expect, it } from 'vitest';
import type { Layer } from '../../src/network/types.js';
import { createReferenceEngine } from '../../src/engine/reference.js';
import { firstMismatch, int, mulberry32, network, pick, sameBytes, shapesOf, wholeRun, type Case } from './fast-nets.js';
import { checkRoutine, randomConv, randomTail, routineCase, routineEngines } from './routine-check.js';
import { splitByRows, virtualRow } from '../../src/engine/fast/routines/pointwise.js';

const engines = routineEngines('auto');

/** [height, width] with height x width around 256 (one virtual row) and the strips, tiny maps and wide ones. */
const SIZES: [number, number][] = [[1, 1], [1, 7], [7, 7], [2, 4], [3, 3], [16, 16], [15, 17], [17, 16], [8, 33], [14, 14], [28, 28], [5, 103], [32, 9], [1, 600], [56, 56], [39, 20]];

function make(r: () => number, long = false): { layers: Layer[]; input: { channels: number; height: number; width: number } } {
  const groups = r() < 0.15 ? 2 : 1;
  const cin = groups * (long ? pick(r, [512, 520, 600]) : pick(r, [2, 3, 8, 17, 40]));
  const cout = groups * pick(r, [4, 5, 8, 12, 33]);
  const conv = { ...randomConv(r, { cin, cout, groups, kernel: [1, 1] }), padding: { top: 0, bottom: 0, left: 0, right: 0 } };
  const layers: Layer[] = [conv, ...randomTail(r, cout, { pools: [[2, 2], [2, 1]] })];
  const [height, width] = pick(r, SIZES);
  return { layers, input: { channels: cin, height, width } };
}

group('routine pointwise', () => {
  it('matches the reference (groups, batchnorm, activations, fused pools); threads 1, 2, 3 and bands give identical bytes', async () => {
    let fused = 0;
    for (let seed = 1; seed <= 80; seed++) {
      const c = routineCase('pointwise', 'auto', seed * 6007, make);
      if ((await checkRoutine('pointwise', engines, c, seed, 2)).fusedPool) fused++;
    }
    expect(fused).toBeGreaterThan(5);
  });

  it('stores every activation as the reference applies it, where it changes values: relu6 clamps sums above 6, leaky_relu scales negatives', async () => {
    const reference = createReferenceEngine();
    const acts: Layer[] = [{ type: 'relu', index: 1 }, { type: 'relu6', index: 1 }, { type: 'leaky_relu', index: 1, negativeSlope: 0.1 }, { type: 'hardtanh', index: 1, minVal: -1, maxVal: 1 }];
    for (const act of [null, ...acts]) {
      const r = mulberry32(6006);
      // Weights 8x the usual scale: sums spread over about -20..20, so every activation's bounds are crossed.
      const conv = randomConv(r, { cin: 16, cout: 24, kernel: [1, 1] });
      const layer = { ...conv, padding: { top: 0, bottom: 0, left: 0, right: 0 }, weight: conv.weight.map((w) => w * 8) };
      const c: Case = { net: network(16, act ? [layer, act] : [layer]), input: { channels: 16, height: 13, width: 20, data: Float32Array.from({ length: 16 * 13 * 20 }, () => r() * 4 - 2) }, shapes: [] };
      c.shapes.push(...shapesOf(c.net.layers, c.input)!);
      const ref = await wholeRun(reference, c);
      const outs = await Promise.all([1, 2].map((t) => wholeRun(engines.get(t)!, c)));
      expect(engines.get(1)!.lastTimings[0].label).toContain('conv2d[pointwise]');
      expect(firstMismatch(outs[0].data, ref.data, outs[0]), act?.type ?? 'none').toBeNull();
      expect(sameBytes(outs[1].data, outs[0].data)).toBe(true);
      const out = outs[0].data;
      if (act?.type === 'relu6') expect(out.some((v) => v === 6) && out.some((v) => v > 0 && v < 6)).toBe(true);
      if (act?.type === 'leaky_relu') expect(out.some((v) => v < -0.5)).toBe(true);
      if (!act) expect(out.some((v) => v > 6) && out.some((v) => v < -6)).toBe(true);
    }
  });

  afterEach(() => {
    delete process.env.CNNX_CACHE_SIZES;
  });

  it('packs reductions of 512 and more into strips of 8 pixels, with the same results', async () => {
    for (let seed = 81; seed <= 110; seed++) await checkRoutine('pointwise', engines, routineCase('pointwise', 'auto', seed * 6007, (r) => make(r, true)), seed, 2);
  });

  it('runs the channel blocks over one packed strip at a time when the L2 is small, with the same results', async () => {
    process.env.CNNX_CACHE_SIZES = '1K,1K';
    for (let seed = 111; seed <= 130; seed++) await checkRoutine('pointwise', engines, routineCase('pointwise', 'auto', seed * 6007, (r) => make(r, true)), seed, 2);
  });
});

group('pointwise GEMM shape', () => {
  it('cuts n pixels into virtual rows of at most 256, a multiple of 8 (or all n), the last never much shorter than the rest', () => {
    for (let n = 1; n <= 5000; n++) {
      const L = virtualRow(n);
      expect(L).toBeLessThanOrEqual(256);
      if (L < n) expect(L % 8).toBe(0);
      const rows = Math.ceil(n / L);
      expect(rows).toBe(Math.ceil(n / 256));
      // The left-over row is at most 8 pixels per row shorter than the others.
      expect(L - (n - (rows - 1) * L)).toBeLessThanOrEqual(8 * rows);
    }
    expect(virtualRow(784)).toBe(200);
    expect(virtualRow(196)).toBe(196);
  });

  it('shares by rows unless the threads would read the input again for fewer weights', () => {
    const at = (h: number, w: number, cout: number, threads = 2) => splitByRows(Math.ceil((h * w) / virtualRow(h * w)), Math.ceil(cout / 4), threads, h * w);
    // MobileNetV2's 56x56 projections and expansions, ResNet's 56x56 and a 28x28 reduction: rows.
    expect(at(56, 56, 24)).toBe(true);
    expect(at(56, 56, 144)).toBe(true);
    expect(at(56, 56, 256)).toBe(true);
    expect(at(28, 28, 128)).toBe(true);
    // ResNet's 28x28 expansion (512 outputs: 4 rows would read all the weights 4 times): blocks.
    expect(at(28, 28, 512)).toBe(false);
    // One virtual row (14x14, 7x7): blocks; one thread, or too few blocks to share: rows.
    expect(at(14, 14, 160)).toBe(false);
    expect(at(7, 7, 1280)).toBe(false);
    expect(at(7, 7, 1280, 1)).toBe(true);
    expect(at(7, 7, 12)).toBe(true);
  });
});
