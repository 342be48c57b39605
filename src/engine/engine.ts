// The contract every compute engine meets: run a stack of layers on a band of input rows.
import type { Network } from '../network/types.js';
import type { Band, RowRange } from './band.js';

export type EngineKind = 'reference' | 'fast';

export interface Engine {
  readonly kind: EngineKind;
  /**
   * Runs layers 0..max(outputs) of `net` on `input`.
   * `rows[i]` is the range of layer i's output rows to compute, in full-map coordinates
   * (for a whole-map run, 0..height of each layer's output; see `wholeMapRows`).
   * Each layer reads only rows of the previous band, so a caller that sizes every band by
   * `neededRows` (src/engine/band.ts: border padding included) gets results bit-identical to a
   * whole-map run; an engine refuses a band that lacks a row it reads.
   * Returns one band per entry of `outputs` (layer indices, ascending), in that order.
   */
  run(net: Network, input: Band, rows: readonly RowRange[], outputs: readonly number[]): Promise<Band[]>;
  /** Frees workers and memory; the engine cannot run afterwards. */
  close(): Promise<void>;
}
