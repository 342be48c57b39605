// The strided routine: convs with x-stride > 1. Outputs up to GATHER_MAX_WIDTH wide (no fused pool): all taps gathered
// into one panel, then the pointwise GEMM over all pixels; otherwise each row's taps gathered into a unit-stride panel,
// then the direct routine's GEMM (strided_f32). Output widths at, below and above the 4- and 8-pixel strips and the
// gathering bound; within tolerance of the reference, the same bytes on threads 1/2/3 and in bands.
import { describe as group, expect, it } from 'vitest';
import { GATHER_MAX_WIDTH } from '../../src/engine/fast/routines/strided.js';
import type { Layer } from '../../src/network/types.js';
import { int, pick } from './fast-nets.js';
import { checkRoutine, randomConv, randomTail, routineCase, routineEngines } from './routine-check.js';

const engines = routineEngines('auto');

/** Input widths whose strided outputs fall around the 4- and 8-pixel strips (x-strides 2 and 3). */
const WIDTHS = [3, 5, 7, 8, 9, 10, 14, 15, 16, 17, 18, 23, 24, 25, 26, 31, 32, 33, 34, 35, 47, 49, 50, 65, 97];

function make(r: () => number): { layers: Layer[]; input: { channels: number; height: number; width: number } } {
  const groups = r() < 0.2 ? 2 : 1;
  const cin = groups * int(r, 1, 5);
  const cout = groups * pick(r, [1, 3, 4, 5, 8, 9]);
  const conv = randomConv(r, { cin, cout, groups, kernel: [int(r, 1, 5), int(r, 1, 5)], stride: [int(r, 1, 3), int(r, 2, 3)], dilation: [pick(r, [1, 1, 2]), pick(r, [1, 1, 2])] });
  const layers: Layer[] = [conv, ...randomTail(r, cout, { pools: [[2, 2], [2, 2], [3, 3], [4, 4], [3, 2]] })];
  return { layers, input: { channels: cin, height: int(r, 1, 14), width: pick(r, WIDTHS) } };
}

group('routine strided', () => {
  it('matches the reference (all padding modes, x-strides 2 and 3, dilations, groups, batchnorm, fused and unfused pools); threads 1, 2, 3 and bands give identical bytes', async () => {
    let fused = 0;
    let gathered = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const c = routineCase('strided', 'auto', seed * 7919, make);
      const ran = await checkRoutine('strided', engines, c, seed);
      if (ran.fusedPool) fused++;
      else if (c.shapes[0].width <= GATHER_MAX_WIDTH) gathered++;
    }
    expect(fused).toBeGreaterThan(20);
    expect(gathered).toBeGreaterThan(20);
    expect(100 - fused - gathered).toBeGreaterThan(10);
  });
});
