// relu6 and hardtanh: min(max(x, lo), hi), NaN stays NaN (torch.nn.ReLU6 and torch.nn.Hardtanh).
import type { HardtanhLayer, Layer, Relu6Layer } from '../network/types.js';
import { mapRows, sameShape } from './elementwise.js';
import type { LayerDef } from './layer.js';

/** The bounds a clamping layer applies, or null for other layers (the fast engine fuses them as one activation). */
export function clampBounds(layer: Layer): readonly [number, number] | null {
  if (layer.type === 'relu6') return [0, 6];
  if (layer.type === 'hardtanh') return [layer.minVal, layer.maxVal];
  return null;
}

/** min(max(x, lo), hi) in float32, as PyTorch computes it: NaN compares false both ways and stays NaN. */
export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

export const relu6: LayerDef<Relu6Layer> = {
  type: 'relu6',
  summary: 'min(max(x, 0), 6)',
  async parse(r) {
    r.finish(['inplace']);
    return {};
  },
  outChannels: (_layer, inChannels) => inChannels,
  outputShape: sameShape,
  reference: (_layer, input, rows) => mapRows(input, rows, (x) => clamp(x, 0, 6)),
  cost: () => ({ params: 0, macs: 0 }),
  window: () => null,
};

export const hardtanh: LayerDef<HardtanhLayer> = {
  type: 'hardtanh',
  summary: 'min(max(x, min_val), max_val)',
  async parse(r) {
    const minVal = r.number('min_val', { default: -1 });
    const maxVal = r.number('max_val', { default: 1 });
    if (!(maxVal > minVal)) throw r.error('max_val', `${maxVal} must be greater than min_val ${minVal}`, 'spec.range');
    r.finish(['inplace']);
    return { minVal, maxVal };
  },
  outChannels: (_layer, inChannels) => inChannels,
  outputShape: sameShape,
  reference: (layer, input, rows) => {
    const lo = Math.fround(layer.minVal);
    const hi = Math.fround(layer.maxVal);
    return mapRows(input, rows, (x) => clamp(x, lo, hi));
  },
  cost: () => ({ params: 0, macs: 0 }),
  window: () => null,
};
