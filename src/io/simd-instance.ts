// The SIMD module on a thread that decodes images, over a memory of its own, for the routines that prepare them
// (resample-simd.ts): made on first use, grown as images need, let go after one huge image.
import { MEMORY } from '../engine/fast/layout.js';
import { hasSimd } from '../wasm/features.js';
import { instantiateHere, isLoading, loadSimdModule, MAX_PAGES } from '../wasm/loader.js';

/** The exports these routines call (src/wasm/assembly/resample.ts). */
export interface PrepareExports {
  resample_rows_u8(src: number, pitch: number, rows: number, ch: number, first: number, count: number, weights: number, taps: number, outWidth: number, dst: number): void;
  resample_cols_u8(src: number, pitch: number, rowBytes: number, outRows: number, first: number, count: number, weights: number, taps: number, dst: number): void;
}

/** Where a routine's data may start: the module's reserved first 64 KiB stay untouched. */
export const BASE = MEMORY.RESERVED;

/** This thread's instance and its memory. */
export class SimdInstance {
  constructor(
    readonly simd: PrepareExports,
    private readonly memory: WebAssembly.Memory,
  ) {}

  /** Bytes of memory the instance holds (a memory never shrinks). */
  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * Room for `bytes` from BASE: the memory's bytes, as they are after any growth; null when the memory
   * cannot grow that far (the caller does the work in TypeScript instead).
   */
  room(bytes: number): Uint8Array | null {
    const need = Math.ceil((BASE + bytes) / 65536) - this.memory.buffer.byteLength / 65536;
    if (need > 0) {
      try {
        this.memory.grow(need);
      } catch {
        return null;
      }
    }
    return new Uint8Array(this.memory.buffer);
  }
}

/**
 * A memory grown past this by one image is let go after it (a fresh instance starts small): a
 * 12-megapixel photo fits, so a folder of them reuses one instance, and one huge image does not keep its
 * copy for the rest of the run.
 */
const KEEP_BYTES = 64 * 1024 * 1024;

let instance: Promise<SimdInstance | null> | null = null;

/**
 * This thread's instance: of the fused build when this thread has compiled it for an engine, else of the
 * plain one (the routines' integer code is the same in every build, and a decode worker then never
 * touches V8's relaxed SIMD flag); null where WebAssembly SIMD is missing or the module cannot load.
 */
export function simdInstance(): Promise<SimdInstance | null> {
  instance ??= (async () => {
    if (!hasSimd()) return null;
    try {
      const module = await loadSimdModule(isLoading('fma') ? 'fma' : 'plain');
      const memory = new WebAssembly.Memory({ initial: 2, maximum: MAX_PAGES, shared: true });
      return new SimdInstance(instantiateHere(module, memory) as unknown as PrepareExports, memory);
    } catch {
      return null;
    }
  })();
  return instance;
}

/** After a routine ran on `used`: lets the instance go if an image grew its memory past KEEP_BYTES. */
export function releaseIfLarge(used: SimdInstance | null): void {
  if (used && used.bytes > KEEP_BYTES) instance = null;
}
