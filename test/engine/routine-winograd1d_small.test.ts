// The winograd1d_small routine (winograd1d_small_f32): row-wise Winograd F(4,3) and F(4,5) for 3- and 5-wide convs with 1..7
// input channels per group. Widths at, below and above the 4-pixel tiles, the 16-pixel groups and the 32-group column chunks,
// kernel heights 1..7, y-strides, groups, batchnorm, fused and unfused pools; within tolerance of the reference, the same bytes
// on threads 1/2/3 and in bands (the ring of transformed rows is anchored at global rows, so bands sum in the same order).
import { describe as group, expect, it } from 'vitest';
import { createReferenceEngine } from '../../src/engine/reference.js';
import type { Conv2dLayer, Layer } from '../../src/network/types.js';
import { firstMismatch, int, mulberry32, network, pick, shapesOf, wholeRun, type Case } from './fast-nets.js';
import { checkRoutine, randomConv, randomTail, routineCase, routineEngines } from './routine-check.js';

const reference = createReferenceEngine();
const engines = routineEngines('auto');

/** Widths around the 4-pixel tiles, the 16-pixel groups and the 32-group column chunks (512 pixels) of the routine. */
const WIDTHS = [1, 2, 3, 4, 5, 7, 8, 12, 15, 16, 17, 20, 31, 33, 47, 48, 49, 508, 512, 513, 530];
const HEIGHTS = [1, 2, 3, 5, 6, 9, 13, 17];

function make(r: () => number): { layers: Layer[]; input: { channels: number; height: number; width: number } } {
  const groups = r() < 0.2 ? 2 : 1;
  const cin = groups * int(r, 1, 7);
  const cout = groups * int(r, 4, 10);
  const conv = randomConv(r, { cin, cout, groups, kernel: [int(r, 1, 7), pick(r, [3, 5])], stride: [pick(r, [1, 1, 1, 2, 3]), 1] });
  // Kernel = stride folds into the routine (2, 3, 4); overlapping windows run on their own.
  const layers: Layer[] = [conv, ...randomTail(r, cout, { act: 1, pools: [[2, 2], [3, 3], [4, 4], [4, 4], [3, 2]] })];
  return { layers, input: { channels: cin, height: pick(r, HEIGHTS), width: pick(r, WIDTHS) } };
}

group('routine winograd1d_small', () => {
  it('matches the reference (F(4,3) and F(4,5), kernel heights 1..7, y-strides, groups, batchnorm, all padding modes, fused and unfused pools); threads 1, 2, 3 and bands give identical bytes', async () => {
    let x3 = 0;
    let x5 = 0;
    let fused = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const c = routineCase('winograd1d_small', 'auto', seed * 9001, make);
      if ((c.net.layers[0] as Conv2dLayer).kernelSize[1] === 3) x3++;
      else x5++;
      if ((await checkRoutine('winograd1d_small', engines, c, seed)).fusedPool) fused++;
    }
    expect(x3).toBeGreaterThan(35);
    expect(x5).toBeGreaterThan(35);
    expect(fused).toBeGreaterThan(25);
  });

  it('keeps W3-sized edge banks (1 -> 8, 5x5, values in [0, 1], avgpool 4) inside the conformance tolerance on 600-pixel rows', async () => {
    const r = mulberry32(5);
    const layers: Layer[] = [
      { type: 'conv2d', index: 0, inChannels: 1, outChannels: 8, kernelSize: [5, 5], stride: [1, 1], dilation: [1, 1], padding: { top: 2, bottom: 2, left: 2, right: 2 }, paddingMode: 'zeros', groups: 1, weight: Float32Array.from({ length: 200 }, () => r() * 2 - 1), bias: Float32Array.from({ length: 8 }, () => r() - 0.5) },
      { type: 'relu', index: 1 },
      { type: 'avgpool2d', index: 2, kernelSize: [4, 4], stride: [4, 4], padding: [0, 0], ceilMode: false, countIncludePad: true, divisorOverride: null },
    ];
    const input = { channels: 1, height: 40, width: 600, data: Float32Array.from({ length: 40 * 600 }, () => r()) };
    const c: Case = { net: network(1, layers), input, shapes: shapesOf(layers, input)! };
    const ref = await wholeRun(reference, c);
    const got = await wholeRun(engines.get(2)!, c);
    expect(engines.get(2)!.lastTimings.map((s) => s.label)).toContain('0-2 conv2d[winograd1d_small]+relu+avgpool2d');
    expect(firstMismatch(got.data, ref.data, got)).toBeNull();
  });
});
