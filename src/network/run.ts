// Runs a loaded network on one input: shape check, engine run, selected layer outputs. The library's main entry.
import type { Engine } from '../engine/engine.js';
import { runWhole } from '../engine/run.js';
import type { Shape, Tensor } from '../engine/tensor.js';
import { CnnxError } from '../errors.js';
import { inferShapes } from './shapes.js';
import { didYouMean } from './suggest.js';
import type { Layer, Network } from './types.js';

/** A layer output the user asked for. */
export interface LayerOutput {
  readonly layer: Layer;
  /** The layer's name, or `layers[i]` when it has none. */
  readonly label: string;
  readonly tensor: Tensor;
}

export function layerLabel(layer: Layer): string {
  return layer.name ?? `layers[${layer.index}]`;
}

/**
 * Resolves `--layer` values to layer indices (ascending, unique). Empty means the last layer;
 * `all` means every named layer (or every layer when none is named).
 */
export function selectLayers(net: Network, names: readonly string[]): number[] {
  if (names.length === 0) return [net.layers.length - 1];
  const picked = new Set<number>();
  for (const name of names) {
    if (name === 'all') {
      const named = net.layers.filter((l) => l.name !== undefined);
      for (const l of named.length > 0 ? named : net.layers) picked.add(l.index);
      continue;
    }
    const layer = net.layers.find((l) => l.name === name);
    if (!layer) {
      const known = net.layers.flatMap((l) => (l.name ? [l.name] : []));
      const list = known.length > 0 ? `; named layers: ${known.join(', ')}` : '; the spec names no layers (add "name" to a layer)';
      throw new CnnxError('usage.layer', `${net.file} has no layer named "${name}"${didYouMean(name, known)}${list}`);
    }
    picked.add(layer.index);
  }
  return [...picked].sort((a, b) => a - b);
}

/** Runs `net` on `input` and returns the outputs of the layers at `indices`. */
export async function runNetwork(engine: Engine, net: Network, input: Tensor, indices: readonly number[], inputName: string): Promise<LayerOutput[]> {
  const shapes: Shape[] = inferShapes(net, input, inputName);
  const tensors = await runWhole(engine, net, input, shapes, indices);
  return indices.map((index, i) => ({ layer: net.layers[index], label: layerLabel(net.layers[index]), tensor: tensors[i] }));
}
