// The winograd2d_small routine (winograd2d_small_f32): 2-D Winograd F(4x4,3x3) for 3x3 stride-1 convs with 1..7 input channels
// per group, products summed over channels in registers. Sizes at, below and above the 4-pixel tiles and the 4-tile groups;
// pools inside the tiles (2x2, 4x4), over units of conv rows (8x8, 16x16) and unfused ones; within tolerance of the reference,
// the same bytes on threads 1/2/3 and in bands cut inside tiles.
import { describe as group, expect, it } from 'vitest';
import type { Layer } from '../../src/network/types.js';
import { int, pick } from './fast-nets.js';
import { checkRoutine, randomConv, randomTail, routineCase, routineEngines } from './routine-check.js';

// 'auto' runs 2..7 input channels here (one goes to winograd1d_small); 'winograd' any of 1..7.
const auto = routineEngines('auto');
const winograd = routineEngines('winograd');

/** Map sizes around the 4-pixel tiles and the 4-tile groups (16 pixels) of the transforms. */
const SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 18, 21, 31, 33, 35, 40];

function make(minChannels: number) {
  return (r: () => number): { layers: Layer[]; input: { channels: number; height: number; width: number } } => {
    const groups = r() < 0.15 ? 2 : 1;
    const cin = groups * int(r, minChannels, 7);
    const cout = groups * int(r, 1, 13);
    const conv = randomConv(r, { cin, cout, groups, kernel: [3, 3] });
    // 2, 4, 8 and 16 fold in; 3 (stride 3) and overlapping windows run unfused.
    const layers: Layer[] = [conv, ...randomTail(r, cout, { bn: 0.2, act: 0.9, pool: 0.7, pools: [[2, 2], [2, 2], [4, 4], [8, 8], [16, 16], [3, 3], [3, 2]] })];
    return { layers, input: { channels: cin, height: pick(r, SIZES), width: pick(r, SIZES) } };
  };
}

group('routine winograd2d_small', () => {
  for (const [name, engines, setting, minChannels] of [['auto', auto, 'auto', 2], ['winograd', winograd, 'winograd', 1]] as const) {
    it(`${name}: matches the reference (all padding modes, groups, batchnorm, fused and unfused pools, sizes around tiles); threads 1, 2, 3 and bands cut inside tiles give identical bytes`, async () => {
      let fused = 0;
      for (let seed = 1; seed <= 70; seed++) {
        const c = routineCase('winograd2d_small', setting, seed * 7717 + minChannels, make(minChannels));
        if ((await checkRoutine('winograd2d_small', engines, c, seed, 2)).fusedPool) fused++;
      }
      expect(fused).toBeGreaterThan(12);
    });
  }
});
