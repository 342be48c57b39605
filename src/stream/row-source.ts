// Row sources: anything that can hand over rows [start, end) of a full-height map (the image, a stage's output, a padded view).
import type { RowRange } from '../engine/band.js';
import { tensor, type Shape, type Tensor } from '../engine/tensor.js';

export interface RowSource {
  /** The full map's shape; `read` returns rows of it. */
  readonly shape: Shape;
  read(rows: RowRange): Promise<Tensor>;
}

/** Rows [from, from + count) of `t` as a new tensor. */
export function sliceRows(t: Tensor, from: number, count: number): Tensor {
  if (from === 0 && count === t.height) return t;
  const out = tensor(t.channels, count, t.width);
  const plane = count * t.width;
  for (let c = 0; c < t.channels; c++) {
    const src = (c * t.height + from) * t.width;
    out.data.set(t.data.subarray(src, src + plane), c * plane);
  }
  return out;
}

/** Stacks tensors of equal channels and width along rows, in order. */
export function concatRows(parts: readonly Tensor[]): Tensor {
  if (parts.length === 1) return parts[0];
  const { channels, width } = parts[0];
  const height = parts.reduce((sum, p) => sum + p.height, 0);
  const out = tensor(channels, height, width);
  for (let c = 0; c < channels; c++) {
    let row = 0;
    for (const p of parts) {
      const plane = p.height * width;
      out.data.set(p.data.subarray(c * plane, (c + 1) * plane), (c * height + row) * width);
      row += p.height;
    }
  }
  return out;
}

/** A map already in memory (tests, and the input of a whole-map stage). */
export function tensorSource(t: Tensor): RowSource {
  return {
    shape: { channels: t.channels, height: t.height, width: t.width },
    read: async (rows) => sliceRows(t, rows.start, rows.end - rows.start),
  };
}

/**
 * `inner` with `top` rows of its bottom stacked above it and `bottom` rows of its top below it:
 * circular padding made explicit, so a conv with zero vertical padding reads what a circular conv reads.
 * Only the rows asked for are read, in at most three pieces.
 */
export function circularPadSource(inner: RowSource, top: number, bottom: number): RowSource {
  const n = inner.shape.height;
  return {
    shape: { ...inner.shape, height: n + top + bottom },
    async read(rows) {
      const pieces: RowRange[] = [
        { start: Math.max(rows.start, 0) - top + n, end: Math.min(rows.end, top) - top + n },
        { start: Math.max(rows.start, top) - top, end: Math.min(rows.end, top + n) - top },
        { start: Math.max(rows.start, top + n) - top - n, end: rows.end - top - n },
      ].filter((p) => p.end > p.start);
      const parts: Tensor[] = [];
      for (const piece of pieces) parts.push(await inner.read(piece));
      return concatRows(parts);
    },
  };
}
