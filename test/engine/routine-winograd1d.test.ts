// The winograd1d routine (winograd1d_f32 after winograd1d_input_f32): row-wise Winograd F(4,3) as 6 GEMMs for 3-wide
// x-stride-1 convs with many channels. Widths at, below and above the 4-pixel tiles and the 8-tile GEMM strips, kernel
// heights 1..5, y-strides and dilations; within tolerance of the reference, the same bytes on threads 1/2/3 and in bands.
import { describe as group, expect, it } from 'vitest';
import type { Layer } from '../../src/network/types.js';
import { int, pick } from './fast-nets.js';
import { checkRoutine, checkDeepLayer, randomConv, randomTail, routineCase, routineEngines } from './routine-check.js';

// 'winograd-x' keeps 3x3 stride-1 convs row-wise too; 'auto' gives them to winograd2d.
const engines = routineEngines('winograd-x');

/** Conv widths around the 4-pixel tiles and the strips of 8 tiles (32 pixels). */
const WIDTHS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 35, 36, 37, 63, 64, 65];

function make(r: () => number): { layers: Layer[]; input: { channels: number; height: number; width: number } } {
  const groups = r() < 0.15 ? 2 : 1;
  const cin = groups * int(r, 8, 12);
  const cout = groups * int(r, 1, 13);
  const conv = randomConv(r, { cin, cout, groups, kernel: [int(r, 1, 5), 3], stride: [pick(r, [1, 1, 2]), 1], dilation: [pick(r, [1, 1, 2]), 1] });
  const layers: Layer[] = [conv, ...randomTail(r, cout, { pools: [[2, 2], [2, 2], [3, 3], [4, 4], [3, 2]] })];
  return { layers, input: { channels: cin, height: pick(r, [1, 2, 3, 5, 8, 9, 13]), width: pick(r, WIDTHS) } };
}

group('routine winograd1d', () => {
  it('matches the reference (all padding modes, kernel heights 1..5, y-strides, dilations, groups, batchnorm, fused and unfused pools); threads 1, 2, 3 and bands give identical bytes', async () => {
    let fused = 0;
    for (let seed = 1; seed <= 80; seed++) {
      const c = routineCase('winograd1d', 'winograd-x', seed * 104729, make);
      if ((await checkRoutine('winograd1d', engines, c, seed)).fusedPool) fused++;
    }
    expect(fused).toBeGreaterThan(15);
  });

  it('stays inside the tolerance on a deep layer (256 -> 128 channels, VGG-like weights)', async () => {
    await checkDeepLayer(engines, 'winograd1d', 256, 18);
  });
});
