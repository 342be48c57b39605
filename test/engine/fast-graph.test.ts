// The fast engine on branching networks: random trees of add, concat and sequential blocks against the reference engine; threads 1, 2, 3 and band splits identical.
import { describe, expect, test } from 'vitest';
import { createReferenceEngine } from '../../src/engine/reference.js';
import { wholeMapRows } from '../../src/engine/run.js';
import { tensor, type Shape } from '../../src/engine/tensor.js';
import { parseNetwork } from '../../src/network/load.js';
import { inferShapes } from '../../src/network/shapes.js';
import type { Network } from '../../src/network/types.js';
import { bandRows, fastEnginesPerThreadCount, firstMismatch, int, lastNodeBands, mulberry32, pick, sameBytes, type Rand } from './fast-nets.js';

type Entry = Record<string, unknown>;

let seedCounter = 1;
const conv = (r: Rand, out: number, opts: { k?: number; stride?: number; groups?: number } = {}): Entry => {
  const k = opts.k ?? pick(r, [1, 3, 3, 5]);
  return {
    type: 'conv2d',
    out_channels: out,
    kernel_size: k,
    stride: opts.stride ?? 1,
    padding: Math.floor(k / 2),
    groups: opts.groups ?? 1,
    padding_mode: pick(r, ['zeros', 'zeros', 'zeros', 'reflect', 'replicate']),
    weight: { random: { seed: seedCounter++ } },
    bias: { random: { seed: seedCounter++ } },
  };
};
const bn = (n: number): Entry => ({ type: 'batchnorm2d', running_mean: { random: { seed: seedCounter++ } }, running_var: new Array(n).fill(1.5), weight: { random: { seed: seedCounter++ } }, bias: { random: { seed: seedCounter++ } } });
const act = (r: Rand): Entry => pick(r, [{ type: 'relu' }, { type: 'relu6' }, { type: 'leaky_relu', negative_slope: 0.1 }, { type: 'hardtanh', min_val: -0.5, max_val: 0.5 }]);

/** A random block that keeps `c` channels (adds) or grows them (concats); returns the entry and its output channels. */
function block(r: Rand, c: number, depth: number): [Entry, number] {
  const kind = depth > 2 ? 'plain' : pick(r, ['add', 'add', 'concat', 'dense', 'inverted', 'seq', 'plain']);
  if (kind === 'add') {
    const stride = pick(r, [1, 1, 2]);
    const out = pick(r, [c, c, c + 4]);
    const body = [conv(r, out, { k: 3, stride }), bn(out), act(r), conv(r, out, { k: 3 })];
    const shortcut = stride === 1 && out === c ? [] : [conv(r, out, { k: 1, stride }), bn(out)];
    const branches = r() < 0.2 ? [body, shortcut, [conv(r, out, { k: 1, stride })]] : [body, shortcut];
    return [{ type: 'sequential', layers: [{ type: 'add', branches }, act(r)] }, out];
  }
  if (kind === 'concat') {
    const n = int(r, 2, 4);
    const branches: Entry[][] = [];
    let total = 0;
    for (let b = 0; b < n; b++) {
      const out = int(r, 1, 6);
      total += out;
      branches.push(r() < 0.3 ? [{ type: 'maxpool2d', kernel_size: 3, stride: 1, padding: 1 }, conv(r, out, { k: 1 })] : [conv(r, out), act(r)]);
    }
    // A branch ending in a concat of its own (Inception v3's InceptionE).
    if (r() < 0.4) {
      const [a, b] = [int(r, 1, 4), int(r, 1, 4)];
      branches.push([conv(r, int(r, 2, 6), { k: 1 }), act(r), { type: 'concat', branches: [[conv(r, a)], [conv(r, b, { k: 1 })]] }]);
      total += a + b;
    }
    return [{ type: 'concat', branches }, total];
  }
  if (kind === 'dense') {
    const growth = int(r, 2, 5);
    return [{ type: 'concat', branches: [[], [bn(c), act(r), conv(r, growth * 2, { k: 1 }), bn(growth * 2), { type: 'relu' }, conv(r, growth, { k: 3 })]] }, c + growth];
  }
  if (kind === 'inverted') {
    const hidden = c * 3;
    const stride = pick(r, [1, 2]);
    const layers = [conv(r, hidden, { k: 1 }), bn(hidden), { type: 'relu6' }, conv(r, hidden, { k: 3, stride, groups: hidden }), bn(hidden), { type: 'relu6' }, conv(r, c, { k: 1 }), bn(c)];
    return [stride === 1 ? { type: 'add', branches: [layers, []] } : { type: 'sequential', layers }, c];
  }
  if (kind === 'seq') {
    const [inner, out] = block(r, c, depth + 1);
    return [{ type: 'sequential', layers: [inner, { type: 'dropout' }, bn(out), act(r)] }, out];
  }
  return [pick(r, [conv(r, c, { k: 3 }), { type: 'maxpool2d', kernel_size: 2, stride: 2, ceil_mode: true }, { type: 'local_response_norm', size: 3 }]), c];
}

async function randomNetwork(seed: number): Promise<{ net: Network; input: Shape; shapes: Shape[] }> {
  const r = mulberry32(seed);
  const channels = int(r, 1, 4);
  const layers: Entry[] = [conv(r, int(r, 4, 8), { k: 3 })];
  let c = (layers[0].out_channels as number);
  for (let b = int(r, 1, 4); b > 0; b--) {
    const [entry, out] = block(r, c, 0);
    layers.push(entry);
    c = out;
  }
  const net = await parseNetwork({ input: { channels }, layers }, { file: `tree-${seed}.json`, dir: process.cwd(), hash: '' });
  // A size every branch takes (an odd size can make a stride-2 branch and a pooled one disagree).
  for (let tries = 0; ; tries++) {
    const input = { channels, height: int(r, 8, 30), width: int(r, 8, 30) };
    try {
      return { net, input, shapes: inferShapes(net, input, 'x') };
    } catch (error) {
      if (tries > 100) throw error;
    }
  }
}

function randomInput(seed: number, s: Shape) {
  const r = mulberry32(seed * 7919);
  return tensor(s.channels, s.height, s.width, Float32Array.from({ length: s.channels * s.height * s.width }, () => r() * 2 - 1));
}

describe('random block trees', () => {
  const engines = fastEnginesPerThreadCount();
  const reference = createReferenceEngine();

  test.each(Array.from({ length: 40 }, (_, i) => i + 1))('seed %i: every node matches the reference; threads 1, 2, 3 and bands give identical bytes', async (seed) => {
    const { net, input: shape, shapes } = await randomNetwork(seed);
    await expectReference(net, shape, shapes, randomInput(seed, shape));
  });

  test('a concat ending a branch of another concat writes into its slice of the outer one', async () => {
    const r = mulberry32(99);
    const inner = { type: 'concat', name: 'inner', branches: [[conv(r, 2, { k: 3 })], [conv(r, 5, { k: 1 })]] };
    const layers = [conv(r, 4, { k: 3 }), { type: 'concat', name: 'outer', branches: [[conv(r, 2, { k: 1 })], [conv(r, 3, { k: 1 }), inner], []] }, conv(r, 6, { k: 3 })];
    const net = await parseNetwork({ input: { channels: 3 }, layers }, { file: 'nested.json', dir: process.cwd(), hash: '' });
    const shape = { channels: 3, height: 19, width: 23 };
    await expectReference(net, shape, inferShapes(net, shape, 'x'), randomInput(99, shape));
  });

  /** Every node against the reference, threads 1, 2, 3 identical, and the last node alone whole and in bands. */
  async function expectReference(net: Network, shape: Shape, shapes: Shape[], x: ReturnType<typeof randomInput>): Promise<void> {
    const band = { tensor: x, y0: 0, fullHeight: shape.height };
    const all = net.layers.map((l) => l.index);
    const rows = wholeMapRows(net, shapes, all, shape.height);
    const want = await reference.run(net, band, rows, all);
    const runs = await Promise.all([1, 2, 3].map((t) => engines.get(t)!.run(net, band, rows, all)));
    for (const i of all) {
      const label = `${net.file} node ${i} (${net.layers[i].path} ${net.layers[i].type}) on ${shape.height}x${shape.width}`;
      expect(firstMismatch(runs[0][i].tensor.data, want[i].tensor.data, shapes[i]), label).toBeNull();
      expect(sameBytes(runs[1][i].tensor.data, runs[0][i].tensor.data), `${label}: 2 threads`).toBe(true);
      expect(sameBytes(runs[2][i].tensor.data, runs[0][i].tensor.data), `${label}: 3 threads`).toBe(true);
    }
    // Bands of the last node, each computed from just the input rows it needs (halos through every branch),
    // against a whole run that also asks for the last node only (so the same layers fold into the convs).
    const last = net.layers.length - 1;
    const [whole] = await engines.get(2)!.run(net, band, wholeMapRows(net, shapes, [last], shape.height), [last]);
    expect(firstMismatch(whole.tensor.data, want[last].tensor.data, shapes[last]), `${net.file}: last node alone`).toBeNull();
    for (const { out, data } of await lastNodeBands(engines.get(2)!, net, x, shapes, last)) {
      expect(sameBytes(data, bandRows(whole.tensor.data, shapes[last], out)), `${net.file}: band ${out.start}..${out.end}`).toBe(true);
    }
  }
});
