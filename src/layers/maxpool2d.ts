// maxpool2d: window maximum with stride, padding (never wins), dilation and ceil_mode (torch.nn.MaxPool2d).
import { tensor } from '../engine/tensor.js';
import type { MaxPool2dLayer } from '../network/types.js';
import type { LayerDef } from './layer.js';
import { bandRow, parsePoolWindow, poolOutputShape, poolWindowOf } from './pool.js';

export const maxpool2d: LayerDef<MaxPool2dLayer> = {
  type: 'maxpool2d',
  summary: 'maximum over each window',
  async parse(r) {
    const window = parsePoolWindow(r, true);
    if (r.bool('return_indices', false)) throw r.error('return_indices', 'is not supported: cnnx outputs values only', 'spec.unsupported');
    r.finish();
    return window;
  },
  outChannels: (_layer, inChannels) => inChannels,
  outputShape: poolOutputShape,
  reference(layer, input, rows, outShape) {
    const { tensor: x, y0 } = input;
    const [kh, kw] = layer.kernelSize;
    const [sh, sw] = layer.stride;
    const [dh, dw] = layer.dilation;
    const outRows = rows.end - rows.start;
    const out = tensor(x.channels, outRows, outShape.width);
    for (let c = 0; c < x.channels; c++) {
      for (let oy = rows.start; oy < rows.end; oy++) {
        for (let ox = 0; ox < outShape.width; ox++) {
          let max = -Infinity;
          for (let i = 0; i < kh; i++) {
            const iy = oy * sh - layer.padding[0] + i * dh;
            if (iy < 0 || iy >= input.fullHeight) continue;
            const row = (c * x.height + bandRow(iy, y0, x.height, 'maxpool2d')) * x.width;
            for (let j = 0; j < kw; j++) {
              const ix = ox * sw - layer.padding[1] + j * dw;
              if (ix < 0 || ix >= x.width) continue;
              const v = x.data[row + ix];
              // NaN propagates, as in PyTorch (val > max || isnan(val)).
              if (v > max || Number.isNaN(v)) max = v;
            }
          }
          out.data[(c * outRows + oy - rows.start) * outShape.width + ox] = max;
        }
      }
    }
    return out;
  },
  cost: () => ({ params: 0, macs: 0 }),
  window: poolWindowOf,
};
