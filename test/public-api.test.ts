// The public library entry (package "main"): load a spec, run it with an engine, read and write arrays.
import path from 'node:path';
import { expect, test } from 'vitest';
import * as cnnx from '../src/index.js';
import { FIXTURES, ROOT } from './helpers.js';

test('a spec runs through the public API with both engines and the same result', async () => {
  const net = await cnnx.loadNetwork(path.join(ROOT, 'examples', 'edges.json'));
  const photo = await cnnx.readInput(path.join(FIXTURES, 'images', 'chelsea.png'), 'chelsea.png', net.input);
  expect([photo.channels, photo.height, photo.width]).toEqual([1, 300, 451]);
  // The cat's eyes: a 96x160 crop keeps the reference engine quick.
  const input = cnnx.tensor(1, 96, 160);
  for (let y = 0; y < 96; y++) input.data.set(photo.data.subarray((80 + y) * 451 + 120, (80 + y) * 451 + 280), y * 160);
  const outputs: cnnx.Tensor[] = [];
  for (const kind of ['reference', 'fast'] as const) {
    const engine = await cnnx.createEngine({ kind, threads: 2 });
    try {
      const [edges] = await cnnx.runNetwork(engine, net, input, cnnx.selectLayers(net, ['edges']), 'chelsea.png');
      expect(edges.label).toBe('edges');
      outputs.push(edges.tensor);
    } finally {
      await engine.close();
    }
  }
  const [reference, fast] = outputs;
  expect([fast.channels, fast.height, fast.width]).toEqual([6, 96, 160]);
  const shape = [6, 96, 160];
  const comparison = cnnx.compareArrays({ shape, data: fast.data }, { shape, data: reference.data });
  expect(comparison.count).toBe(6 * 96 * 160);
  expect(comparison.pass).toBe(true);
  // Round trip through .npy as numpy would read it.
  const bytes = cnnx.encodeNpy([fast.channels, fast.height, fast.width], fast.data);
  expect(cnnx.parseNpy(bytes, 'x.npy').data).toEqual(fast.data);
});
