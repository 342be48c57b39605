// Engines let the event loop run between layers that compute on the main thread, so a SIGINT or SIGTERM handler is not held off for a whole network.
import { afterAll, expect, test } from 'vitest';
import { createEngine } from '../../src/engine/create.js';
import { runWhole } from '../../src/engine/run.js';
import { tensor } from '../../src/engine/tensor.js';
import { parseNetwork } from '../../src/network/load.js';
import { inferShapes } from '../../src/network/shapes.js';

const origin = { file: 'yield.json', dir: process.cwd(), hash: '' };
const engines: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const e of engines) await e.close();
});

/**
 * Counts the turns of the event loop during a run: an immediate that re-queues itself runs once per
 * turn. A run that never yields leaves it at 0 whatever its length; one that yields after each
 * layer lets it run between them.
 */
async function turnsDuring(run: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    turns++;
    setImmediate(tick);
  };
  // run() goes as far as its first yield (the whole network, when it never yields) before the count starts.
  const done = run();
  setImmediate(tick);
  await done;
  running = false;
  return turns;
}

test.each([
  ['reference', [{ type: 'conv2d', out_channels: 4, kernel_size: 3, padding: 1, weight: { random: { seed: 1 } } }, { type: 'relu' }, { type: 'avgpool2d', kernel_size: 2 }, { type: 'relu' }]],
  // Adaptive pools and LRN have no SIMD routine: the fast engine runs them on the main thread.
  ['fast', [{ type: 'adaptive_avgpool2d', output_size: 7 }, { type: 'local_response_norm', size: 3 }, { type: 'adaptive_maxpool2d', output_size: 5 }, { type: 'local_response_norm', size: 3 }]],
] as const)('the %s engine yields to the event loop between main-thread layers', async (kind, layers) => {
  const engine = await createEngine({ kind, threads: 1 });
  engines.push(engine);
  const net = await parseNetwork({ input: { channels: 3 }, layers }, origin);
  const x = tensor(3, 32, 32, new Float32Array(3 * 32 * 32).fill(0.5));
  const shapes = inferShapes(net, x, 'x');
  const last = net.layers.length - 1;
  await runWhole(engine, net, x, shapes, [last]);
  const turns = await turnsDuring(() => runWhole(engine, net, x, shapes, [last]));
  expect(turns).toBeGreaterThanOrEqual(layers.length - 1);
});
