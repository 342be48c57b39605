// gem: generalised mean pooling, (mean over H, W of clamp(x, min=eps)^p)^(1/p) per channel, as in image-retrieval GeM heads.
import { tensor } from '../engine/tensor.js';
import type { GemLayer } from '../network/types.js';
import type { LayerDef } from './layer.js';
import { bandRow } from './pool.js';

export const gem: LayerDef<GemLayer> = {
  type: 'gem',
  summary: '(mean of clamp(x, min=eps)^p over the map)^(1/p) per channel: a (C, 1, 1) descriptor',
  async parse(r) {
    const p = r.number('p', { default: 3, positive: true });
    const eps = r.number('eps', { default: 1e-6, positive: true });
    r.finish();
    return { p, eps };
  },
  outChannels: (_layer, inChannels) => inChannels,
  outputShape: (_layer, input) => ({ channels: input.channels, height: 1, width: 1 }),
  reference(layer, input, rows) {
    const { tensor: x, y0, fullHeight } = input;
    const out = tensor(x.channels, rows.end - rows.start, 1);
    if (rows.start !== 0 || rows.end !== 1) throw new RangeError('gem: the output is one row');
    // The band must hold the whole map: every row contributes to the mean.
    bandRow(0, y0, x.height, 'gem');
    bandRow(fullHeight - 1, y0, x.height, 'gem');
    const plane = fullHeight * x.width;
    for (let c = 0; c < x.channels; c++) {
      const base = c * x.height * x.width;
      let sum = 0;
      // Math.max keeps NaN, as torch.clamp does.
      for (let i = 0; i < plane; i++) sum += Math.max(x.data[base + i], layer.eps) ** layer.p;
      out.data[c] = (sum / plane) ** (1 / layer.p);
    }
    return out;
  },
  cost: () => ({ params: 0, macs: 0 }),
  window: () => null,
};
