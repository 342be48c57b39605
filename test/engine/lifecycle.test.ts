// An engine's life from the library: options checked with a CnnxError, close() twice waits for runs in flight, a closed
// engine (fast or reference) runs nothing.
import path from 'node:path';
import { expect, test } from 'vitest';
import { createEngine, type EngineOptions } from '../../src/engine/create.js';
import { tensor } from '../../src/engine/tensor.js';
import { CnnxError } from '../../src/errors.js';
import { loadNetwork } from '../../src/network/load.js';
import { runNetwork, selectLayers } from '../../src/network/run.js';
import { errorOf, ROOT } from '../helpers.js';

const SEED = path.join(ROOT, 'examples', 'seed-convnet.json');

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await errorOf(() => promise);
  expect(error).toBeInstanceOf(CnnxError);
  return `${(error as CnnxError).code}: ${(error as CnnxError).message}`;
}

test('close() called twice while a run is in flight resolves after the run, both times', async () => {
  const net = await loadNetwork(SEED);
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

test('a closed engine, fast or reference, refuses to run with usage.engine', async () => {
  const net = await loadNetwork(SEED);
  for (const kind of ['fast', 'reference'] as const) {
    const engine = await createEngine({ kind, threads: 1 });
    const [out] = await runNetwork(engine, net, tensor(3, 16, 16), selectLayers(net, []), 'x');
    expect(out.tensor.data.length).toBe(64 * 4 * 4);
    await engine.close();
    expect(await codeOf(runNetwork(engine, net, tensor(3, 16, 16), selectLayers(net, []), 'x')), kind).toBe('usage.engine: the engine is closed: create another to run again');
  }
});

test('bad options are a CnnxError (usage.engine) naming the option, never a TypeError or a silent default', async () => {
  const cases: [unknown, RegExp][] = [
    [undefined, /^usage.engine: createEngine: expected options such as \{ kind: 'fast' \}, got nothing$/],
    [{ kind: 'gpu' }, /^usage.engine: options.kind must be 'fast' or 'reference', got "gpu"$/],
    [{ kind: 'fast', threads: 0 }, /^usage.engine: options.threads must be an integer from 1 to 256, got 0$/],
    [{ kind: 'fast', threads: 1.5 }, /^usage.engine: options.threads must be an integer from 1 to 256, got 1.5$/],
    [{ kind: 'fast', threads: '2' }, /^usage.engine: options.threads must be an integer from 1 to 256, got 2$/],
  ];
  for (const [options, message] of cases) expect(await codeOf(createEngine(options as EngineOptions)), String(options)).toMatch(message);
});
