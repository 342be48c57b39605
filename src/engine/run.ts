// Runs a network on a whole map with any engine: the common path for single images.
import type { Network } from '../network/types.js';
import { nodeRows } from './band.js';
import type { Engine, NodeRows } from './engine.js';
import type { Shape, Tensor } from './tensor.js';

/** Every row of every node the outputs depend on (null for the others): the rows of a whole-map run. */
export function wholeMapRows(net: Network, shapes: readonly Shape[], outputs: readonly number[], inputHeight: number): NodeRows {
  return nodeRows(net, new Map(outputs.map((o) => [o, { start: 0, end: shapes[o].height }])), shapes, inputHeight).rows;
}

/** Runs `net` on the whole of `input` and returns the maps of the nodes in `outputs` (ascending indices). */
export async function runWhole(engine: Engine, net: Network, input: Tensor, shapes: readonly Shape[], outputs: readonly number[]): Promise<Tensor[]> {
  const bands = await engine.run(net, { tensor: input, y0: 0, fullHeight: input.height }, wholeMapRows(net, shapes, outputs, input.height), outputs);
  return bands.map((b) => b.tensor);
}
