// The winograd2d routine (winograd2d_f32, winograd2d_input_f32): 2-D Winograd F(4x4,3x3) as 36 GEMMs for 3x3 stride-1 convs
// with >= 8 channels in and out per group. Sizes at, below and above the 4-pixel tiles and the 4-tile groups, column chunks,
// batches and channel-block splits (chosen by the bytes each streams when U does not fit in L2), tiles packed across tile rows;
// within tolerance of the reference (deep VGG-like layers too), with fused and unfused pools; the same bytes on threads 1/2/3
// and in bands cut inside tiles.
import { afterEach, describe as group, expect, it } from 'vitest';
import { neededRows } from '../../src/engine/band.js';
import { outputRowTile } from '../../src/engine/tiles.js';
import { blocking } from '../../src/engine/fast/machine.js';
import { blockBatchRows, blockSplitBytes, busiestRows, evenChunk, rowBatchBytes, rowBatchRows, rowSplitBytes, splitTraffic, type SplitTraffic } from '../../src/engine/fast/routines/winograd2d.js';
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
    // Output row 5 lies in tile rows 4..7, which read padded rows 4..9, i.e. input rows 3..8 (10x14: 6x6 tiles would cover 12x18).
    const map = { height: 10, width: 14 };
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

  /** What a layer of icg -> oc channels (F(4x4) or F(6x6) tiles) streams on an nt x tp tile map with an L2 budget of l2 bytes, on 2 threads. */
  const trafficOf = (tile: number, icg: number, oc: number, nt: number, tp: number, l2: number): SplitTraffic => splitTraffic((tile + 2) ** 2, icg, Math.ceil(oc / 4), tp, nt, 2, l2);

  it('weighs what each split streams when U does not fit in L2: VGG16 splits 56x56 and 28x28 maps by channel blocks in one batch, 112x112 by tile rows (1 and 2 MiB L2)', () => {
    process.env.CNNX_CACHE_SIZES = '32K,1M';
    const l2 = blocking().l2Budget; // what the planner may fill of a 1 MiB L2
    // 56x56, 256 -> 256: by rows, each of 7 batches a thread streams all 9.4 MB of U; by blocks, half of U once, V, and M.
    const conv3 = trafficOf(4, 256, 256, 14, 16, l2);
    expect(rowSplitBytes(conv3, 1)).toBe(7 * 9_437_184);
    // A tile row's V and M (0.6 MB each) pass the L2's budget too: written, read for ownership, and read back.
    expect(rowBatchBytes(conv3, 1)).toBe(7 * (9_437_184 + 3 * (2 * 589_824 - l2)));
    expect(blockBatchRows(conv3, 2)).toBe(14);
    expect(blockSplitBytes(conv3, 14)).toBeLessThan(rowSplitBytes(conv3, 1) / 2);
    // 28x28, 512 -> 512: the whole map in one batch, half of U per thread instead of all of it in two batches.
    const conv4 = trafficOf(4, 512, 512, 7, 8, l2);
    expect(blockBatchRows(conv4, 4)).toBe(7);
    expect(blockSplitBytes(conv4, 7)).toBeLessThan(blockSplitBytes(conv4, 4));
    // 112x112, 128 -> 128 in 6x6 tiles: U (4 MB) is small beside V and M, so batches of 2 tile rows stay cheaper.
    const conv2 = trafficOf(6, 128, 128, 19, 20, l2);
    expect(rowSplitBytes(conv2, 2)).toBeLessThan(blockSplitBytes(conv2, blockBatchRows(conv2, 2)));
    // With a 2 MiB L2 a batch's M fits, so what decides 112x112 is V: written by the input phase (read for
    // ownership, then written back), then read back by every block. 128 -> 128 and 64 -> 128 stay by rows.
    process.env.CNNX_CACHE_SIZES = '48K,2M';
    const l2x2 = blocking().l2Budget;
    for (const icg of [128, 64]) {
      const t = trafficOf(6, icg, 128, 19, 20, l2x2);
      expect(rowSplitBytes(t, 2)).toBeLessThan(blockSplitBytes(t, blockBatchRows(t, 2)));
    }
    expect(blockSplitBytes(trafficOf(4, 512, 512, 7, 8, l2x2), 7)).toBeLessThan(rowSplitBytes(trafficOf(4, 512, 512, 7, 8, l2x2), 4));
    // A point's V (read again for every block) keeps within half of L2; within that, the fewest bytes.
    const tall = trafficOf(4, 256, 256, 200, 16, l2);
    const limit = Math.floor((l2 / 2) * tall.points / tall.vRowBytes);
    const nr = blockBatchRows(tall, 2);
    expect(nr).toBeLessThanOrEqual(limit);
    for (let k = 2; k <= limit; k++) expect(blockSplitBytes(tall, nr)).toBeLessThanOrEqual(blockSplitBytes(tall, k));
  });

  it('on one thread, batches the whole small map of a deep layer whose U streams from memory, unless its V and M would cost more (2 MiB L2)', () => {
    process.env.CNNX_CACHE_SIZES = '48K,2M';
    const l2 = blocking().l2Budget;
    const oneThread = (tile: number, icg: number, oc: number, nt: number, tp: number): SplitTraffic => splitTraffic((tile + 2) ** 2, icg, Math.ceil(oc / 4), tp, nt, 1, l2);
    // 28x28, 512 -> 512: all 38 MB of U once, against twice in the two batches of 32 tiles the planner starts from.
    const conv4 = oneThread(4, 512, 512, 7, 8);
    expect(rowBatchRows(conv4, 4)).toBe(7);
    expect(rowBatchBytes(conv4, 7)).toBeLessThan(rowBatchBytes(conv4, 4) * 0.7);
    // 56x56, 256 -> 256 in 6x6 tiles: one batch of 10 tile rows, not 4 of 3.
    expect(rowBatchRows(oneThread(6, 256, 256, 10, 12), 3)).toBe(10);
    // 112x112, 128 -> 128 in 6x6 tiles: U is 4 MB, and a third tile row would send more of V and M through memory than a batch saves.
    const conv2 = oneThread(6, 128, 128, 19, 20);
    expect(rowBatchRows(conv2, 2)).toBe(2);
    for (let nr = 3; nr <= 19; nr++) expect(rowBatchBytes(conv2, nr)).toBeGreaterThan(rowBatchBytes(conv2, 2));
    // On 2 threads, row batches leave two a thread (7 tile rows: at most 2 rows a batch).
    expect(rowBatchRows(trafficOf(4, 512, 512, 7, 8, l2), 1)).toBeLessThanOrEqual(2);
    // A tall band (a huge photo's 512-channel stage, 200 tile rows of 32 tiles): one point's V within half of L2, which
    // bounds the batch's V and M, not the whole band in one batch.
    const tall = oneThread(4, 512, 512, 200, 32);
    const limit = Math.floor(((l2 / 2) * tall.points) / tall.vRowBytes);
    const nr = rowBatchRows(tall, 1);
    expect(nr).toBeLessThanOrEqual(limit);
    for (let k = 1; k <= limit; k++) expect(rowBatchBytes(tall, nr)).toBeLessThanOrEqual(rowBatchBytes(tall, k));
    expect(rowBatchBytes(tall, 200)).toBeLessThan(rowBatchBytes(tall, nr)); // the bound, not the bytes, stops it
  });

  it('runs a streamed layer\'s one-thread batch of the whole map bit-identically to split runs (a 64 KiB L2: 24 -> 32 on 20x20)', async () => {
    process.env.CNNX_CACHE_SIZES = '32K,64K';
    // U (110 KB) does not fit; 5 tile rows in one batch stream it once, where the planner's first guess, 4, takes two.
    expect(rowBatchRows(splitTraffic(36, 24, 8, 8, 5, 1, blocking().l2Budget), 4)).toBe(5);
    expect(await checkConvRelu(engines, 'winograd2d', 20, { cin: 24, cout: 32, height: 20, width: 20 }, { start: 6, end: 17 })).toBe(3);
  });

  afterEach(() => {
    delete process.env.CNNX_CACHE_SIZES;
    delete process.env.CNNX_WINOGRAD_TILE;
  });

  it('splits by channel blocks where that streams fewer bytes (a 512 KiB L2: 32 -> 128 on 24x52, 48 -> 40 on 26x26), tiles packed across tile rows, bit-identical across threads and bands', async () => {
    process.env.CNNX_CACHE_SIZES = '32K,512K';
    process.env.CNNX_WINOGRAD_TILE = '4'; // 24x52 would take 6x6 tiles
    // 24x52: 6 batches of one tile row would share evenly, but each streams all of U; by blocks, batches of 3 tile
    // rows, 13 tiles a row packed (39 a batch), not 16.
    const wide = trafficOf(4, 32, 128, 6, 16, blocking().l2Budget);
    expect(blockBatchRows(wide, 2)).toBe(3);
    expect(blockSplitBytes(wide, 3)).toBeLessThan(rowSplitBytes(wide, 1));
    expect(await checkConvRelu(engines, 'winograd2d', 24, { cin: 32, cout: 128, height: 24, width: 52 }, { start: 5, end: 19 }), 'padding, input transforms, GEMMs').toBe(3);
    // 26x26: 7 tiles a row, so groups of 4 tiles run over into the next row and across panels of 8.
    expect(await checkConvRelu(engines, 'winograd2d', 26, { cin: 48, cout: 40, height: 26, width: 26 }, { start: 9, end: 26 })).toBe(3);
  });

  it('splits maps of few GEMM batches by channel blocks, their input transforms first in a phase of their own split by chunk and input channel (groups 1 and 2, column chunks), bit-identical across threads', async () => {
    // [groups, height, width, in, out]: one batch of 14x14; two groups; a 9x30 map; 64 -> 64 on 8x97 (2 tile rows of 2 column chunks);
    // 7x7 (4 tiles: the GEMMs' half panels, 5 blocks: two of 8 channels and one of 4).
    for (const [groups, h, w, cin, cout] of [[1, 14, 14, 24, 48], [2, 14, 14, 24, 48], [1, 9, 30, 24, 48], [1, 8, 97, 64, 64], [1, 7, 7, 24, 20]] as const) {
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
