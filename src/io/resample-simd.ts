// Pillow's resampling passes on the SIMD module (resample_rows_u8, resample_cols_u8): the bytes of resample.ts's
// passes, which stay the reference and the fallback. Each thread that decodes gets its own instance and memory.
import { MEMORY } from '../engine/fast/layout.js';
import { hasRelaxedSimd, hasSimd } from '../wasm/features.js';
import { loadSimdModule, MAX_PAGES } from '../wasm/loader.js';
import { horizontal, resample, vertical, type AxisWeights, type Passes, type Pixels8, type PillowFilter, type Window } from './resample.js';

interface Exports {
  resample_rows_u8(src: number, pitch: number, rows: number, ch: number, first: number, count: number, weights: number, taps: number, outWidth: number, dst: number): void;
  resample_cols_u8(src: number, pitch: number, rowBytes: number, outRows: number, first: number, count: number, weights: number, taps: number, dst: number): void;
}

/** This thread's instance and the memory it works in (from MEMORY.RESERVED up, grown as images need). */
class Resampler implements Passes {
  constructor(
    private readonly simd: Exports,
    private readonly memory: WebAssembly.Memory,
  ) {}

  /** Bytes of memory this instance holds (it never shrinks). */
  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Room for `bytes` from MEMORY.RESERVED; the memory's bytes. */
  private room(bytes: number): Uint8Array {
    const need = Math.ceil((MEMORY.RESERVED + bytes) / 65536) - this.memory.buffer.byteLength / 65536;
    if (need > 0) this.memory.grow(need);
    return new Uint8Array(this.memory.buffer);
  }

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
    const mem = this.room(weightBytes + 16 + align16(inBytes + 16) + outBytes);
    const at = MEMORY.RESERVED;
    const input = align16(this.putWeights(mem, at, ax, 0));
    mem.set(src.data.subarray(rowStart * pitch, rowStart * pitch + inBytes), input);
    const out = input + align16(inBytes + 16);
    this.simd.resample_rows_u8(input, pitch, rows, ch, at, at + 4 * outWidth, at + 8 * outWidth, ax.taps, outWidth, out);
    return { data: mem.slice(out, out + outBytes), width: outWidth, height: rows, channels: ch };
  };

  readonly vertical = (src: Pixels8, ay: AxisWeights, shift: number, left: number, cols: number): Pixels8 => {
    const ch = src.channels;
    const rowBytes = cols * ch;
    const pitch = align16(rowBytes);
    const outRows = ay.first.length;
    // The source rows the taps read, the window's columns of each, `pitch` bytes apart.
    const first = ay.first[0] - shift;
    const rows = ay.first[outRows - 1] + ay.count[outRows - 1] - shift - first;
    const weightBytes = 4 * (2 * outRows + ay.weights.length);
    const mem = this.room(weightBytes + 16 + rows * pitch + outRows * pitch);
    const at = MEMORY.RESERVED;
    const input = align16(this.putWeights(mem, at, ay, shift + first));
    const srcPitch = src.width * ch;
    for (let r = 0; r < rows; r++) {
      const from = (first + r) * srcPitch + left * ch;
      mem.set(src.data.subarray(from, from + rowBytes), input + r * pitch);
    }
    const out = input + rows * pitch;
    this.simd.resample_cols_u8(input, pitch, pitch, outRows, at, at + 4 * outRows, at + 8 * outRows, ay.taps, out);
    const data = new Uint8Array(rowBytes * outRows);
    for (let o = 0; o < outRows; o++) data.set(mem.subarray(out + o * pitch, out + o * pitch + rowBytes), o * rowBytes);
    return { data, width: cols, height: outRows, channels: ch };
  };
}

function align16(n: number): number {
  return Math.ceil(n / 16) * 16;
}

/**
 * A memory grown past this by a large photo is let go after it (a fresh instance starts small): a
 * 12-megapixel photo fits, so a folder of them reuses one instance, and one huge image does not keep its
 * copy for the rest of the run.
 */
const KEEP_BYTES = 64 * 1024 * 1024;

let resampler: Promise<Resampler | null> | null = null;

/**
 * This thread's SIMD passes, made on first use (the engine's build of the module where this thread has
 * one compiled: its integer code is the same in every build); null where WebAssembly SIMD is missing or
 * the module cannot load.
 */
export function simdPasses(): Promise<(Passes & { readonly bytes: number }) | null> {
  resampler ??= (async () => {
    if (!hasSimd()) return null;
    try {
      const module = await loadSimdModule(hasRelaxedSimd() ? 'fma' : 'plain');
      const memory = new WebAssembly.Memory({ initial: 2, maximum: MAX_PAGES, shared: true });
      const abort = (): never => {
        throw new Error('the SIMD module aborted while resampling');
      };
      const exports = new WebAssembly.Instance(module, { env: { memory, abort } }).exports as unknown as Exports;
      return new Resampler(exports, memory);
    } catch {
      return null;
    }
  })();
  return resampler;
}

/** resample() (Pillow's Image.resize, or a window of it) with the SIMD passes where this thread can run them. */
export async function resampleSimd(src: Pixels8, width: number, height: number, filter: PillowFilter, window?: Window): Promise<Pixels8> {
  const passes = await simdPasses();
  try {
    return resample(src, width, height, filter, window, passes ?? { horizontal, vertical });
  } finally {
    if (passes && passes.bytes > KEEP_BYTES) resampler = null;
  }
}
