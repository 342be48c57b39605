// Worker entry of the fast engine: instantiates the SIMD module on the shared memory once, then takes phase items from a shared counter.
import { parentPort } from 'node:worker_threads';
import { TID, type FromWorker, type ToWorker } from './protocol.js';

type Exports = Record<string, (...args: number[]) => void>;

let exports: Exports | undefined;
let memory: WebAssembly.Memory | undefined;
let tid = 0;

function post(message: FromWorker): void {
  parentPort!.postMessage(message);
}

parentPort!.on('message', (message: ToWorker) => {
  if (message.type === 'init') {
    const instance = new WebAssembly.Instance(message.module, { env: { memory: message.memory } });
    exports = instance.exports as unknown as Exports;
    memory = message.memory;
    tid = message.tid;
    post({ type: 'ready' });
    return;
  }
  try {
    const counter = new Int32Array(memory!.buffer, message.counter, 1);
    for (;;) {
      const item = Atomics.add(counter, 0, 1);
      if (item >= message.items.length) break;
      for (const [name, ...args] of message.items[item]) exports![name](...args.map((a) => (a === TID ? tid : a)));
    }
    post({ type: 'done', id: message.id });
  } catch (err) {
    post({ type: 'error', id: message.id, message: err instanceof Error ? err.message : String(err) });
  }
});
