// leaky_relu: x for x > 0, negative_slope * x otherwise (torch.nn.LeakyReLU, default slope 0.01).
import type { LeakyReluLayer } from '../network/types.js';
import { mapRows, sameShape } from './elementwise.js';
import type { LayerDef } from './layer.js';

export const leakyRelu: LayerDef<LeakyReluLayer> = {
  type: 'leaky_relu',
  summary: 'x if x > 0 else negative_slope * x',
  async parse(r) {
    const negativeSlope = r.number('negative_slope', { default: 0.01 });
    r.finish();
    return { negativeSlope };
  },
  outChannels: (_layer, inChannels) => inChannels,
  outputShape: sameShape,
  reference: (layer, input, rows) => {
    const slope = Math.fround(layer.negativeSlope);
    return mapRows(input, rows, (x) => (x > 0 ? x : x * slope));
  },
  cost: () => ({ params: 0, macs: 0 }),
  window: () => null,
};
