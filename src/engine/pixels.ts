// Pixels to the planar input by lookup, and PixelTensor: an image's input that keeps its 8-bit pixels, which the fast engine converts in its own memory.
import { checkSize } from '../arguments.js';
import type { Tensor } from './tensor.js';

/**
 * How interleaved pixels become the planar float32 input: each input channel reads one sample of a
 * pixel and looks its level up. This is every conversion but colour to gray (three samples a value).
 */
export interface PixelLookup {
  /** Per input channel, which sample of a pixel it reads (0 .. have - 1). */
  readonly sources: readonly number[];
  /** Pixel levels: 256 for 8-bit samples, 65536 for 16-bit. */
  readonly levels: number;
  /** [channel][level]: channel c's value at level v is tables[c * levels + v]. */
  readonly tables: Float32Array;
}

/** Writes `lookup` of `have`-sample interleaved `values` (plane pixels) into `out`, channel after channel. */
export function applyLookup(values: Uint8Array | Uint16Array, have: number, plane: number, lookup: PixelLookup, out: Float32Array): void {
  const { sources, levels, tables } = lookup;
  for (let c = 0; c < sources.length; c++) {
    const dst = out.subarray(c * plane, (c + 1) * plane);
    const table = tables.subarray(c * levels, (c + 1) * levels);
    for (let p = 0, k = sources[c]; p < plane; p++, k += have) dst[p] = table[values[k]];
  }
}

/**
 * A decoded image's input tensor that keeps the 8-bit pixels it comes from. `data` is made from them
 * on first read, so any reader sees an ordinary tensor; the fast engine instead copies the pixels (a
 * quarter of the floats' bytes for RGB) into its memory and converts them there with the same tables.
 */
export class PixelTensor implements Tensor {
  readonly channels: number;
  private made: Float32Array | null = null;

  constructor(
    readonly width: number,
    readonly height: number,
    /** Interleaved samples, `have` a pixel, row after row. */
    readonly pixels: Uint8Array,
    readonly have: number,
    readonly lookup: PixelLookup,
  ) {
    checkSize(width, 'PixelTensor: width', 1);
    checkSize(height, 'PixelTensor: height', 1);
    if (lookup.levels !== 256) throw new RangeError(`PixelTensor: lookup.levels must be 256 (8-bit pixels), got ${lookup.levels}`);
    if (pixels.length !== width * height * have) throw new RangeError(`PixelTensor: pixels has ${pixels.length} samples, ${width}x${height} pixels of ${have} need ${width * height * have}`);
    this.channels = lookup.sources.length;
  }

  get data(): Float32Array {
    if (this.made === null) {
      const plane = this.width * this.height;
      this.made = new Float32Array(this.channels * plane);
      applyLookup(this.pixels, this.have, plane, this.lookup, this.made);
    }
    return this.made;
  }
}
