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

export interface RunMessage {
  readonly type: 'run';
  readonly id: number;
  /** Items to take from the counter (an i32 at byte address `counter` of the shared memory) until none is left. */
  readonly items: Phase;
  readonly counter: number;
}

export type ToWorker = InitMessage | RunMessage;

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly id: number }
  | { readonly type: 'error'; readonly id: number; readonly message: string };
