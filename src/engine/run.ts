// Runs a network on a whole map with any engine: the common path for single images.
import type { Network } from '../network/types.js';
import type { RowRange } from './band.js';
import type { Engine } from './engine.js';
import type { Shape, Tensor } from './tensor.js';

/** Every row of every layer: the row ranges of a whole-map run. */
export function wholeMapRows(shapes: readonly Shape[]): RowRange[] {
  return shapes.map((s) => ({ start: 0, end: s.height }));
}

/** Runs `net` on the whole of `input` and returns the maps of the layers in `outputs` (ascending indices). */
export async function runWhole(engine: Engine, net: Network, input: Tensor, shapes: readonly Shape[], outputs: readonly number[]): Promise<Tensor[]> {
  const bands = await engine.run(net, { tensor: input, y0: 0, fullHeight: input.height }, wholeMapRows(shapes), outputs);
  return bands.map((b) => b.tensor);
}
