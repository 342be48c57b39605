// The registry of layer types: spec `type` -> definition.
import type { Layer, LayerType } from '../network/types.js';
import { adaptiveAvgpool2d, adaptiveMaxpool2d } from './adaptive_pool2d.js';
import { avgpool2d } from './avgpool2d.js';
import { batchnorm2d } from './batchnorm2d.js';
import { conv2d } from './conv2d.js';
import { gem } from './gem.js';
import type { LayerDef } from './layer.js';
import { leakyRelu } from './leaky_relu.js';
import { maxpool2d } from './maxpool2d.js';
import { normalize } from './normalize.js';
import { relu } from './relu.js';

const DEFS = [conv2d, relu, leakyRelu, maxpool2d, avgpool2d, adaptiveAvgpool2d, adaptiveMaxpool2d, batchnorm2d, gem, normalize] as const;

export const LAYER_TYPES: readonly LayerType[] = DEFS.map((d) => d.type);

const BY_TYPE = new Map<string, LayerDef<Layer>>(DEFS.map((d) => [d.type, d as unknown as LayerDef<Layer>]));

/** The definition of a layer's type. */
export function layerDef<L extends Layer>(layer: L): LayerDef<L> {
  return BY_TYPE.get(layer.type) as unknown as LayerDef<L>;
}

export function layerDefByType(type: string): LayerDef<Layer> | undefined {
  return BY_TYPE.get(type);
}
