// Shape inference through the whole stack for one input size, before any pixel is decoded.
import { inputError } from '../errors.js';
import { layerDef } from '../layers/index.js';
import { formatShape, type Shape } from '../engine/tensor.js';
import type { Network } from './types.js';

/**
 * The output shape of every layer for an input of `input` shape.
 * Throws an input error (exit 1) naming the input, spec file and layer when a map would vanish.
 */
export function inferShapes(net: Network, input: Shape, inputName: string): Shape[] {
  const shapes: Shape[] = [];
  let current = input;
  for (const layer of net.layers) {
    const result = layerDef(layer).outputShape(layer, current);
    if (typeof result === 'string') {
      throw inputError('input.too_small', inputName, `${net.file}: layers[${layer.index}] (${layer.type}${layer.name ? ` "${layer.name}"` : ''}): ${result} (input ${formatShape(input)})`);
    }
    shapes.push(result);
    current = result;
  }
  return shapes;
}
