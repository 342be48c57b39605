// relu: max(0, x), NaN stays NaN (torch.nn.ReLU).
import type { ReluLayer } from '../network/types.js';
import { mapRows, sameShape } from './elementwise.js';
import type { LayerDef } from './layer.js';

export const relu: LayerDef<ReluLayer> = {
  type: 'relu',
  summary: 'max(0, x)',
  async parse(r) {
    r.finish();
    return {};
  },
  outChannels: (_layer, inChannels) => inChannels,
  outputShape: sameShape,
  reference: (_layer, input, rows) => mapRows(input, rows, (x) => (x > 0 || Number.isNaN(x) ? x : 0)),
  cost: () => ({ params: 0, macs: 0 }),
  window: () => null,
};
