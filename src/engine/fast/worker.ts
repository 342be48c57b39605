// Worker entry of the fast engine: instantiates the SIMD module on the shared memory once, then runs lists of calls.
import { parentPort } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './protocol.js';

type Exports = Record<string, (...args: number[]) => void>;

let exports: Exports | undefined;

function post(message: FromWorker): void {
  parentPort!.postMessage(message);
}

parentPort!.on('message', (message: ToWorker) => {
  if (message.type === 'init') {
    const instance = new WebAssembly.Instance(message.module, { env: { memory: message.memory } });
    exports = instance.exports as unknown as Exports;
    post({ type: 'ready' });
    return;
  }
  try {
    for (const [name, ...args] of message.calls) exports![name](...args);
    post({ type: 'done', id: message.id });
  } catch (err) {
    post({ type: 'error', id: message.id, message: err instanceof Error ? err.message : String(err) });
  }
});
