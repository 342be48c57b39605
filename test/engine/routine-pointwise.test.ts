// The pointwise routine (pointwise_f32): 1x1 stride-1 unpadded convs as one GEMM over the band's pixels in virtual rows of 256,
// with the left-over pixels in a row of their own; with a fused pool, real rows as the direct routine. Maps whose pixel count
// falls at, below and above the virtual row and the 4- and 8-pixel strips; within tolerance of the reference, the same bytes
// on threads 1/2/3 and in bands. From 512 input channels each call packs its virtual row into strips of 8 pixels and runs
// the channel blocks over groups of strips a quarter of the L2 holds: a tiny L2 (CNNX_CACHE_SIZES) makes every group one strip.
import { afterEach, describe as group, expect, it } from 'vitest';
import type { Layer } from '../../src/network/types.js';
import { int, pick } from './fast-nets.js';
import { checkRoutine, randomConv, randomTail, routineCase, routineEngines } from './routine-check.js';

const engines = routineEngines('auto');

/** [height, width] with height x width around 256 (one virtual row) and the strips, tiny maps and wide ones. */
const SIZES: [number, number][] = [[1, 1], [1, 7], [7, 7], [2, 4], [3, 3], [16, 16], [15, 17], [17, 16], [8, 33], [14, 14], [28, 28], [5, 103], [32, 9], [1, 600]];

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
