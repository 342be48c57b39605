// The depthwise routine (depthwise_f32): convs with one input channel per group, direct taps vectorised along x.
// Sizes at, below and above the 4-pixel tail and the 16-pixel strip, channel multipliers 1..3, all padding modes, x- and y-strides,
// dilations, batchnorm, activations; within tolerance of the reference, the same bytes on threads 1/2/3 and in bands.
// The routine pads the rows it reads itself, as many as a quarter of the L2 holds: a tiny L2 (CNNX_CACHE_SIZES) makes it
// pad again for nearly every output row.
import { afterEach, describe as group, it } from 'vitest';
import { depthwiseLayers } from './depthwise-cases.js';
import { checkRoutine, routineCase, routineEngines } from './routine-check.js';

const engines = routineEngines('auto');

group('routine depthwise', () => {
  it('matches the reference on random shapes (all padding modes); threads 1, 2, 3 and bands give identical bytes', async () => {
    for (let seed = 1; seed <= 150; seed++) await checkRoutine('depthwise', engines, routineCase('depthwise', 'auto', seed * 7717, depthwiseLayers(false)), seed);
  });

  afterEach(() => {
    delete process.env.CNNX_CACHE_SIZES;
  });

  it('pads a few rows at a time when the L2 is small, with the same results', async () => {
    process.env.CNNX_CACHE_SIZES = '1K,1K';
    for (let seed = 151; seed <= 200; seed++) await checkRoutine('depthwise', engines, routineCase('depthwise', 'auto', seed * 7717, depthwiseLayers(false)), seed, 2);
  });
});
