// The depthwise routine (depthwise_f32): convs with one input channel per group, direct taps vectorised along x.
// Sizes at, below and above the 4-pixel tail and the 16-pixel strip, channel multipliers 1..3, all padding modes, x- and y-strides,
// dilations, batchnorm, activations; within tolerance of the reference, the same bytes on threads 1/2/3 and in bands.
// The routine pads the rows it reads itself, as many as a quarter of the L2 holds: a tiny L2 (CNNX_CACHE_SIZES) makes it
// pad again for nearly every output row. 3x3 kernels with x-dilation 1 run with their taps in registers, at x-stride 2
// from plain padded rows when padded (K3X3), and rows of 8 outputs or more carry vectors from step to step: a test of
// their own covers both strides and both kinds of rows. With zero padding one column wide on the left (at most one on the
// right) they read the band's rows in place instead of padding them (IN_PLACE): a test of its own.
import { afterEach, describe as group, expect, it } from 'vitest';
import type { Conv2dLayer } from '../../src/network/types.js';
import { depthwiseLayers } from './depthwise-cases.js';
import { pick, type Rand } from './fast-nets.js';
import { checkRoutine, routineCase, routineEngines } from './routine-check.js';

const engines = routineEngines('auto');

group('routine depthwise', () => {
  it('matches the reference on random shapes (all padding modes); threads 1, 2, 3 and bands give identical bytes', async () => {
    for (let seed = 1; seed <= 150; seed++) await checkRoutine('depthwise', engines, routineCase('depthwise', 'auto', seed * 7717, depthwiseLayers(false)), seed);
  });

  it('runs 3x3 kernels at x-strides 1 and 2 (plain padded rows, vectors carried along rows) with the same results', async () => {
    // dwRows3x3 has one instance per x-stride and activation: every pair must run.
    const instances = new Set<string>();
    let stride1 = 0;
    let stride2 = 0;
    let carried1 = 0;
    let carried2 = 0;
    for (let seed = 201; seed <= 300; seed++) {
      const c = routineCase('depthwise', 'auto', seed * 7717, depthwiseLayers(false, true));
      await checkRoutine('depthwise', engines, c, seed);
      const conv = c.net.layers[0] as Conv2dLayer;
      const padded = conv.padding.top + conv.padding.bottom + conv.padding.left + conv.padding.right > 0;
      if (conv.dilation[1] !== 1) continue;
      // Rows of 8 or more outputs carry vectors from step to step (dwRows3x3) before their last steps.
      const outWidth = Math.floor((c.input.width + conv.padding.left + conv.padding.right - 3) / conv.stride[1]) + 1;
      const after = c.net.layers.find((l, i) => i > 0 && l.type !== 'batchnorm2d');
      const act = after && ['relu', 'relu6', 'leaky_relu'].includes(after.type) ? after.type : 'none';
      if (conv.stride[1] === 1 || (conv.stride[1] === 2 && padded)) instances.add(`x-stride ${conv.stride[1]}, ${act}`);
      if (conv.stride[1] === 1) {
        stride1++;
        if (outWidth >= 8) carried1++;
      } else if (conv.stride[1] === 2 && padded) {
        stride2++;
        if (outWidth >= 8) carried2++;
      }
    }
    expect(stride1).toBeGreaterThan(20);
    expect(stride2).toBeGreaterThan(15);
    expect(carried1).toBeGreaterThan(10);
    expect(carried2).toBeGreaterThan(3);
    expect([...instances].sort()).toEqual(['none', 'relu', 'relu6', 'leaky_relu'].flatMap((a) => [1, 2].map((x) => `x-stride ${x}, ${a}`)).sort());
  });

  it('reads zero-padded rows in place (one padding column on the left, at most one on the right) with the same results', async () => {
    // IN_PLACE: no copy of the rows; the padding columns are made zero in registers, rows outside the map read a zero row.
    const inPlace = (r: Rand) => {
      const c = depthwiseLayers(false, true)(r);
      const conv = c.layers[0] as Conv2dLayer;
      const padding = { ...conv.padding, left: 1, right: pick(r, [0, 1]) };
      return { ...c, layers: [{ ...conv, paddingMode: 'zeros' as const, dilation: [1, 1] as [number, number], padding }, ...c.layers.slice(1)] };
    };
    const seen = new Set<string>();
    for (let seed = 401; seed <= 520; seed++) {
      const c = routineCase('depthwise', 'auto', seed * 7717, inPlace);
      await checkRoutine('depthwise', engines, c, seed, 2);
      const conv = c.net.layers[0] as Conv2dLayer;
      const outWidth = Math.floor((c.input.width + 1 + conv.padding.right - 3) / conv.stride[1]) + 1;
      if (conv.stride[1] <= 2) seen.add(`x-stride ${conv.stride[1]}, right ${conv.padding.right}, ${outWidth >= 8 ? 'carried' : 'short'} rows`);
    }
    // Both strides and right paddings, rows long enough to carry vectors and rows too short to.
    expect(seen.size).toBe(8);
  });

  afterEach(() => {
    delete process.env.CNNX_CACHE_SIZES;
  });

  it('pads a few rows at a time when the L2 is small, with the same results', async () => {
    process.env.CNNX_CACHE_SIZES = '1K,1K';
    for (let seed = 151; seed <= 200; seed++) await checkRoutine('depthwise', engines, routineCase('depthwise', 'auto', seed * 7717, depthwiseLayers(false)), seed, 2);
  });
});
