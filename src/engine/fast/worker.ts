// Worker entry of the fast engine: instantiates the SIMD module on the shared memory once, then runs phases, taking items from shared counters and meeting the other workers at a barrier between phases.
import { parentPort } from 'node:worker_threads';
import { PHASE_LISTS_KEPT, TID, type FromWorker, type Phase, type RunMessage, type ToWorker } from './protocol.js';

type Exports = Record<string, (...args: number[]) => void>;

let exports: Exports | undefined;
let memory: WebAssembly.Memory | undefined;
let words: Int32Array | undefined;
let tid = 0;

function post(message: FromWorker): void {
  parentPort!.postMessage(message);
}

/**
 * Waits until all `parties` workers have arrived. The last to arrive resets the count and bumps the
 * generation, which the others watch: spinning for up to SPIN_MS, then asleep in Atomics.wait. A
 * sleeping thread's vCPU halts, and waking it again can take a millisecond on a virtual machine that
 * has been idle, which one late thread then passes on from barrier to barrier; a network with many
 * short phases (MobileNetV2's features: dozens) would spend more time waking than computing. The
 * bound keeps a thread whose partner was descheduled from burning a core for long. The Atomics
 * operations also order every store before the barrier ahead of every load after it.
 */
function barrier(at: number, parties: number): void {
  const count = at >> 2;
  const generation = count + 16;
  const seen = Atomics.load(words!, generation);
  if (Atomics.add(words!, count, 1) === parties - 1) {
    Atomics.store(words!, count, 0);
    Atomics.add(words!, generation, 1);
    Atomics.notify(words!, generation);
    return;
  }
  const until = performance.now() + SPIN_MS;
  for (let i = 1; Atomics.load(words!, generation) === seen; i++) {
    if ((i & 63) === 0 && performance.now() > until) {
      while (Atomics.load(words!, generation) === seen) Atomics.wait(words!, generation, seen);
      return;
    }
  }
}

/** How long a thread at a barrier spins before it sleeps: longer than a typical wake-up, short beside a layer. */
const SPIN_MS = 1;

/**
 * The debug build's `abort`, called when an assert fails: its message and file are AssemblyScript
 * strings in the shared memory (UTF-16, their byte length in the 4 bytes before them).
 */
function abort(messagePtr: number, filePtr: number, line: number): never {
  const text = (ptr: number): string => {
    if (ptr === 0) return '';
    const bytes = new Uint8Array(memory!.buffer);
    const length = new DataView(memory!.buffer).getUint32(ptr - 4, true);
    return Buffer.from(bytes.slice(ptr, ptr + length)).toString('utf16le');
  };
  throw new Error(`precondition failed: ${text(messagePtr)} (${text(filePtr)}:${line})`);
}

/** A call ready to make: its export (undefined when the module has none of that name) and its arguments, TID replaced. */
interface Ready {
  readonly name: string;
  readonly routine: ((...args: number[]) => void) | undefined;
  readonly args: number[];
}

/** Phase lists received, by key, as ready calls: the last PHASE_LISTS_KEPT, oldest dropped first (worker-pool.ts keeps the same count). */
const kept = new Map<number, Ready[][][]>();

function phasesOf(message: RunMessage): Ready[][][] {
  if (message.phases === undefined) return kept.get(message.key)!;
  const ready = message.phases.map((items: Phase) =>
    items.map((calls) =>
      calls.map(([name, ...args]) => {
        const routine = exports![name];
        return { name, routine: typeof routine === 'function' ? routine : undefined, args: args.map((a) => (a === TID ? tid : a)) };
      }),
    ),
  );
  kept.set(message.key, ready);
  if (kept.size > PHASE_LISTS_KEPT) kept.delete(kept.keys().next().value!);
  return ready;
}

function run(message: RunMessage): string | undefined {
  // After a failure this worker keeps meeting the others at the barriers (they would wait for it
  // forever otherwise) but runs nothing more; the engine rejects the run.
  let error: string | undefined;
  phasesOf(message).forEach((items, p) => {
    if (p > 0) barrier(message.barrier, message.parties);
    const counter = (message.counters >> 2) + p * 16;
    for (;;) {
      const item = Atomics.add(words!, counter, 1);
      if (item >= items.length) break;
      if (error !== undefined) continue;
      try {
        for (const { name, routine, args } of items[item]) {
          if (routine === undefined) throw new Error(`${name}: no such export`);
          try {
            routine(...args);
          } catch (err) {
            // A trap or a failed precondition: name the routine that hit it.
            throw new Error(`${name}: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
      } catch (err) {
        error = (err as Error).message;
      }
    }
  });
  return error;
}

parentPort!.on('message', (message: ToWorker) => {
  if (message.type === 'init') {
    memory = message.memory;
    const instance = new WebAssembly.Instance(message.module, { env: { memory: message.memory, abort } });
    exports = instance.exports as unknown as Exports;
    words = new Int32Array(message.memory.buffer);
    tid = message.tid;
    post({ type: 'ready' });
    return;
  }
  const error = run(message);
  post(error === undefined ? { type: 'done', id: message.id } : { type: 'error', id: message.id, message: error });
});
