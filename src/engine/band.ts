// Row bands: a horizontal slice of a feature map, and which input rows a layer needs for given output rows.
import type { Layer } from '../spec/types.js';
import type { Tensor } from './tensor.js';
import { adaptiveEnd, adaptiveStart, effectiveKernel } from './geometry.js';

/**
 * Rows [y0, y0 + tensor.height) of a feature map whose full height is `fullHeight`
 * (its width is always whole). A whole-map run is the band with y0 = 0, height = fullHeight.
 */
export interface Band {
  readonly tensor: Tensor;
  readonly y0: number;
  readonly fullHeight: number;
}

/** Half-open row range [start, end). */
export interface RowRange {
  readonly start: number;
  readonly end: number;
}

/**
 * The input rows that output rows [out.start, out.end) of `layer` read, clipped to [0, inHeight).
 * Rows outside the image come from the padding rule (zeros, or a reflection of rows that
 * this range does include when the band touches the border: see `paddedRows`).
 */
export function inputRowsFor(layer: Layer, out: RowRange, inHeight: number): RowRange {
  switch (layer.type) {
    case 'conv2d': {
      const keff = effectiveKernel(layer.kernelSize[0], layer.dilation[0]);
      return clip(out.start * layer.stride[0] - layer.padding.top, (out.end - 1) * layer.stride[0] - layer.padding.top + keff, inHeight);
    }
    case 'maxpool2d': {
      const keff = effectiveKernel(layer.kernelSize[0], layer.dilation[0]);
      return clip(out.start * layer.stride[0] - layer.padding[0], (out.end - 1) * layer.stride[0] - layer.padding[0] + keff, inHeight);
    }
    case 'avgpool2d':
      return clip(out.start * layer.stride[0] - layer.padding[0], (out.end - 1) * layer.stride[0] - layer.padding[0] + layer.kernelSize[0], inHeight);
    case 'adaptive_avgpool2d':
    case 'adaptive_maxpool2d': {
      const outHeight = layer.outputSize[0] ?? inHeight;
      return { start: adaptiveStart(out.start, inHeight, outHeight), end: adaptiveEnd(out.end - 1, inHeight, outHeight) };
    }
    case 'relu':
    case 'leaky_relu':
    case 'batchnorm2d':
      return out;
  }
}

function clip(start: number, end: number, n: number): RowRange {
  return { start: Math.max(0, start), end: Math.min(n, end) };
}
