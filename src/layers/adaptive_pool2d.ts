// adaptive_avgpool2d and adaptive_maxpool2d: pool to a fixed output_size with PyTorch's start/end index rule.
import { adaptiveEnd, adaptiveStart } from '../engine/geometry.js';
import { tensor } from '../engine/tensor.js';
import { describeValue } from '../errors.js';
import type { AdaptivePool2dLayer } from '../network/types.js';
import type { LayerDef } from './layer.js';
import { bandRow } from './pool.js';

function adaptive(type: AdaptivePool2dLayer['type'], reduce: 'mean' | 'max'): LayerDef<AdaptivePool2dLayer> {
  return {
    type,
    summary: reduce === 'mean' ? 'mean over windows that tile the input into output_size' : 'maximum over windows that tile the input into output_size',
    async parse(r) {
      const raw = r.require('output_size');
      const values = typeof raw === 'number' ? [raw, raw] : raw;
      const valid = (v: unknown) => v === null || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1);
      if (!Array.isArray(values) || values.length !== 2 || !values.every(valid)) {
        throw r.error('output_size', `expected an integer >= 1 or [h, w] of integers >= 1 (null keeps the input size), got ${describeValue(raw)}`, 'spec.type');
      }
      r.finish();
      return { outputSize: [values[0], values[1]] as const };
    },
    outChannels: (_layer, inChannels) => inChannels,
    outputShape: (layer, input) => ({
      channels: input.channels,
      height: layer.outputSize[0] ?? input.height,
      width: layer.outputSize[1] ?? input.width,
    }),
    reference(layer, input, rows, outShape) {
      const { tensor: x, y0, fullHeight } = input;
      const outRows = rows.end - rows.start;
      const out = tensor(x.channels, outRows, outShape.width);
      for (let c = 0; c < x.channels; c++) {
        for (let oy = rows.start; oy < rows.end; oy++) {
          const h0 = adaptiveStart(oy, fullHeight, outShape.height);
          const h1 = adaptiveEnd(oy, fullHeight, outShape.height);
          for (let ox = 0; ox < outShape.width; ox++) {
            const w0 = adaptiveStart(ox, x.width, outShape.width);
            const w1 = adaptiveEnd(ox, x.width, outShape.width);
            let acc = reduce === 'mean' ? 0 : -Infinity;
            for (let iy = h0; iy < h1; iy++) {
              const row = (c * x.height + bandRow(iy, y0, x.height, type)) * x.width;
              for (let ix = w0; ix < w1; ix++) {
                const v = x.data[row + ix];
                if (reduce === 'mean') acc += v;
                else if (v > acc || Number.isNaN(v)) acc = v;
              }
            }
            out.data[(c * outRows + oy - rows.start) * outShape.width + ox] = reduce === 'mean' ? acc / ((h1 - h0) * (w1 - w0)) : acc;
          }
        }
      }
      return out;
    },
    cost: () => ({ params: 0, macs: 0 }),
    window: () => null,
  };
}

export const adaptiveAvgpool2d = adaptive('adaptive_avgpool2d', 'mean');
export const adaptiveMaxpool2d = adaptive('adaptive_maxpool2d', 'max');
