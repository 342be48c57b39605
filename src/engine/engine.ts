// The contract every compute engine meets: run a network's nodes on a band of input rows.
import { CnnxError } from '../errors.js';
import type { Network } from '../network/types.js';
import type { Band, RowRange } from './band.js';
import type { Shape } from './tensor.js';

export type EngineKind = 'reference' | 'fast';

/**
 * Which rows of each node a run computes, by node index: null for a node the outputs do not need
 * (it is not computed). `nodeRows` in src/engine/band.ts derives them from the outputs' rows.
 */
export type NodeRows = readonly (RowRange | null)[];

export interface Engine {
  readonly kind: EngineKind;
  /** Worker threads a run uses (the fast engine's work buffers are a slot a thread); 1 when absent. */
  readonly threads?: number;
  /**
   * Runs the nodes of `net` that `rows` asks for, on `input` (rows of the network's input).
   * `rows[i]` is the range of node i's output rows to compute, in full-map coordinates (for a
   * whole-map run, 0..height of each needed node; see `wholeMapRows`), or null when node i is not
   * needed. Each node reads only rows of its inputs' bands, so a caller that sizes every band by
   * `nodeRows` (border padding included) gets results bit-identical to a whole-map run; an engine
   * refuses a band that lacks a row it reads.
   * `outputs` are node indices, ascending and unique, each with rows; the result has one band per
   * output, in that order.
   */
  run(net: Network, input: Band, rows: NodeRows, outputs: readonly number[]): Promise<Band[]>;
  /**
   * Hands back an output array of an earlier run that nothing will read or write again (nor any view of
   * its buffer): a later run may write an output of its length into it. For loops over many inputs: a
   * fresh array costs a page fault per 4 KiB the first time it is written. Optional; a no-op is correct.
   */
  recycle?(data: Float32Array): void;
  /**
   * Bytes the engine will allocate for `net`'s weights beyond those the network already holds, on an
   * input of `input`'s size (the fast engine's packed weights; 0 once packed). Memory budgets add it
   * before running. Optional: none when absent.
   */
  weightBytes?(net: Network, input: Shape): number;
  /**
   * Whether a NaN or infinity in an input of `input`'s size can reach outputs whose window does not
   * hold it, in a run of `net` for the nodes `outputs` (the fast engine's Winograd convs spread one
   * over its tile). Optional: never when absent. The CLI notes it for .npy inputs holding one.
   */
  spreadsNonFinite?(net: Network, input: Shape, outputs: readonly number[]): boolean;
  /** Frees workers and memory; the engine cannot run afterwards. */
  close(): Promise<void>;
}

/** What the memory model of a run reads of an engine: its kind, and its threads. */
export type EngineModel = Pick<Engine, 'kind' | 'threads'>;

/** What a memory budget asks of an engine: its memory model, and the weights it has yet to pack. */
export type EngineFootprint = Pick<Engine, 'kind' | 'threads' | 'weightBytes'>;

/**
 * An engine's memory cannot hold a run (the fast engine's WebAssembly heap is at most 4 GiB). Not a
 * bug: the input is too large to run whole; the caller names it and suggests streaming in bands.
 */
export class EngineMemoryError extends RangeError {
  constructor(
    readonly needed: number,
    readonly limit: number,
  ) {
    super(`needs ${needed} bytes of engine memory, more than its ${limit}`);
  }
}

/** An engine option that is not valid (usage.engine): a CnnxError, as every error a library caller meets. */
export function engineError(message: string): CnnxError {
  return new CnnxError('usage.engine', message);
}

/** A run asked of an engine after close(). */
export function closedEngine(): CnnxError {
  return engineError('the engine is closed: create another to run again');
}
