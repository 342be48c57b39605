// normalize: x / max(||x||_p, eps) over the channels at every pixel (torch.nn.functional.normalize, dim=1), on maps and pooled vectors alike.
import { tensor } from '../engine/tensor.js';
import type { NormalizeLayer } from '../network/types.js';
import { sameShape } from './elementwise.js';
import type { LayerDef } from './layer.js';
import { bandRow } from './pool.js';

export const normalize: LayerDef<NormalizeLayer> = {
  type: 'normalize',
  summary: 'x / max(||x||_p over the channels, eps) at every pixel',
  async parse(r) {
    const p = r.number('p', { default: 2, positive: true });
    const eps = r.number('eps', { default: 1e-12, positive: true });
    r.finish();
    return { p, eps };
  },
  outChannels: (_layer, inChannels) => inChannels,
  outputShape: sameShape,
  reference(layer, input, rows) {
    const { tensor: x, y0 } = input;
    const { channels, width } = x;
    const outRows = rows.end - rows.start;
    const out = tensor(channels, outRows, width);
    const plane = x.height * width;
    for (let oy = rows.start; oy < rows.end; oy++) {
      const row = bandRow(oy, y0, x.height, 'normalize') * width;
      for (let ox = 0; ox < width; ox++) {
        let sum = 0;
        for (let c = 0; c < channels; c++) sum += Math.abs(x.data[c * plane + row + ox]) ** layer.p;
        // Math.max keeps NaN, as torch's clamp_min does.
        const divisor = Math.max(sum ** (1 / layer.p), layer.eps);
        for (let c = 0; c < channels; c++) out.data[(c * outRows + oy - rows.start) * width + ox] = x.data[c * plane + row + ox] / divisor;
      }
    }
    return out;
  },
  cost: () => ({ params: 0, macs: 0 }),
  window: () => null,
};
