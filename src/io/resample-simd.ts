// Pillow's resampling passes on the SIMD module (resample_rows_u8, resample_cols_u8): the bytes of resample.ts's
// passes, which stay the reference and the fallback. They run on the calling thread's own instance (simd-instance.ts).
import { horizontal, resample, vertical, type AxisWeights, type Passes, type Pixels8, type PillowFilter, type Window } from './resample.js';
import { align } from '../engine/fast/memory.js';
import { BASE, releaseIfLarge, simdInstance, type SimdInstance } from './simd-instance.js';

/** The two passes on an instance; its data from BASE up. */
export class SimdPasses implements Passes {
  constructor(readonly instance: SimdInstance) {}

  /** The axis weights at `at` (first, count, then weights; first less `shift`); returns where they end. */
  private putWeights(mem: Uint8Array, at: number, ax: AxisWeights, shift: number): number {
    const n = ax.first.length;
    const ints = new Int32Array(mem.buffer, at, 2 * n + ax.weights.length);
    for (let o = 0; o < n; o++) ints[o] = ax.first[o] - shift;
    ints.set(ax.count, n);
    ints.set(ax.weights, 2 * n);
    return at + ints.byteLength;
  }

  readonly horizontal = (src: Pixels8, rowStart: number, rows: number, ax: AxisWeights): Pixels8 => {
    const ch = src.channels;
    if (ch !== 3 && ch !== 4) return horizontal(src, rowStart, rows, ax);
    const pitch = src.width * ch;
    const outWidth = ax.first.length;
    const inBytes = rows * pitch;
    const weightBytes = 4 * (2 * outWidth + ax.weights.length);
    const outBytes = rows * outWidth * ch;
    const mem = this.instance.room(weightBytes + 16 + align(inBytes + 16, 16) + outBytes);
    if (!mem) return horizontal(src, rowStart, rows, ax);
    const at = BASE;
    const input = align(this.putWeights(mem, at, ax, 0), 16);
    mem.set(src.data.subarray(rowStart * pitch, rowStart * pitch + inBytes), input);
    const out = input + align(inBytes + 16, 16);
    this.instance.simd.resample_rows_u8(input, pitch, rows, ch, at, at + 4 * outWidth, at + 8 * outWidth, ax.taps, outWidth, out);
    return { data: mem.slice(out, out + outBytes), width: outWidth, height: rows, channels: ch };
  };

  readonly vertical = (src: Pixels8, ay: AxisWeights, shift: number, left: number, cols: number): Pixels8 => {
    const ch = src.channels;
    const rowBytes = cols * ch;
    const pitch = align(rowBytes, 16);
    const outRows = ay.first.length;
    // The source rows the taps read (from `top`), the window's columns of each, `pitch` bytes apart.
    const top = ay.first[0] - shift;
    const rows = ay.first[outRows - 1] + ay.count[outRows - 1] - shift - top;
    const weightBytes = 4 * (2 * outRows + ay.weights.length);
    const mem = this.instance.room(weightBytes + 16 + rows * pitch + outRows * pitch);
    if (!mem) return vertical(src, ay, shift, left, cols);
    const at = BASE;
    const input = align(this.putWeights(mem, at, ay, shift + top), 16);
    const srcPitch = src.width * ch;
    for (let r = 0; r < rows; r++) {
      const from = (top + r) * srcPitch + left * ch;
      mem.set(src.data.subarray(from, from + rowBytes), input + r * pitch);
    }
    const out = input + rows * pitch;
    this.instance.simd.resample_cols_u8(input, pitch, pitch, outRows, at, at + 4 * outRows, at + 8 * outRows, ay.taps, out);
    const data = new Uint8Array(rowBytes * outRows);
    for (let o = 0; o < outRows; o++) data.set(mem.subarray(out + o * pitch, out + o * pitch + rowBytes), o * rowBytes);
    return { data, width: cols, height: outRows, channels: ch };
  };
}

/** This thread's SIMD passes; null where the module cannot run here. */
export async function simdPasses(): Promise<SimdPasses | null> {
  const instance = await simdInstance();
  return instance && new SimdPasses(instance);
}

/** resample() (Pillow's Image.resize, or a window of it) with the SIMD passes where this thread can run them. */
export async function resampleSimd(src: Pixels8, width: number, height: number, filter: PillowFilter, window?: Window): Promise<Pixels8> {
  const passes = await simdPasses();
  try {
    return resample(src, width, height, filter, window, passes ?? { horizontal, vertical });
  } finally {
    releaseIfLarge(passes?.instance ?? null);
  }
}
