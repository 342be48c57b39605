// The registry of layer types: spec `type` -> definition; merge layers (add, concat) apart, since they read several inputs.
import type { Layer, LayerType, MergeLayer, SingleLayer } from '../network/types.js';
import { adaptiveAvgpool2d, adaptiveMaxpool2d } from './adaptive_pool2d.js';
import { add } from './add.js';
import { avgpool2d } from './avgpool2d.js';
import { batchnorm2d } from './batchnorm2d.js';
import { hardtanh, relu6 } from './clamp.js';
import { concat } from './concat.js';
import { conv2d } from './conv2d.js';
import type { LayerDef, MergeDef } from './layer.js';
import { leakyRelu } from './leaky_relu.js';
import { localResponseNorm } from './local_response_norm.js';
import { maxpool2d } from './maxpool2d.js';
import { relu } from './relu.js';

const DEFS = [conv2d, relu, leakyRelu, relu6, hardtanh, maxpool2d, avgpool2d, adaptiveAvgpool2d, adaptiveMaxpool2d, batchnorm2d, localResponseNorm] as const;
const MERGES = [add, concat] as const;

/** Layer types that read one input (the spec's `type` values besides groups and no-ops). */
export const LAYER_TYPES: readonly SingleLayer['type'][] = DEFS.map((d) => d.type);
/** Merge types: spec groups with `branches`, and nodes of the network. */
export const MERGE_TYPES: readonly MergeLayer['type'][] = MERGES.map((d) => d.type);

const BY_TYPE = new Map<string, LayerDef<SingleLayer>>(DEFS.map((d) => [d.type, d as unknown as LayerDef<SingleLayer>]));
const MERGE_BY_TYPE = new Map<string, MergeDef<MergeLayer>>(MERGES.map((d) => [d.type, d as unknown as MergeDef<MergeLayer>]));

export function isMerge(layer: Layer): layer is MergeLayer {
  return MERGE_BY_TYPE.has(layer.type);
}

/** The definition of a single-input layer's type. */
export function layerDef<L extends SingleLayer>(layer: L): LayerDef<L> {
  return BY_TYPE.get(layer.type) as unknown as LayerDef<L>;
}

/** The definition of a merge layer's type. */
export function mergeDef<L extends MergeLayer>(layer: L): MergeDef<L> {
  return MERGE_BY_TYPE.get(layer.type) as unknown as MergeDef<L>;
}

export function layerDefByType(type: string): LayerDef<SingleLayer> | undefined {
  return BY_TYPE.get(type);
}

export function isLayerType(type: string): type is LayerType {
  return BY_TYPE.has(type) || MERGE_BY_TYPE.has(type);
}
