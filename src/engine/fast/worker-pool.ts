// A fixed pool of worker threads sharing one WebAssembly.Memory; runs phases (items the workers share) in order, one message per run.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CnnxError } from '../../errors.js';
import { index32, index64 } from './address.js';
import { closedEngine } from '../engine.js';
import { BARRIER, MAX_PHASES_PER_RUN, WORK_COUNTERS } from './memory.js';
import { LONG_SPIN_MS, PHASE_LISTS_KEPT, phaseStamp, SHORT_SPIN_MS, sharedClock, type FromWorker, type Phase, type ThreadTimes, type ToWorker } from './protocol.js';

/**
 * The compiled worker entry. Tests and the CLI both load it from dist/ (src/engine/fast/ and
 * dist/engine/fast/ are three levels below the package root), so `npm run build` must have run.
 */
export const WORKER_URL = new URL('../../../dist/engine/fast/worker.js', import.meta.url);

/** Workers of every pool this process has started and not closed: whether they outnumber the cores (barrierSpinMs). */
let liveWorkers = 0;

/**
 * How long a worker waits at a barrier spinning before it sleeps, with `workers` pool threads in the
 * process on `cores` cores. A sleeping thread hands its core to whatever else is runnable, and getting it
 * back costs a scheduler time slice: with another busy process on the machine, a worker that slept while
 * its partner was preempted for a moment then loses milliseconds at every barrier after. So workers spin
 * long (LONG_SPIN_MS) while each has a core of its own; when they outnumber the cores, a spinning worker
 * would take the core from one still working, so they sleep after SHORT_SPIN_MS.
 */
export function barrierSpinMs(workers: number, cores: number = availableParallelism()): number {
  return workers <= cores ? LONG_SPIN_MS : SHORT_SPIN_MS;
}

/** One run message's phases, and the key workers keep them by (see RunMessage). */
interface Chunk {
  readonly key: number;
  readonly phases: readonly Phase[];
}

/** A worker's time in the runs since `takeTimes`, in milliseconds (summed over run messages). */
export interface ThreadShare {
  /** From posting a run message to the worker taking it: waking a sleeping thread. */
  readonly wake: number;
  /** Inside items. */
  readonly busy: number;
  /** At barriers, waiting for the other workers. */
  readonly wait: number;
}

interface Pending {
  /** When the messages went out, on sharedClock. */
  posted: number;
  remaining: number;
  /** Phases in the message, and (stamped runs) the latest time a worker finished the last one. */
  phases: number;
  end: number;
  resolve: () => void;
  reject: (err: Error) => void;
  error?: Error;
}

export class WorkerPool {
  readonly size: number;
  private readonly workers: Worker[];
  private readonly memory: WebAssembly.Memory;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  /** Per phase list run (by identity): its runs cut to MAX_PHASES_PER_RUN, each with the key workers know it by. */
  private readonly chunks = new WeakMap<readonly Phase[], Chunk[]>();
  private nextKey = 1;
  /** Per worker, the keys of the phase lists it keeps, oldest first (the worker drops them in the same order). */
  private readonly kept: number[][];
  /** When true, workers time their share of each run (ThreadTimes), summed per worker until `takeTimes`. */
  timed = false;
  private times: ThreadShare[] = [];
  /** When true, runs record each phase's wall time (RunMessage.stamped), collected until `takePhaseWalls`. */
  stamped = false;
  private phaseWalls: number[] = [];

  private constructor(workers: Worker[], memory: WebAssembly.Memory) {
    this.workers = workers;
    this.memory = memory;
    this.size = workers.length;
    liveWorkers += this.size;
    this.kept = workers.map(() => []);
    for (const [t, w] of workers.entries()) {
      w.on('message', (m: FromWorker) => this.onMessage(m, t));
      w.on('error', (err) => this.failAll(err));
      // After the listeners: attaching a 'message' listener refs the worker again.
      w.unref();
    }
  }

  /** Starts `size` workers and instantiates the module in each on `memory`. */
  static async start(size: number, module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<WorkerPool> {
    const workers: Worker[] = [];
    try {
      await Promise.all(
        Array.from({ length: size }, (_, tid) => {
          // No inherited node flags: the worker needs none, and some (--input-type, --eval) are refused in workers.
          const w = new Worker(WORKER_URL, { execArgv: [] });
          workers.push(w);
          return new Promise<void>((resolve, reject) => {
            const onError = (err: Error) => reject(new CnnxError('engine.worker', `fast engine worker failed to start: ${err.message} (is dist/ built? run \`npm run build\`)`));
            w.once('error', onError);
            w.once('message', (m: FromWorker) => {
              w.off('error', onError);
              if (m.type === 'ready') resolve();
              else reject(new Error(`unexpected first message ${m.type}`));
            });
            w.postMessage({ type: 'init', module, memory, tid } satisfies ToWorker);
          });
        }),
      );
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    return new WorkerPool(workers, memory);
  }

  /**
   * Runs phases in order on the workers (each takes the next item of a phase until none is left, then
   * waits at a barrier for the others); resolves when the last phase has finished. One message per
   * worker for the whole sequence, not a round trip through the main thread per phase.
   */
  async run(phases: readonly Phase[]): Promise<void> {
    let chunks = this.chunks.get(phases);
    if (!chunks) {
      chunks = [];
      for (let i = 0; i < phases.length; i += MAX_PHASES_PER_RUN) chunks.push({ key: this.nextKey++, phases: phases.slice(i, i + MAX_PHASES_PER_RUN) });
      this.chunks.set(phases, chunks);
    }
    for (const chunk of chunks) await this.runChunk(chunk);
  }

  private runChunk({ key, phases }: Chunk): Promise<void> {
    if (this.closed) return Promise.reject(closedEngine());
    const parties = Math.min(this.size, Math.max(0, ...phases.map((p) => p.length)));
    if (parties === 0) {
      if (this.stamped) this.phaseWalls.push(...phases.map(() => 0));
      return Promise.resolve();
    }
    const id = this.nextId++;
    // No run overlaps another (the engine awaits each), so one set of counters serves them all.
    const words = new Int32Array(this.memory.buffer);
    for (let i = 0; i < phases.length; i++) Atomics.store(words, index32(WORK_COUNTERS) + i * 16, 0);
    Atomics.store(words, index32(BARRIER), 0);
    const spin = barrierSpinMs(liveWorkers);
    // Workers are unref'd while idle (an open engine does not keep the process alive) and ref'd while a run is on.
    if (this.pending.size === 0) for (const w of this.workers) w.ref();
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { posted: sharedClock(), remaining: parties, phases: phases.length, end: 0, resolve, reject });
      for (let t = 0; t < parties; t++) {
        const kept = this.kept[t];
        const known = kept.includes(key);
        if (!known) {
          kept.push(key);
          if (kept.length > PHASE_LISTS_KEPT) kept.shift();
        }
        // Fields listed, not spread: a message goes out per run (see "Per-input objects" in docs/development.md).
        const message: ToWorker = { type: 'run', id, key, phases: known ? undefined : phases, counters: WORK_COUNTERS, barrier: BARRIER, spin, timed: this.timed, stamped: this.stamped };
        this.workers[t].postMessage(message);
      }
    });
  }

  /** Each worker's time since the last call (zeros for a worker that ran nothing), and starts afresh. */
  takeTimes(): ThreadShare[] {
    const times = this.times;
    this.times = [];
    return this.workers.map((_, t) => times[t] ?? { wake: 0, busy: 0, wait: 0 });
  }

  /** The wall time of each phase run since the last call, in order, in milliseconds (stamped runs), and starts afresh. */
  takePhaseWalls(): number[] {
    const walls = this.phaseWalls;
    this.phaseWalls = [];
    return walls;
  }

  /** A stamped message's phase walls: from posting to the end of phase 0, then from each phase's end to the next's. */
  private addPhaseWalls(p: Pending): void {
    const stamps = new Float64Array(this.memory.buffer);
    let before = p.posted;
    for (let i = 0; i < p.phases; i++) {
      const end = i === p.phases - 1 ? p.end : stamps[index64(phaseStamp(WORK_COUNTERS, i))];
      this.phaseWalls.push(Math.max(0, end - before));
      before = end;
    }
  }

  private addTimes(t: number, posted: number, times: ThreadTimes): void {
    const s = this.times[t] ?? { wake: 0, busy: 0, wait: 0 };
    this.times[t] = { wake: s.wake + Math.max(0, times.start - posted), busy: s.busy + times.busy, wait: s.wait + times.wait };
  }

  private onMessage(m: FromWorker, t: number): void {
    if (m.type === 'ready') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === 'done' && m.times) this.addTimes(t, p.posted, m.times);
    if (m.type === 'done' && m.end !== undefined) p.end = Math.max(p.end, m.end);
    if (m.type === 'error') p.error ??= new Error(`fast engine worker: ${m.message}`);
    if (--p.remaining === 0) {
      this.pending.delete(m.id);
      if (this.pending.size === 0) for (const w of this.workers) w.unref();
      if (p.error) p.reject(p.error);
      else {
        if (this.stamped) this.addPhaseWalls(p);
        p.resolve();
      }
    }
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    liveWorkers -= this.size;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
