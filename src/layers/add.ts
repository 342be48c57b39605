// add: the element-wise sum of two or more inputs of the same shape, in input order (a residual connection's join).
import type { Band } from '../engine/band.js';
import { formatShape, tensor } from '../engine/tensor.js';
import type { AddLayer } from '../network/types.js';
import type { MergeDef } from './layer.js';

export const add: MergeDef<AddLayer> = {
  type: 'add',
  summary: 'element-wise sum of the branches',
  outChannels(inChannels) {
    const bad = inChannels.findIndex((c) => c !== inChannels[0]);
    return bad < 0 ? inChannels[0] : `branches[${bad}] gives ${inChannels[bad]} channels, branches[0] ${inChannels[0]}: the branches of an add must agree in channels`;
  },
  outputShape(inputs) {
    const [first] = inputs;
    const bad = inputs.findIndex((s) => s.channels !== first.channels || s.height !== first.height || s.width !== first.width);
    return bad < 0 ? first : `branches[${bad}] gives ${formatShape(inputs[bad])}, branches[0] ${formatShape(first)}: the branches of an add must agree in channels and size`;
  },
  reference(_layer, inputs, rows, outShape) {
    const out = tensor(outShape.channels, rows.end - rows.start, outShape.width);
    const plane = out.height * out.width;
    // Float32 sums in input order, as PyTorch adds a + b (then + c).
    for (const [k, band] of inputs.entries()) {
      for (let c = 0; c < outShape.channels; c++) {
        const src = rowsOf(band, rows, c);
        const dst = out.data.subarray(c * plane, (c + 1) * plane);
        if (k === 0) dst.set(src);
        else for (let i = 0; i < plane; i++) dst[i] = Math.fround(dst[i] + src[i]);
      }
    }
    return out;
  },
};

/** Rows `rows` of channel c of a band, as a view. */
export function rowsOf(band: Band, rows: { start: number; end: number }, c: number): Float32Array {
  const { height, width, data } = band.tensor;
  const offset = rows.start - band.y0;
  if (offset < 0 || rows.end - band.y0 > height) throw new RangeError(`band ${band.y0}..${band.y0 + height} does not hold rows ${rows.start}..${rows.end}`);
  return data.subarray((c * height + offset) * width, (c * height + offset + rows.end - rows.start) * width);
}
