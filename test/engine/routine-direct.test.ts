// The direct routine (direct_f32): convs read in place as an indirect GEMM, 4 channels x 8 pixels per micro-kernel step, with
// a fused pool folded into an L1 row accumulator chunk by chunk (W3's shape). Widths at, below and above the 4- and 8-pixel
// strips and the column chunks; within tolerance of the reference, the same bytes on threads 1/2/3 and in bands.
import { describe as group, expect, it } from 'vitest';
import type { Layer } from '../../src/network/types.js';
import { int, pick } from './fast-nets.js';
import { checkRoutine, randomConv, randomTail, routineCase, routineEngines } from './routine-check.js';

// 'direct' (the CLI's --no-winograd) runs every x-stride-1 conv here; 'auto' only those no other routine takes.
const engines = routineEngines('direct');

/** Conv widths around the 4/8-pixel strips and the column chunks (CW = 256 for K <= 16, more pixels for larger pools). */
const WIDTHS = [1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 255, 256, 257, 263, 384, 385, 520];

function make(r: () => number): { layers: Layer[]; input: { channels: number; height: number; width: number } } {
  const cin = pick(r, [1, 1, 2, 3, 5]);
  const cout = pick(r, [1, 3, 4, 5, 8, 9, 13]);
  const conv = randomConv(r, { cin, cout, kernel: [int(r, 1, 5), int(r, 1, 5)], stride: [pick(r, [1, 1, 2]), 1], dilation: [pick(r, [1, 1, 2]), pick(r, [1, 1, 2])] });
  const layers: Layer[] = [conv, ...randomTail(r, cout, { pool: 0 })];
  // Kernel = stride pools fold in, square or not (the chunks are a multiple of the x-stride); overlapping ones run on their own.
  if (r() < 0.7) {
    const pk: [number, number] = [int(r, 1, 4), pick(r, [2, 3, 4, int(r, 1, 4)])];
    const ps: [number, number] = r() < 0.85 ? pk : [1, 1];
    layers.push(r() < 0.5
      ? { type: 'maxpool2d', index: layers.length, kernelSize: pk, stride: ps, padding: [0, 0], dilation: [1, 1], ceilMode: false }
      : { type: 'avgpool2d', index: layers.length, kernelSize: pk, stride: ps, padding: [0, 0], ceilMode: false, countIncludePad: true, divisorOverride: r() < 0.2 ? 3 : null });
  }
  return { layers, input: { channels: cin, height: int(r, 1, 12), width: pick(r, WIDTHS) } };
}

group('routine direct', () => {
  it('matches the reference (all padding modes, kernels 1..5, y-strides, dilations, fused and unfused pools, widths around strips and chunks); threads 1, 2, 3 and bands give identical bytes', async () => {
    let fused = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const c = routineCase('direct', 'direct', seed * 31337, make);
      if ((await checkRoutine('direct', engines, c, seed)).fusedPool) fused++;
    }
    // Most pools have kernel = stride and whole windows: they fold into the conv.
    expect(fused).toBeGreaterThan(50);
  });
});
