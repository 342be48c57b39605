// Messages between the fast engine and its workers. Nothing but small numbers crosses: tensors live in the shared memory.

/** A call of one export of the SIMD module with integer/float arguments; an argument equal to TID is replaced by the running worker's index. */
export type Call = readonly [name: string, ...args: number[]];

/** Stands for the index of the worker that takes an item (per-thread scratch slices): items are not bound to threads. */
export const TID = -1;

/**
 * A phase: items (call lists) that may run in any order and on any thread, each writing its own
 * outputs with a reduction order of its own, so the result is the same bytes however they are shared.
 * Workers take them one at a time from a shared counter (a thread slowed down by other work on the
 * machine takes fewer), and the phase ends when all are done.
 */
export type Phase = readonly (readonly Call[])[];

export interface InitMessage {
  readonly type: 'init';
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly tid: number;
}

/**
 * Phases to run in order. Phase i's items are taken from the i32 counter at byte address
 * `counters + 64 i` until none is left; between phases the workers that have joined the run meet at
 * the barrier at `barrier` (see worker.ts), so no phase starts before the previous one ends, and a
 * worker whose message comes late joins the phase the others have reached.
 * The phases cross once per worker: later runs of the same list send only its `key`, and the worker
 * runs the copy it kept (the last PHASE_LISTS_KEPT lists it received, oldest dropped first).
 */
export interface RunMessage {
  readonly type: 'run';
  readonly id: number;
  readonly key: number;
  readonly phases?: readonly Phase[];
  readonly counters: number;
  readonly barrier: number;
  /** Milliseconds a worker spins at a barrier before it sleeps in Atomics.wait (see barrierSpinMs). */
  readonly spin: number;
  /** The worker times its share of the run and sends it back with `done` (see ThreadTimes). */
  readonly timed: boolean;
  /**
   * Profiling: the last worker to arrive at the end of phase i writes the time (sharedClock) as an f64
   * at `counters + 64 i + 8`, and each worker sends the time it finished the last phase with `done`.
   */
  readonly stamped: boolean;
}

export type ToWorker = InitMessage | RunMessage;

/** Phase lists a worker keeps for later runs: a plan's runs (split at main-thread layers and MAX_PHASES_PER_RUN), with room for a second plan's. */
export const PHASE_LISTS_KEPT = 16;

/** Milliseconds on the clock every thread shares (each thread's performance.now() counts from its own origin). */
export const sharedClock = (): number => performance.timeOrigin + performance.now();

/** Byte address of phase `phase`'s end time in a stamped run (see RunMessage.stamped). */
export const phaseStamp = (counters: number, phase: number): number => counters + 64 * phase + 8;

/**
 * A worker's share of one timed run, in milliseconds. `start` is when it took the run message, on
 * sharedClock, so the pool can tell how long the message waited for the worker to wake.
 */
export interface ThreadTimes {
  readonly start: number;
  /** Inside items: the routines' own time. */
  readonly busy: number;
  /** At the barriers between phases, waiting for the other workers. */
  readonly wait: number;
}

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly id: number; readonly times?: ThreadTimes; readonly end?: number }
  | { readonly type: 'error'; readonly id: number; readonly message: string };

/** Barrier spins in milliseconds: while every worker has a core of its own, and the least (barrierSpinMs, nextSpin). */
export const LONG_SPIN_MS = 5;
export const SHORT_SPIN_MS = 1;

/**
 * A worker's spin at the next barrier after one where it spun up to `limit` ms (of the run message's
 * `max`): doubled when the others arrived within it (a partner preempted for a moment, by a
 * lower-priority process), halved down to SHORT_SPIN_MS when they did not (they lack a core, and spinning
 * holds one from them: two processes of 2 workers each on 2 cores).
 */
export function nextSpin(limit: number, max: number, inTime: boolean): number {
  return inTime ? Math.min(max, limit * 2) : Math.max(Math.min(SHORT_SPIN_MS, max), limit / 2);
}
