// The winograd2d routine (winograd2d_f32, winograd2d_input_f32): 2-D Winograd F(4x4,3x3) as 36 GEMMs for 3x3 stride-1 convs
// with >= 8 channels in and out per group. Sizes at, below and above the 4-pixel tiles and the 4-tile groups, column chunks,
// batches and channel-block splits; within tolerance of the reference (deep VGG-like layers too), with fused and unfused pools;
// the same bytes on threads 1/2/3 and in bands cut inside tiles.
import { describe as group, expect, it } from 'vitest';
import { neededRows } from '../../src/engine/band.js';
import { outputRowTile } from '../../src/engine/tiles.js';
import { busiestRows, evenChunk } from '../../src/engine/fast/routines/winograd2d.js';
import { createReferenceEngine } from '../../src/engine/reference.js';
import type { Conv2dLayer, Layer } from '../../src/network/types.js';
import { firstMismatch, int, mulberry32, network, pick, sameBytes, shapesOf, wholeRun, type Case } from './fast-nets.js';
import { checkConvRelu, checkRoutine, checkDeepLayer, randomConv, randomTail, routineCase, routineEngines } from './routine-check.js';

const reference = createReferenceEngine();
const engines = routineEngines('auto');

/** Map sizes around the 4-pixel tiles and the 4-tile groups (16 pixels) of the transforms. */
const SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 18, 21, 31, 33, 35, 40];

function conv3x3(r: () => number, cin: number, cout: number, groups = 1): Conv2dLayer {
  return randomConv(r, { cin, cout, groups, kernel: [3, 3] });
}

/** The conv with padding 1 on every side (zeros or its own mode), so the output map, which decides the tile size, is the input's. */
function samePadding(conv: Conv2dLayer): Conv2dLayer {
  return { ...conv, padding: { top: 1, bottom: 1, left: 1, right: 1 } };
}

function make(r: () => number): { layers: Layer[]; input: { channels: number; height: number; width: number } } {
  const cin = int(r, 8, 13);
  const mid = int(r, 8, 13);
  // 2 and 4 fold into the tiles; 8 (stride 8), 3 (stride 3) and overlapping windows run unfused.
  const layers: Layer[] = [conv3x3(r, cin, mid), ...randomTail(r, mid, { bn: 0.2, act: 1, pool: 0.7, pools: [[2, 2], [2, 2], [4, 4], [8, 8], [3, 3], [3, 2]] })];
  if (r() < 0.4) layers.push({ ...conv3x3(r, mid, int(r, 8, 10)), index: layers.length });
  return { layers, input: { channels: cin, height: pick(r, SIZES), width: pick(r, SIZES) } };
}

group('routine winograd2d', () => {
  it('reads whole 4-row tiles: neededRows rounds a 3x3 stride-1 conv out to tiles, and leaves other convs alone', () => {
    const base = { type: 'conv2d', index: 0, inChannels: 8, outChannels: 8, dilation: [1, 1], padding: { top: 1, bottom: 1, left: 1, right: 1 }, paddingMode: 'zeros', groups: 1, weight: new Float32Array(8 * 8 * 9), bias: null } as const;
    const tiled: Layer = { ...base, kernelSize: [3, 3], stride: [1, 1] };
    // Output row 5 lies in tile rows 4..7, which read padded rows 4..9, i.e. input rows 3..8.
    const map = { height: 10, width: 10 };
    expect(outputRowTile(tiled, map)).toBe(4);
    expect(neededRows(tiled, { start: 5, end: 6 }, 10, map)).toEqual({ start: 3, end: 9 });
    // The last tile (rows 8..11 of a 10-row map) reaches past the padding: those rows are zeros, not reads.
    expect(neededRows(tiled, { start: 9, end: 10 }, 10, map)).toEqual({ start: 7, end: 10 });
    expect(neededRows({ ...tiled, paddingMode: 'reflect' }, { start: 9, end: 10 }, 10, map)).toEqual({ start: 7, end: 10 });
    const strided: Layer = { ...base, kernelSize: [3, 3], stride: [2, 2] };
    expect(neededRows(strided, { start: 5, end: 6 }, 20, { height: 10, width: 10 })).toEqual({ start: 9, end: 12 });
  });

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

  it('weighs a split by tile rows, not by batches: a short last batch can leave one thread behind', () => {
    // 10 tile rows in batches of 3 (3, 3, 3, 1): 6 rows on one thread against 5 each if even, so channel blocks split the map instead.
    expect(busiestRows(10, 3, 2)).toBe(6);
    expect(busiestRows(14, 1, 2)).toBe(7);
    expect(busiestRows(14, 2, 2)).toBe(8); // 7 batches of 2
    expect(busiestRows(12, 4, 3)).toBe(4);
    expect(busiestRows(5, 4, 1)).toBe(5);
  });

  it('splits wide tile rows into column chunks that keep U, V and M in L2 (64 -> 64 channels, 97 wide: chunks of 16 + 12 tiles), bit-identical across threads and bands', async () => {
    // 8 rows: two 4-row tiles, where 6-row tiles would waste a third of their rows (F(6x6) would not pay).
    await checkConvRelu(engines, 'winograd2d', 64, { cin: 64, cout: 64, height: 8, width: 97 }, { start: 3, end: 8 });
  });

  it('shrinks GEMM batches that would not split evenly across threads (56x56: 7 batches of 2 tile rows on 1 and 3 threads, 14 of 1 on 2), bit-identical across threads and bands', async () => {
    await checkConvRelu(engines, 'winograd2d', 56, { cin: 16, cout: 16, height: 56, width: 56 }, { start: 21, end: 50 });
  });

  it('splits maps of few GEMM batches by channel blocks, their input transforms first in a phase of their own split by chunk and input channel (groups 1 and 2, column chunks), bit-identical across threads', async () => {
    // [groups, height, width, in, out]: one batch of 14x14; two groups; a 9x30 map; 64 -> 64 on 8x97 (2 tile rows of 2 column chunks).
    for (const [groups, h, w, cin, cout] of [[1, 14, 14, 24, 48], [2, 14, 14, 24, 48], [1, 9, 30, 24, 48], [1, 8, 97, 64, 64]] as const) {
      const r = mulberry32(14 * groups + w);
      const conv = samePadding(conv3x3(r, cin, cout, groups));
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

  it('matches the reference (all padding modes, fused and unfused pools, sizes around tiles); threads 1, 2, 3 and bands cut inside tiles give identical bytes', async () => {
    let fused = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const c = routineCase('winograd2d', 'auto', seed * 7717, make);
      if ((await checkRoutine('winograd2d', engines, c, seed, 2)).fusedPool) fused++;
    }
    expect(fused).toBeGreaterThan(25);
  });

  it.each([256, 512])('stays inside the tolerance on a deep layer (%i -> 128 channels, VGG-like weights, 14x14)', async (ic) => {
    await checkDeepLayer(engines, 'winograd2d', ic, 14);
  });
});
