// Runs a loaded network on one input: shape check, engine run, selected layer outputs. The library's main entry.
import type { Engine } from '../engine/engine.js';
import { runWhole } from '../engine/run.js';
import type { Shape, Tensor } from '../engine/tensor.js';
import { CnnxError, EXIT } from '../errors.js';
import { inferShapes } from './shapes.js';
import { didYouMean } from './suggest.js';
import type { Layer, Network } from './types.js';

/** The index `selectLayers` gives for `--layer input`: the normalised, resized tensor the first layer sees. */
export const INPUT_INDEX = -1;

/** A layer output the user asked for. */
export interface LayerOutput {
  /** null for the input tensor (INPUT_INDEX). */
  readonly layer: Layer | null;
  /** The layer's name, `layers[i]` when it has none, or `input`. */
  readonly label: string;
  readonly tensor: Tensor;
}

export function layerLabel(layer: Layer | null): string {
  return layer ? layer.name ?? `layers[${layer.index}]` : 'input';
}

/**
 * Resolves `--layer` values to layer indices (ascending, unique). Empty means the last layer;
 * `all` means every named layer (or every layer when none is named); `input` is INPUT_INDEX.
 */
export function selectLayers(net: Network, names: readonly string[]): number[] {
  if (names.length === 0) return [net.layers.length - 1];
  const picked = new Set<number>();
  for (const name of names) {
    if (name === 'input') {
      picked.add(INPUT_INDEX);
      continue;
    }
    if (name === 'all') {
      const named = net.layers.filter((l) => l.name !== undefined);
      for (const l of named.length > 0 ? named : net.layers) picked.add(l.index);
      continue;
    }
    const layer = net.layers.find((l) => l.name === name);
    if (!layer) {
      const known = net.layers.flatMap((l) => (l.name ? [l.name] : []));
      const list = known.length > 0 ? `; named layers: ${known.join(', ')}` : '; the spec names no layers (add "name" to a layer)';
      throw new CnnxError('usage.layer', `--layer ${name}: ${net.file} has no layer named "${name}"${didYouMean(name, [...known, 'input'])}${list}`, EXIT.usage);
    }
    picked.add(layer.index);
  }
  return [...picked].sort((a, b) => a - b);
}

/** Runs `net` on `input` and returns the outputs of the layers at `indices` (INPUT_INDEX: `input` itself). */
export async function runNetwork(engine: Engine, net: Network, input: Tensor, indices: readonly number[], inputName: string): Promise<LayerOutput[]> {
  const shapes: Shape[] = inferShapes(net, input, inputName);
  const layers = indices.filter((index) => index !== INPUT_INDEX);
  const tensors = layers.length > 0 ? await runWhole(engine, net, input, shapes, layers) : [];
  return indices.map((index) => {
    if (index === INPUT_INDEX) return { layer: null, label: layerLabel(null), tensor: input };
    const layer = net.layers[index];
    return { layer, label: layerLabel(layer), tensor: tensors[layers.indexOf(index)] };
  });
}
