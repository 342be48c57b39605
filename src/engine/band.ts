// Row bands: a horizontal slice of a feature map, and which input rows a layer needs for given output rows (halo arithmetic).
import { INPUT, type Layer, type Network } from '../network/types.js';
import type { Shape } from './tensor.js';
import type { Tensor } from './tensor.js';
import { adaptiveEnd, adaptiveStart, borderIndex, effectiveKernel } from './geometry.js';
import { outputRowTile, type MapSize } from './tiles.js';

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
 * The smallest row range of the layer's input (height `inHeight`) holding every row that output rows
 * `out` (of the layer's full output map `outMap`, whose size decides Winograd tiles) read, following the layer's own border rule: reflect/symmetric/replicate read rows just inside
 * the border, zero and pool padding read nothing. Never empty (a band of zero rows helps no engine):
 * when every row read is padding, one row next to it is returned.
 * Circular padding can read the far border: the range then stretches to it (correct, if wide); the stream
 * planner makes circular padding explicit before asking here, so its bands stay narrow.
 */
export function neededRows(layer: Layer, out: RowRange, inHeight: number, outMap: MapSize): RowRange {
  let lo = Infinity;
  let hi = -Infinity;
  const take = (iy: number) => {
    if (iy < 0 || iy >= inHeight) return;
    if (iy < lo) lo = iy;
    if (iy > hi) hi = iy;
  };
  switch (layer.type) {
    case 'conv2d': {
      // Every row of the padded span, gaps between dilated or strided taps included: the fast engine
      // copies the span [first, last] of padded rows before convolving, so it reads all of them.
      // Tiled convs (2-D Winograd) read the whole tiles the rows fall in; padded rows past the
      // map's padding (a last tile reaching beyond it) are zeros and read nothing.
      const [sh] = layer.stride;
      const tile = outputRowTile(layer, outMap);
      const o0 = Math.floor(out.start / tile) * tile;
      const o1 = Math.ceil(out.end / tile) * tile;
      const first = Math.max(o0 * sh - layer.padding.top, -layer.padding.top);
      const last = Math.min((o1 - 1) * sh - layer.padding.top + effectiveKernel(layer.kernelSize[0], layer.dilation[0]) - 1, inHeight + layer.padding.bottom - 1);
      if (layer.paddingMode === 'zeros') {
        take(Math.max(first, 0));
        take(Math.min(last, inHeight - 1));
      } else {
        for (let iy = first; iy <= last; iy++) take(borderIndex(iy, inHeight, layer.paddingMode));
      }
      return nonEmpty(lo, hi, first, inHeight);
    }
    case 'maxpool2d': {
      // The whole span of the windows, rows between dilated taps included: the fast engine copies the
      // span into a padded buffer before pooling, as it does for a conv.
      const [sh] = layer.stride;
      const first = out.start * sh - layer.padding[0];
      const last = (out.end - 1) * sh - layer.padding[0] + effectiveKernel(layer.kernelSize[0], layer.dilation[0]) - 1;
      take(Math.max(first, 0));
      take(Math.min(last, inHeight - 1));
      return nonEmpty(lo, hi, first, inHeight);
    }
    case 'avgpool2d': {
      // The window is clipped to input + padding, then to the input (as the layer does).
      const [sh] = layer.stride;
      const first = out.start * sh - layer.padding[0];
      const last = Math.min((out.end - 1) * sh - layer.padding[0] + layer.kernelSize[0], inHeight + layer.padding[0]);
      const a = Math.max(first, 0);
      const b = Math.min(last, inHeight);
      if (a < b) {
        take(a);
        take(b - 1);
      }
      return nonEmpty(lo, hi, first, inHeight);
    }
    case 'adaptive_avgpool2d':
    case 'adaptive_maxpool2d': {
      const outHeight = layer.outputSize[0] ?? inHeight;
      return { start: adaptiveStart(out.start, inHeight, outHeight), end: adaptiveEnd(out.end - 1, inHeight, outHeight) };
    }
    case 'gem':
      // A global pool: its one output row reads every input row.
      return { start: 0, end: inHeight };
    case 'relu':
    case 'leaky_relu':
    case 'relu6':
    case 'hardtanh':
    case 'batchnorm2d':
    case 'local_response_norm':
    case 'add':
    case 'concat':
    case 'normalize':
      return out;
  }
}

/** The smallest range holding both (their hull: rows between them are computed too). */
export function hull(a: RowRange | null, b: RowRange): RowRange {
  return a === null ? b : { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/**
 * The rows each node must compute so that node t yields rows `targets.get(t)` (by node index), and the
 * input rows that takes: walking back from the targets, each node computes the hull of what its
 * readers need (`neededRows`), and nodes nothing needs get null. `shapes` are the nodes' full-map shapes.
 */
export function nodeRows(net: Network, targets: ReadonlyMap<number, RowRange>, shapes: readonly Shape[], inputHeight: number): { rows: (RowRange | null)[]; input: RowRange | null } {
  const rows: (RowRange | null)[] = net.layers.map(() => null);
  let input: RowRange | null = null;
  for (const [t, r] of targets) {
    if (t === INPUT) input = hull(input, r);
    else rows[t] = hull(rows[t], r);
  }
  for (let j = net.layers.length - 1; j >= 0; j--) {
    const r = rows[j];
    if (r === null) continue;
    const layer = net.layers[j];
    for (const i of layer.inputs) {
      const need = neededRows(layer, r, i === INPUT ? inputHeight : shapes[i].height, shapes[j]);
      if (i === INPUT) input = hull(input, need);
      else rows[i] = hull(rows[i], need);
    }
  }
  return { rows, input };
}

function nonEmpty(lo: number, hi: number, near: number, n: number): RowRange {
  if (lo <= hi) return { start: lo, end: hi + 1 };
  const row = Math.min(Math.max(near, 0), n - 1);
  return { start: row, end: row + 1 };
}
