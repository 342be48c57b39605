// A second close() of the fast engine waits for the first: it resolves only once runs in flight are done and the workers are gone.
import path from 'node:path';
import { expect, test } from 'vitest';
import { createEngine } from '../../src/engine/create.js';
import { tensor } from '../../src/engine/tensor.js';
import { loadNetwork } from '../../src/network/load.js';
import { runNetwork, selectLayers } from '../../src/network/run.js';
import { ROOT } from '../helpers.js';

test('close() called twice while a run is in flight resolves after the run, both times', async () => {
  const net = await loadNetwork(path.join(ROOT, 'examples', 'seed-convnet.json'));
  const engine = await createEngine({ kind: 'fast', threads: 1 });
  const events: string[] = [];
  const run = runNetwork(engine, net, tensor(3, 96, 96), selectLayers(net, []), 'x').then(() => events.push('run'));
  await new Promise((resolve) => setTimeout(resolve, 0));
  const first = engine.close().then(() => events.push('close 1'));
  const second = engine.close().then(() => events.push('close 2'));
  await Promise.all([run, first, second]);
  expect(events).toEqual(['run', 'close 1', 'close 2']);
  await engine.close();
});
