// Shared skeleton of the layers that map each value on its own (relu, leaky_relu, batchnorm2d).
import type { Band, RowRange } from '../engine/band.js';
import { tensor, type Shape, type Tensor } from '../engine/tensor.js';

/** Applies `f(value, channel)` to rows `rows` of the band. */
export function mapRows(input: Band, rows: RowRange, f: (value: number, channel: number) => number): Tensor {
  const { channels, width, height } = input.tensor;
  const outRows = rows.end - rows.start;
  const out = tensor(channels, outRows, width);
  const offset = rows.start - input.y0;
  if (offset < 0 || offset + outRows > height) throw new RangeError('band does not hold the requested rows');
  for (let c = 0; c < channels; c++) {
    const src = (c * height + offset) * width;
    const dst = c * outRows * width;
    for (let i = 0; i < outRows * width; i++) out.data[dst + i] = f(input.tensor.data[src + i], c);
  }
  return out;
}

export function sameShape(_layer: unknown, input: Shape): Shape {
  return input;
}
