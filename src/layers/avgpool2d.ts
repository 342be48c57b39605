// avgpool2d: window mean with stride, padding, ceil_mode, count_include_pad and divisor_override (torch.nn.AvgPool2d).
import { tensor } from '../engine/tensor.js';
import type { AvgPool2dLayer } from '../network/types.js';
import type { LayerDef } from './layer.js';
import { bandRow, parsePoolWindow, poolOutputShape, poolWindowOf, type PoolWindow } from './pool.js';

export const avgpool2d: LayerDef<AvgPool2dLayer> = {
  type: 'avgpool2d',
  summary: 'mean over each window',
  async parse(r) {
    const { kernelSize, stride, padding, ceilMode } = parsePoolWindow(r, false);
    const countIncludePad = r.bool('count_include_pad', true);
    const divisor = r.get('divisor_override');
    const divisorOverride = divisor === undefined || divisor === null ? null : r.int('divisor_override', { min: 1 });
    r.finish();
    return { kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride };
  },
  outChannels: (_layer, inChannels) => inChannels,
  outputShape: (layer, input) => poolOutputShape(undilated(layer), input),
  reference(layer, input, rows, outShape) {
    const { tensor: x, y0, fullHeight } = input;
    const [kh, kw] = layer.kernelSize;
    const [sh, sw] = layer.stride;
    const [ph, pw] = layer.padding;
    const outRows = rows.end - rows.start;
    const out = tensor(x.channels, outRows, outShape.width);
    for (let c = 0; c < x.channels; c++) {
      for (let oy = rows.start; oy < rows.end; oy++) {
        for (let ox = 0; ox < outShape.width; ox++) {
          // The window is clipped to input + padding (not to the ceil_mode overhang), then to the input.
          let h0 = oy * sh - ph;
          let w0 = ox * sw - pw;
          let h1 = Math.min(h0 + kh, fullHeight + ph);
          let w1 = Math.min(w0 + kw, x.width + pw);
          const poolSize = (h1 - h0) * (w1 - w0);
          h0 = Math.max(h0, 0);
          w0 = Math.max(w0, 0);
          h1 = Math.min(h1, fullHeight);
          w1 = Math.min(w1, x.width);
          let sum = 0;
          for (let iy = h0; iy < h1; iy++) {
            const row = (c * x.height + bandRow(iy, y0, x.height, 'avgpool2d')) * x.width;
            for (let ix = w0; ix < w1; ix++) sum += x.data[row + ix];
          }
          const divisor = layer.divisorOverride ?? (layer.countIncludePad ? poolSize : (h1 - h0) * (w1 - w0));
          out.data[(c * outRows + oy - rows.start) * outShape.width + ox] = sum / divisor;
        }
      }
    }
    return out;
  },
  cost: () => ({ params: 0, macs: 0 }),
  window: (layer) => poolWindowOf(undilated(layer)),
};

/** The pool's window with dilation 1 (outputShape runs once per input: fields listed, see "Per-input objects" in docs/development.md). */
function undilated(layer: AvgPool2dLayer): PoolWindow {
  return { kernelSize: layer.kernelSize, stride: layer.stride, padding: layer.padding, dilation: [1, 1], ceilMode: layer.ceilMode };
}
