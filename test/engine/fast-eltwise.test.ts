// eltwise_f32 through the fast engine: standalone batchnorm and activations, adds of 2 and 3 maps and concatenation copies, against the reference, NaN and infinity included.
import { describe, expect, test } from 'vitest';
import { createReferenceEngine } from '../../src/engine/reference.js';
import { wholeMapRows } from '../../src/engine/run.js';
import { tensor } from '../../src/engine/tensor.js';
import { parseNetwork } from '../../src/network/load.js';
import { inferShapes } from '../../src/network/shapes.js';
import { fastEnginesPerThreadCount, firstMismatch, mulberry32, sameBytes } from './fast-nets.js';

const origin = { file: 'eltwise.json', dir: process.cwd(), hash: '' };
const bn = (c: number) => ({ type: 'batchnorm2d', running_mean: { random: { seed: 1 } }, running_var: new Array(c).fill(0.7), weight: { random: { seed: 2 } }, bias: { random: { seed: 3 } } });

/** Values in [-8, 8) with NaN, +inf, -inf and -0 sprinkled in, so every activation meets them. */
function input(seed: number, c: number, h: number, w: number) {
  const r = mulberry32(seed);
  const data = Float32Array.from({ length: c * h * w }, () => {
    const u = r();
    return u < 0.01 ? NaN : u < 0.02 ? Infinity : u < 0.03 ? -Infinity : u < 0.04 ? -0 : r() * 16 - 8;
  });
  return tensor(c, h, w, data);
}

const cases: [string, unknown[]][] = [
  ['batchnorm alone', [bn(3)]],
  ['batchnorm + relu', [bn(3), { type: 'relu' }]],
  ['relu6', [{ type: 'relu6' }]],
  ['leaky_relu', [{ type: 'leaky_relu', negative_slope: 0.2 }]],
  ['hardtanh', [{ type: 'hardtanh', min_val: -1.5, max_val: 2.5 }]],
  ['hardtanh 0..6 runs as relu6', [{ type: 'hardtanh', min_val: 0, max_val: 6 }]],
  ['add of the input and its batchnorm, then relu6', [{ type: 'add', branches: [[], [bn(3)]] }, { type: 'relu6' }]],
  ['add of three', [{ type: 'add', branches: [[], [bn(3)], [{ type: 'relu' }]] }]],
  ['concat copying the input and a computed branch', [{ type: 'concat', branches: [[], [{ type: 'relu' }], []] }, bn(9)]],
];

describe('eltwise_f32', () => {
  const engines = fastEnginesPerThreadCount();
  const reference = createReferenceEngine();
  // Widths around the 4-lane vectors, and a map of more than one 8192-float chunk per channel.
  const sizes: [number, number][] = [[1, 1], [3, 5], [7, 9], [97, 101]];
  test.each(cases)('%s: equals the reference (NaN where it has NaN); threads 1, 2, 3 identical', async (_name, layers) => {
    const net = await parseNetwork({ input: { channels: 3 }, layers }, origin);
    for (const [h, w] of sizes) {
      const x = input(h * 131 + w, 3, h, w);
      const shapes = inferShapes(net, x, 'x');
      const last = net.layers.length - 1;
      const rows = wholeMapRows(net, shapes, [last], h);
      const band = { tensor: x, y0: 0, fullHeight: h };
      const [want] = await reference.run(net, band, rows, [last]);
      const got = await Promise.all([1, 2, 3].map(async (t) => (await engines.get(t)!.run(net, band, rows, [last]))[0].tensor.data));
      expect(firstMismatch(got[0], want.tensor.data, shapes[last]), `${h}x${w}`).toBeNull();
      expect(sameBytes(got[1], got[0]) && sameBytes(got[2], got[0]), `${h}x${w}: threads`).toBe(true);
    }
  });
});
