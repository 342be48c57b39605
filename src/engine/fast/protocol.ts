// Messages between the fast engine and its workers. Nothing but small numbers crosses: tensors live in the shared memory.

/** A call of one export of the SIMD module with integer/float arguments. */
export type Call = readonly [name: string, ...args: number[]];

export interface InitMessage {
  readonly type: 'init';
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly tid: number;
}

export interface RunMessage {
  readonly type: 'run';
  readonly id: number;
  /** Executed in order; calls that use per-thread scratch carry the worker's index as an argument. */
  readonly calls: readonly Call[];
}

export type ToWorker = InitMessage | RunMessage;

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly id: number }
  | { readonly type: 'error'; readonly id: number; readonly message: string };
