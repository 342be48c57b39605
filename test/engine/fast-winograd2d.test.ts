// 2-D Winograd F(4x4,3x3) for 3x3 stride-1 convs, both routines: 36 GEMMs (>= 8 channels in and out) and the small one
// (1..7 input channels, >= 4 out, a pool after): within tolerance of the reference, with fused pools and with pools they cannot fuse;
// bit-identical across threads 1/2/3 and band splits cut inside tiles.
import { describe as group, expect, it } from 'vitest';
import { neededRows } from '../../src/engine/band.js';
import { evenChunk } from '../../src/engine/fast/routines/winograd2d.js';
import { createReferenceEngine } from '../../src/engine/reference.js';
import type { Shape } from '../../src/engine/tensor.js';
import type { Layer } from '../../src/network/types.js';
import { ALL_MODES, bandMatchesWhole, caseFor, describe, fastEnginesPerThreadCount, firstMismatch, int, mulberry32, network, pick, sameBytes, shapesOf, wholeRun, type Case, type Rand } from './fast-nets.js';

const reference = createReferenceEngine();
const engines = fastEnginesPerThreadCount();

/** Map sizes around the 4-pixel tiles and the 4-tile groups (16 pixels) of the transforms. */
const SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 18, 21, 31, 33, 35, 40];

function conv3x3(r: Rand, index: number, cin: number, cout: number): Layer {
  const p = () => int(r, 0, 2);
  return {
    type: 'conv2d', index, inChannels: cin, outChannels: cout, kernelSize: [3, 3], stride: [1, 1], dilation: [1, 1],
    padding: { top: p(), bottom: p(), left: p(), right: p() }, paddingMode: pick(r, ALL_MODES), groups: 1,
    weight: Float32Array.from({ length: cout * cin * 9 }, () => (r() * 2 - 1) / Math.sqrt(cin * 9)), bias: r() < 0.7 ? Float32Array.from({ length: cout }, () => r() - 0.5) : null,
  };
}

function pool(r: Rand, index: number): Layer {
  // 2 and 4 fold into both routines, 8 into the small one; 3 (stride 3) and overlapping windows run unfused.
  const [k, s] = pick(r, [[2, 2], [2, 2], [4, 4], [8, 8], [3, 3], [3, 2]] as const);
  return r() < 0.5
    ? { type: 'maxpool2d', index, kernelSize: [k, k], stride: [s, s], padding: [0, 0], dilation: [1, 1], ceilMode: false }
    : { type: 'avgpool2d', index, kernelSize: [k, k], stride: [s, s], padding: [0, 0], ceilMode: false, countIncludePad: true, divisorOverride: r() < 0.2 ? 3 : null };
}

function randomCase(seed: number): Case {
  const r = mulberry32(seed);
  for (;;) {
    const cin = int(r, 1, 13);
    const mid = int(r, 4, 13);
    const layers: Layer[] = [conv3x3(r, 0, cin, mid), r() < 0.8 ? { type: 'relu', index: 1 } : { type: 'leaky_relu', index: 1, negativeSlope: 0.1 }];
    if (r() < 0.7) layers.push(pool(r, 2));
    if (r() < 0.4) layers.push(conv3x3(r, layers.length, mid, int(r, 8, 10)));
    const input: Shape = { channels: cin, height: pick(r, SIZES), width: pick(r, SIZES) };
    const c = caseFor(r, layers, input);
    if (c) return c;
  }
}

group('fast engine: 2-D Winograd F(4x4,3x3)', () => {
  it('reads whole 4-row tiles: neededRows rounds a 3x3 stride-1 conv out to tiles, and leaves other convs alone', () => {
    const base = { type: 'conv2d', index: 0, inChannels: 8, outChannels: 8, dilation: [1, 1], padding: { top: 1, bottom: 1, left: 1, right: 1 }, paddingMode: 'zeros', groups: 1, weight: new Float32Array(8 * 8 * 9), bias: null } as const;
    const tiled: Layer = { ...base, kernelSize: [3, 3], stride: [1, 1] };
    // Output row 5 lies in tile rows 4..7, which read padded rows 4..9, i.e. input rows 3..8.
    expect(neededRows(tiled, { start: 5, end: 6 }, 10)).toEqual({ start: 3, end: 9 });
    // The last tile (rows 8..11 of a 10-row map) reaches past the padding: those rows are zeros, not reads.
    expect(neededRows(tiled, { start: 9, end: 10 }, 10)).toEqual({ start: 7, end: 10 });
    expect(neededRows({ ...tiled, paddingMode: 'reflect' }, { start: 9, end: 10 }, 10)).toEqual({ start: 7, end: 10 });
    const strided: Layer = { ...base, kernelSize: [3, 3], stride: [2, 2] };
    expect(neededRows(strided, { start: 5, end: 6 }, 20)).toEqual({ start: 9, end: 12 });
  });

  /** A channels -> channels 3x3 conv + ReLU on a random height x width map: on the 2-D GEMM routine, within tolerance, the same bytes on threads 1/2/3 and in a band of rows. */
  async function checkConvRelu(seed: number, channels: number, height: number, width: number, band: { start: number; end: number }): Promise<void> {
    const r = mulberry32(seed);
    const conv = conv3x3(r, 0, channels, channels);
    const c: Case = { net: network(channels, [conv, { type: 'relu', index: 1 }]), input: { channels, height, width, data: Float32Array.from({ length: channels * height * width }, () => r() * 2 - 1) }, shapes: [] };
    c.shapes.push(...shapesOf(c.net.layers, c.input)!);
    const ref = await wholeRun(reference, c);
    const outs = await Promise.all([1, 2, 3].map((t) => wholeRun(engines.get(t)!, c)));
    expect(engines.get(3)!.lastTimings.map((s) => s.label)).toContain('0-1 conv2d[winograd2d]+relu');
    expect(firstMismatch(outs[0].data, ref.data, outs[0])).toBeNull();
    expect(sameBytes(outs[1].data, outs[0].data) && sameBytes(outs[2].data, outs[0].data)).toBe(true);
    expect(await bandMatchesWhole(engines.get(2)!, c, 1, outs[0].data, band)).toBe(true);
  }

  it('cuts wide tile rows into chunks of a multiple of 8 tiles, the fewest that fit and as equal as that allows', () => {
    expect(evenChunk(64, 44)).toBe(32); // W1's 32 -> 64 at 256 wide: 32 + 32, not 44 + 20
    expect(evenChunk(28, 16)).toBe(16);
    expect(evenChunk(100, 40)).toBe(40);
    expect(evenChunk(64, 12)).toBe(8); // 11 tiles per chunk rounds up past the fit: chunks of 8
    for (let tp = 8; tp <= 200; tp += 4) {
      for (let fit = 8; fit < tp; fit += 4) {
        const tc = evenChunk(tp, fit);
        expect(tc % 8, `${tp} ${fit}`).toBe(0);
        expect(tc, `${tp} ${fit}`).toBeLessThanOrEqual(fit);
        // No more chunks than the largest multiple of 8 within the fit would make.
        expect(Math.ceil(tp / tc), `${tp} ${fit}`).toBeLessThanOrEqual(Math.ceil(tp / (Math.floor(fit / 8) * 8)));
      }
    }
  });

  it('splits wide tile rows into column chunks that keep U, V and M in L2 (64 -> 64 channels, 97 wide: chunks of 16 + 12 tiles), bit-identical across threads and bands', async () => {
    await checkConvRelu(64, 64, 11, 97, { start: 5, end: 11 });
  });

  it('shrinks GEMM batches that would not split evenly across threads (56x56: 7 batches of 2 tile rows on 1 and 3 threads, 14 of 1 on 2), bit-identical across threads and bands', async () => {
    await checkConvRelu(56, 16, 56, 56, { start: 21, end: 50 });
  });

  it('splits maps of few GEMM batches by channel blocks, their input transforms first in a phase of their own (groups 1 and 2, column chunks), bit-identical across threads', async () => {
    // [groups, height, width, in, out]: one batch of 14x14; two groups; a 9x30 map; 64 -> 64 on 5x97 (2 tile rows of 2 column chunks).
    for (const [groups, h, w, cin, cout] of [[1, 14, 14, 24, 48], [2, 14, 14, 24, 48], [1, 9, 30, 24, 48], [1, 5, 97, 64, 64]] as const) {
      const r = mulberry32(14 * groups + w);
      const conv = { ...conv3x3(r, 0, cin, cout), groups, weight: Float32Array.from({ length: cout * (cin / groups) * 9 }, () => (r() * 2 - 1) / Math.sqrt((cin / groups) * 9)) };
      const c: Case = { net: network(cin, [conv, { type: 'relu', index: 1 }]), input: { channels: cin, height: h, width: w, data: Float32Array.from({ length: cin * h * w }, () => r() * 2 - 1) }, shapes: [] };
      c.shapes.push(...shapesOf(c.net.layers, c.input)!);
      const ref = await wholeRun(reference, c);
      const outs = await Promise.all([1, 2, 3].map((t) => wholeRun(engines.get(t)!, c)));
      const step = engines.get(2)!.lastTimings.find((s) => s.label.includes('[winograd2d]'))!;
      expect(step.phases.length, `${h}x${w}: padding, input transforms, GEMMs`).toBe(3);
      expect(firstMismatch(outs[0].data, ref.data, outs[0])).toBeNull();
      expect(sameBytes(outs[1].data, outs[0].data) && sameBytes(outs[2].data, outs[0].data)).toBe(true);
    }
  });

  it('matches the reference (all padding modes, fused and unfused pools, sizes around tiles); threads 1, 2, 3 and band splits give identical bytes', async () => {
    let gemm = 0;
    let small = 0;
    let fusedPools = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const c = randomCase(seed * 7717);
      const last = c.net.layers.length - 1;
      const ref = await wholeRun(reference, c);
      const outs = [];
      for (const t of [1, 2, 3]) outs.push(await wholeRun(engines.get(t)!, c));
      const labels = engines.get(3)!.lastTimings.map((s) => s.label);
      if (labels.some((l) => l.includes('[winograd2d]'))) gemm++;
      if (labels.some((l) => l.includes('[winograd2d_small]'))) small++;
      if (labels.some((l) => /\[winograd2d(_small)?\].*pool2d/.test(l))) fusedPools++;
      const bad = firstMismatch(outs[0].data, ref.data, outs[0]);
      expect(bad, `seed ${seed}: ${describe(c.net, c.input)}: ${bad}`).toBeNull();
      expect(sameBytes(outs[1].data, outs[0].data), `seed ${seed} threads 2`).toBe(true);
      expect(sameBytes(outs[2].data, outs[0].data), `seed ${seed} threads 3`).toBe(true);
      // Bands cut at every row (inside tiles, at tile edges): each equals the same rows of the whole run.
      const s = c.shapes[last];
      const cuts = mulberry32(seed);
      for (let k = 0; k < 2 && s.height > 1; k++) {
        const cut = 1 + Math.floor(cuts() * (s.height - 1));
        for (const out of [{ start: 0, end: cut }, { start: cut, end: s.height }]) {
          expect(await bandMatchesWhole(engines.get(2)!, c, last, outs[0].data, out), `seed ${seed} rows ${out.start}..${out.end}: ${describe(c.net, c.input)}`).toBe(true);
        }
      }
    }
    expect(gemm).toBeGreaterThan(40);
    expect(small).toBeGreaterThan(25); // auto takes it only when a pool follows (else row-wise F(4,3))
    expect(fusedPools).toBeGreaterThan(30);
  });
});
