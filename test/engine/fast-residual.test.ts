// An add folded into the 1x1 conv that ends a branch (ResNet's and MobileNetV2's blocks): the step's label shows it, the
// result is within tolerance of the reference and has the same bytes as the unfused add, on 1, 2 and 3 threads and in bands.
import { describe, expect, test } from 'vitest';
import { createReferenceEngine } from '../../src/engine/reference.js';
import { wholeMapRows } from '../../src/engine/run.js';
import { tensor } from '../../src/engine/tensor.js';
import { parseNetwork } from '../../src/network/load.js';
import { inferShapes } from '../../src/network/shapes.js';
import { bandRows, fastEnginesPerThreadCount, firstMismatch, int, lastNodeBands, mulberry32, pick, sameBytes } from './fast-nets.js';

type Entry = Record<string, unknown>;

/** A residual block whose body ends on a 1x1 conv (+ batchnorm), its shortcut the identity or a 1x1 projection, then maybe an activation. */
async function residualCase(seed: number) {
  const r = mulberry32(seed);
  let s = seed * 100;
  const random = () => ({ random: { seed: s++ } });
  const channels = int(r, 1, 5);
  const c = pick(r, [4, 5, 8, 13, 24]);
  const groups = c % 2 === 0 && r() < 0.2 ? 2 : 1;
  const hidden = pick(r, [3, 8, 16]) * groups;
  const bn = (n: number): Entry => ({ type: 'batchnorm2d', running_mean: random(), running_var: new Array(n).fill(1.5), weight: random(), bias: random() });
  const conv = (out: number, k: number, g = 1): Entry => ({ type: 'conv2d', out_channels: out, kernel_size: k, padding: Math.floor(k / 2), groups: g, weight: random(), ...(r() < 0.5 ? { bias: random() } : {}) });
  const body = [conv(hidden, 3), { type: 'relu6' }, conv(c, 1, groups), ...(r() < 0.7 ? [bn(c)] : [])];
  const shortcut = r() < 0.6 ? [] : [conv(c, 1)];
  const branches = r() < 0.5 ? [body, shortcut] : [shortcut, body];
  const tail = pick(r, [[], [{ type: 'relu' }], [{ type: 'relu6' }], [{ type: 'leaky_relu', negative_slope: 0.1 }]]);
  const layers = [conv(c, 3), { type: 'add', branches }, ...tail];
  const net = await parseNetwork({ input: { channels }, layers }, { file: `residual-${seed}.json`, dir: process.cwd(), hash: '' });
  const [height, width] = pick(r, [[1, 1], [3, 5], [7, 7], [14, 14], [16, 16], [9, 31], [20, 13], [28, 28]]);
  const input = { channels, height, width };
  const data = Float32Array.from({ length: channels * height * width }, () => r() * 2 - 1);
  return { net, input, shapes: inferShapes(net, input, 'x'), x: tensor(channels, height, width, data) };
}

describe('an add folded into a pointwise conv', () => {
  const engines = fastEnginesPerThreadCount();
  const reference = createReferenceEngine();

  test.each(Array.from({ length: 30 }, (_, i) => i + 1))('seed %i: folded, within tolerance, the same bytes as unfused, on threads 1, 2, 3 and in bands', async (seed) => {
    const { net, input, shapes, x } = await residualCase(seed);
    const last = net.layers.length - 1;
    const band = { tensor: x, y0: 0, fullHeight: input.height };
    const [want] = await reference.run(net, band, wholeMapRows(net, shapes, [last], input.height), [last]);
    const runs = [];
    for (const t of [1, 2, 3]) {
      runs.push((await engines.get(t)!.run(net, band, wholeMapRows(net, shapes, [last], input.height), [last]))[0].tensor.data);
      expect(engines.get(t)!.lastTimings.some((s) => /conv2d\[pointwise\][^ ]*\+add/.test(s.label)), `${net.file}: ${engines.get(t)!.lastTimings.map((s) => s.label).join(', ')}`).toBe(true);
    }
    expect(firstMismatch(runs[0], want.tensor.data, shapes[last]), net.file).toBeNull();
    expect(sameBytes(runs[1], runs[0]), `${net.file}: 2 threads`).toBe(true);
    expect(sameBytes(runs[2], runs[0]), `${net.file}: 3 threads`).toBe(true);
    // The add's conv input asked for too: the add runs on its own (batchnorm still folds into the conv).
    const add = net.layers.findIndex((l) => l.type === 'add');
    const unfused = await engines.get(2)!.run(net, band, wholeMapRows(net, shapes, [add - 1, last], input.height), [add - 1, last]);
    expect(engines.get(2)!.lastTimings.some((s) => s.label.includes('+add')), net.file).toBe(false);
    expect(sameBytes(unfused[1].tensor.data, runs[0]), `${net.file}: unfused`).toBe(true);
    for (const { out, data } of await lastNodeBands(engines.get(2)!, net, x, shapes, last)) {
      expect(sameBytes(data, bandRows(runs[0], shapes[last], out)), `${net.file}: band ${out.start}..${out.end}`).toBe(true);
    }
  });
});
