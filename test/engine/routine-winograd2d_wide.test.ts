// The winograd2d_wide routine (winograd2d_wide_f32, winograd2d_wide_input_f32): 2-D Winograd F(6x6,3x3) as 64 GEMMs for 3x3
// stride-1 convs on the maps where its cost model says it pays. Which maps those are; sizes around the 6-pixel tiles and the
// 4-tile groups (24 pixels), column chunks, batches and channel-block splits; within tolerance of the reference (deep VGG-like
// layers too), with fused 2x2 and unfused other pools; the same bytes on threads 1/2/3 and in bands cut inside tiles.
import { describe as group, expect, it } from 'vitest';
import { neededRows } from '../../src/engine/band.js';
import { outputRowTile, wideTilesPay } from '../../src/engine/tiles.js';
import type { Layer } from '../../src/network/types.js';
import { int, pick } from './fast-nets.js';
import { checkConvRelu, checkRoutine, checkDeepLayer, randomConv, randomTail, routineCase, routineEngines } from './routine-check.js';

const engines = routineEngines('auto');

/** Widths where 6-pixel tiles pay for few channels (17..24 and 33..48), around the tiles and their groups of 4. */
const WIDTHS = [17, 18, 19, 23, 24, 33, 35, 36, 41, 47, 48];
const HEIGHTS = [1, 2, 5, 6, 7, 11, 12, 13, 18, 19, 24, 25];

function make(r: () => number): { layers: Layer[]; input: { channels: number; height: number; width: number } } {
  const cin = int(r, 8, 20);
  const mid = int(r, 8, 20);
  // 2 folds into the 6x6 tiles; 4 (which would straddle them), 3 and overlapping windows run unfused.
  const layers: Layer[] = [randomConv(r, { cin, cout: mid, kernel: [3, 3] }), ...randomTail(r, mid, { bn: 0.2, act: 1, pool: 0.7, pools: [[2, 2], [2, 2], [4, 4], [3, 3], [3, 2]] })];
  return { layers, input: { channels: cin, height: pick(r, HEIGHTS), width: pick(r, WIDTHS) } };
}

function conv3x3Layer(cin: number, cout: number): Layer {
  return { type: 'conv2d', index: 0, inChannels: cin, outChannels: cout, kernelSize: [3, 3], stride: [1, 1], dilation: [1, 1], padding: { top: 1, bottom: 1, left: 1, right: 1 }, paddingMode: 'zeros', groups: 1, weight: new Float32Array(cout * cin * 9), bias: null };
}

group('routine winograd2d_wide', () => {
  it('takes the maps where fewer multiplies outweigh padding to whole 6x6 tiles (VGG16 at 224: the 224, 112 and 56 stages)', () => {
    expect(wideTilesPay(64, 64, 224, 224)).toBe(true);
    expect(wideTilesPay(128, 128, 112, 112)).toBe(true);
    expect(wideTilesPay(256, 256, 56, 56)).toBe(true); // 100 tiles of 6x6 for 56x56: 60 rows, against 196 of 4x4
    expect(wideTilesPay(512, 512, 28, 28)).toBe(false); // modelled 1.035x cheaper, inside the margin
    expect(wideTilesPay(512, 512, 14, 14)).toBe(false); // 18x18 outputs for 14x14
    expect(wideTilesPay(64, 64, 56, 56)).toBe(false); // ResNet's layer1: modelled 1.04x, inside the margin
    expect(wideTilesPay(128, 128, 64, 64)).toBe(true);
    expect(wideTilesPay(256, 256, 30, 40)).toBe(true); // ResNet's layer3 on 480x640
    expect(wideTilesPay(512, 512, 15, 20)).toBe(false); // 3 x 4 tiles of 6x6 cover 18x24: more multiplies than 4 x 5 of 4x4
    expect(outputRowTile(conv3x3Layer(64, 64), { height: 224, width: 224 })).toBe(6);
    expect(outputRowTile(conv3x3Layer(64, 64), { height: 28, width: 28 })).toBe(4);
    expect(outputRowTile(conv3x3Layer(4, 64), { height: 224, width: 224 })).toBe(4); // few channels: winograd2d_small's 4x4 tiles
    expect(outputRowTile({ ...conv3x3Layer(64, 64), stride: [2, 2] } as Layer, { height: 224, width: 224 })).toBe(1);
  });

  it('reads whole 6-row tiles: neededRows rounds out to them on a map where they pay', () => {
    const layer = conv3x3Layer(64, 64);
    const map = { height: 224, width: 224 };
    // Output row 7 lies in tile rows 6..11, which read padded rows 6..13, i.e. input rows 5..12.
    expect(neededRows(layer, { start: 7, end: 8 }, 224, map)).toEqual({ start: 5, end: 13 });
    // The last tile (rows 222..227 of a 224-row map) reaches past the padding: those rows are zeros, not reads.
    expect(neededRows(layer, { start: 223, end: 224 }, 224, map)).toEqual({ start: 221, end: 224 });
    // The same layer on a 28x28 map keeps 4-row tiles: rows 4..7 read input rows 3..8.
    expect(neededRows(layer, { start: 5, end: 6 }, 28, { height: 28, width: 28 })).toEqual({ start: 3, end: 9 });
  });

  it('splits wide tile rows into column chunks and batches of tile rows (64 -> 64 channels on 40x230), bit-identical across threads and bands', async () => {
    expect(await checkConvRelu(engines, 'winograd2d_wide', 230, { cin: 64, cout: 64, height: 40, width: 230 }, { start: 13, end: 29 })).toBe(2);
  });

  it('splits maps of few GEMM batches by channel blocks, their input transforms first in a phase of their own (groups 1 and 2), bit-identical across threads and bands', async () => {
    expect(await checkConvRelu(engines, 'winograd2d_wide', 20, { cin: 96, cout: 128, height: 18, width: 18 }, { start: 7, end: 18 })).toBe(3);
    expect(await checkConvRelu(engines, 'winograd2d_wide', 21, { cin: 96, cout: 128, height: 24, width: 24, groups: 2 }, { start: 0, end: 11 })).toBe(3);
    // 10 tile rows in GEMM batches of 3 (3, 3, 3, 1) would leave one thread 6 rows to the other's 4: channel blocks instead.
    expect(await checkConvRelu(engines, 'winograd2d_wide', 56, { cin: 96, cout: 96, height: 56, width: 48 }, { start: 20, end: 41 })).toBe(3);
  });

  it('matches the reference (all padding modes, fused and unfused pools, sizes around tiles); threads 1, 2, 3 and bands cut inside tiles give identical bytes', async () => {
    let fused = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const c = routineCase('winograd2d_wide', 'auto', seed * 6151, make);
      if ((await checkRoutine('winograd2d_wide', engines, c, seed, 2)).fusedPool) fused++;
    }
    expect(fused).toBeGreaterThan(10);
  });

  it.each([256, 512])('stays inside the tolerance on a deep layer (%i -> 128 channels, VGG-like weights, 18x18)', async (ic) => {
    await checkDeepLayer(engines, 'winograd2d_wide', ic, 18);
  });
});
