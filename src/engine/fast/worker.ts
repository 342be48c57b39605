// Worker entry of the fast engine: instantiates the SIMD module on the shared memory once, then runs phases, taking items from shared counters and meeting the other workers at a barrier between phases
// that a late worker joins where the others are.
import { parentPort } from 'node:worker_threads';
import { index32, index64 } from './address.js';
import { nextSpin, PHASE_LISTS_KEPT, phaseStamp, sharedClock, TID, type FromWorker, type Phase, type RunMessage, type ThreadTimes, type ToWorker } from './protocol.js';

type Exports = Record<string, (...args: number[]) => void>;

let exports: Exports | undefined;
let memory: WebAssembly.Memory | undefined;
let words: Int32Array | undefined;
let stamps: Float64Array | undefined;
let tid = 0;

function post(message: FromWorker): void {
  parentPort!.postMessage(message);
}

/**
 * The barrier's one i32 word: the phase in progress (high bits), the workers that have joined the run
 * and those that have arrived at the end of the phase. One word, changed by compare-and-swap only, so
 * a join and an arrival are ordered: a worker that joins is counted by the barrier of the phase it
 * joins, or joins the next phase.
 */
const ARRIVED_BITS = 10;
const JOINED_SHIFT = ARRIVED_BITS;
const PHASE_SHIFT = 2 * ARRIVED_BITS;
const FIELD = (1 << ARRIVED_BITS) - 1;
const phaseOf = (word: number): number => word >>> PHASE_SHIFT;

/**
 * Joins the run: returns the phase in progress, the first this worker takes items of. A worker whose
 * run message arrives late (its thread was asleep: on a virtual machine waking one can take a
 * millisecond) joins the phase the others have reached instead of holding them at the first barrier.
 */
function join(at: number): number {
  const i = index32(at);
  for (;;) {
    const word = Atomics.load(words!, i);
    if (Atomics.compareExchange(words!, i, word, word + (1 << JOINED_SHIFT)) === word) return phaseOf(word);
  }
}

/**
 * Arrives at the end of `phase` and returns once every worker that has joined has arrived. The last to
 * arrive starts the next phase (and wakes the sleepers); the others spin for up to this worker's spin
 * (nextSpin; at most `spinMs`, the run message's, see barrierSpinMs in worker-pool.ts), then sleep in
 * Atomics.wait. A sleeping thread's vCPU halts, and waking it again can take a millisecond on a virtual
 * machine that has been idle, which one late thread then passes on from barrier to barrier; a network
 * with many short phases (MobileNetV2's features: dozens) would spend more time waking than computing.
 * The bound keeps a thread whose partner was descheduled from burning a core for long. The Atomics
 * operations also order every store before the barrier ahead of every load after it.
 */
function arrive(at: number, phase: number, stampAt: number, spinMs: number): void {
  const i = index32(at);
  for (;;) {
    const word = Atomics.load(words!, i);
    const joined = (word >>> JOINED_SHIFT) & FIELD;
    const arrived = word & FIELD;
    const last = arrived + 1 === joined;
    const next = last ? ((phase + 1) << PHASE_SHIFT) | (joined << JOINED_SHIFT) : word + 1;
    if (Atomics.compareExchange(words!, i, word, next) !== word) continue;
    if (last) {
      if (stampAt !== 0) stamps![index64(stampAt)] = sharedClock();
      Atomics.notify(words!, i);
      return;
    }
    break;
  }
  const limit = Math.min(spinMs, spinNow);
  const until = performance.now() + limit;
  let slept = false;
  for (let k = 1; ; k++) {
    const word = Atomics.load(words!, i);
    if (phaseOf(word) !== phase) {
      if (!slept) spinNow = nextSpin(limit, spinMs, true);
      return;
    }
    if (!slept && (k & 63) === 0 && performance.now() > until) {
      spinNow = nextSpin(limit, spinMs, false);
      slept = true;
    }
    if (slept) Atomics.wait(words!, i, word);
  }
}

/** This worker's spin at barriers (nextSpin), at most the run message's. */
let spinNow = Infinity;

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

/** This run's busy and waiting milliseconds, kept only when the run message asks (message.timed). */
let busy = 0;
let wait = 0;

function run(message: RunMessage): string | undefined {
  // After a failure this worker keeps meeting the others at the barriers (they would wait for it
  // forever otherwise) but runs nothing more; the engine rejects the run.
  let error: string | undefined;
  const phases = phasesOf(message);
  for (let p = join(message.barrier); ; p++) {
    const items = phases[p];
    const counter = index32(message.counters) + p * 16;
    for (;;) {
      const item = Atomics.add(words!, counter, 1);
      if (item >= items.length) break;
      if (error !== undefined) continue;
      const t0 = message.timed ? performance.now() : 0;
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
      if (message.timed) busy += performance.now() - t0;
    }
    if (p === phases.length - 1) return error;
    const w0 = message.timed ? performance.now() : 0;
    arrive(message.barrier, p, message.stamped ? phaseStamp(message.counters, p) : 0, message.spin);
    if (message.timed) wait += performance.now() - w0;
  }
}

parentPort!.on('message', (message: ToWorker) => {
  if (message.type === 'init') {
    memory = message.memory;
    const instance = new WebAssembly.Instance(message.module, { env: { memory: message.memory, abort } });
    exports = instance.exports as unknown as Exports;
    words = new Int32Array(message.memory.buffer);
    stamps = new Float64Array(message.memory.buffer);
    tid = message.tid;
    post({ type: 'ready' });
    return;
  }
  const start = message.timed ? sharedClock() : 0;
  busy = wait = 0;
  const error = run(message);
  const times: ThreadTimes | undefined = message.timed ? { start, busy, wait } : undefined;
  const end = message.stamped ? sharedClock() : undefined;
  post(error === undefined ? { type: 'done', id: message.id, times, end } : { type: 'error', id: message.id, message: error });
});
