// local_response_norm: x / (k + alpha * mean over a window of `size` channels of x^2)^beta (torch.nn.LocalResponseNorm).
import { tensor } from '../engine/tensor.js';
import type { LocalResponseNormLayer } from '../network/types.js';
import { sameShape } from './elementwise.js';
import type { LayerDef } from './layer.js';
import { bandRow } from './pool.js';

export const localResponseNorm: LayerDef<LocalResponseNormLayer> = {
  type: 'local_response_norm',
  summary: 'x / (k + alpha * mean of x^2 over size neighbouring channels)^beta',
  async parse(r) {
    const size = r.int('size', { min: 1 });
    const alpha = r.number('alpha', { default: 1e-4 });
    const beta = r.number('beta', { default: 0.75 });
    const k = r.number('k', { default: 1 });
    r.finish();
    return { size, alpha, beta, k };
  },
  outChannels: (_layer, inChannels) => inChannels,
  outputShape: sameShape,
  /**
   * PyTorch pads the squares with size/2 zero channels before and (size-1)/2 after, averages `size` of
   * them (zeros counted), then scales: the window of channel c is c - size/2 .. c + (size-1)/2.
   */
  reference(layer, input, rows) {
    const { channels, width } = input.tensor;
    const out = tensor(channels, rows.end - rows.start, width);
    const before = Math.floor(layer.size / 2);
    const after = Math.floor((layer.size - 1) / 2);
    const x = input.tensor.data;
    for (let oy = rows.start; oy < rows.end; oy++) {
      const y = bandRow(oy, input.y0, input.tensor.height, 'local_response_norm');
      for (let c = 0; c < channels; c++) {
        const src = (c * input.tensor.height + y) * width;
        const dst = (c * out.height + (oy - rows.start)) * width;
        for (let ox = 0; ox < width; ox++) {
          let sum = 0;
          for (let j = Math.max(0, c - before); j <= Math.min(channels - 1, c + after); j++) {
            const v = x[(j * input.tensor.height + y) * width + ox];
            sum += v * v;
          }
          out.data[dst + ox] = x[src + ox] / Math.pow(layer.k + (layer.alpha * sum) / layer.size, layer.beta);
        }
      }
    }
    return out;
  },
  cost: (layer, input) => ({ params: 0, macs: input.channels * input.height * input.width * (layer.size + 2) }),
  window: () => null,
};
