// concat: two or more inputs of the same size stacked along channels, in input order (torch.cat(dim=1)).
import { formatShape, tensor } from '../engine/tensor.js';
import type { ConcatLayer } from '../network/types.js';
import { rowsOf } from './add.js';
import type { MergeDef } from './layer.js';

export const concat: MergeDef<ConcatLayer> = {
  type: 'concat',
  summary: 'the branches stacked along channels',
  outChannels: (inChannels) => inChannels.reduce((a, b) => a + b, 0),
  outputShape(inputs) {
    const [first] = inputs;
    const bad = inputs.findIndex((s) => s.height !== first.height || s.width !== first.width);
    if (bad >= 0) return `branches[${bad}] gives ${formatShape(inputs[bad])}, branches[0] ${formatShape(first)}: the branches of a concat must agree in size`;
    return { channels: inputs.reduce((a, s) => a + s.channels, 0), height: first.height, width: first.width };
  },
  reference(_layer, inputs, rows, outShape) {
    const out = tensor(outShape.channels, rows.end - rows.start, outShape.width);
    const plane = out.height * out.width;
    let channel = 0;
    for (const band of inputs) {
      for (let c = 0; c < band.tensor.channels; c++) out.data.set(rowsOf(band, rows, c), channel++ * plane);
    }
    return out;
  },
};
