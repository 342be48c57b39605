// An input too large for the engine's memory is that input's failure (input.memory, exit 1) with advice, not an internal error.
import { expect, test } from 'vitest';
import { EngineMemoryError, type Engine } from '../../src/engine/engine.js';
import { SharedHeap } from '../../src/engine/fast/memory.js';
import { tensor } from '../../src/engine/tensor.js';
import { CnnxError } from '../../src/errors.js';
import { parseNetwork } from '../../src/network/load.js';
import { runNetwork, selectLayers } from '../../src/network/run.js';
import { errorOf } from '../helpers.js';

test('the fast engine heap refuses more than 4 GiB with an EngineMemoryError, before growing', () => {
  const heap = new SharedHeap();
  const before = heap.memory.buffer.byteLength;
  const error = (() => {
    try {
      heap.alloc(5 * 2 ** 30);
    } catch (e) {
      return e;
    }
    return null;
  })();
  expect(error).toBeInstanceOf(EngineMemoryError);
  expect((error as EngineMemoryError).limit).toBe(2 ** 32);
  expect((error as EngineMemoryError).needed).toBeGreaterThan(5 * 2 ** 30);
  expect(heap.memory.buffer.byteLength).toBe(before);
});

test('runNetwork names the input and suggests bands when the engine runs out of memory', async () => {
  const net = await parseNetwork({ input: { channels: 1 }, layers: [{ type: 'relu' }] }, { file: 'net.json', dir: process.cwd(), hash: '' });
  const engine: Engine = {
    kind: 'fast',
    run: async () => {
      throw new EngineMemoryError(5 * 2 ** 30, 2 ** 32);
    },
    close: async () => {},
  };
  const error = await errorOf(() => runNetwork(engine, net, tensor(1, 2, 2, new Float32Array(4)), selectLayers(net, []), 'big.png'));
  expect(error).toBeInstanceOf(CnnxError);
  expect((error as CnnxError).code).toBe('input.memory');
  expect((error as CnnxError).exitCode).toBe(1);
  expect((error as CnnxError).message).toBe('big.png: the fast engine needs 5 GiB to run it whole, more than the 4 GiB it can hold; a lower options.maxMemory (or options.bandRows) streams it in bands');
});
