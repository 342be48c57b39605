// The resampling passes on the SIMD module (src/io/resample-simd.ts) against the reference ones (src/io/resample.ts):
// the same bytes for every filter, 1 to 4 channels (1 and 2 take the reference horizontal pass), windows, strong
// downscales with many taps, upscales, and images large enough to grow the module's memory.
import { describe, expect, it } from 'vitest';
import { resample, type Pixels8 } from '../../src/io/resample.js';
import { resampleSimd, SimdPasses, simdPasses } from '../../src/io/resample-simd.js';
import { SimdInstance, type PrepareExports } from '../../src/io/simd-instance.js';
import { instantiateHere, loadSimdModule } from '../../src/wasm/loader.js';
import { mulberry32 } from '../helpers.js';

const FILTERS = ['nearest', 'bilinear', 'bicubic', 'box', 'hamming', 'lanczos'] as const;

function image(r: () => number, width: number, height: number, channels: number): Pixels8 {
  return { data: new Uint8Array(width * height * channels).map(() => Math.floor(r() * 256)), width, height, channels };
}

describe('resampling on the SIMD module', () => {
  it('is there on this runtime', async () => {
    expect(await simdPasses()).not.toBeNull();
  });

  it('gives the bytes of the reference passes', async () => {
    const passes = (await simdPasses())!;
    const r = mulberry32(23);
    const int = (n: number) => Math.floor(r() * n);
    let cases = 0;
    for (let t = 0; t < 240; t++) {
      const channels = 1 + (t % 4);
      const px = image(r, 1 + int(70), 1 + int(70), channels);
      // Each axis down (a little or to a few pixels, many taps), up, or unchanged.
      const size = (n: number, k: number) => [1 + int(n), n + 1 + int(50), n, 1 + int(4)][k % 4];
      const [w, h] = [size(px.width, t), size(px.height, Math.floor(t / 4))];
      const filter = FILTERS[t % 6];
      const left = t % 3 === 0 ? int(w) : 0;
      const top = t % 3 === 0 ? int(h) : 0;
      const window = t % 3 === 0 ? { left, top, width: 1 + int(w - left), height: 1 + int(h - top) } : undefined;
      const want = resample(px, w, h, filter, window);
      const got = resample(px, w, h, filter, window, passes);
      const name = `${px.width}x${px.height}x${channels} -> ${w}x${h} ${filter}${window ? ` window ${JSON.stringify(window)}` : ''}`;
      expect([got.width, got.height, got.channels], name).toEqual([want.width, want.height, want.channels]);
      expect(Buffer.from(got.data).equals(Buffer.from(want.data)), name).toBe(true);
      cases++;
    }
    expect(cases).toBe(240);
  });

  it('grows its memory for a large photo and gives the same bytes', async () => {
    const r = mulberry32(3);
    for (const channels of [3, 4]) {
      const px = image(r, 1500, 1000, channels);
      const window = { left: 53, top: 16, width: 224, height: 224 };
      const want = resample(px, 331, 256, 'bilinear', window);
      const got = await resampleSimd(px, 331, 256, 'bilinear', window);
      expect(Buffer.from(got.data).equals(Buffer.from(want.data)), `${channels} channels`).toBe(true);
    }
  });

  it('lets go of a memory grown past 64 MiB by one huge image: the next call starts a fresh instance', async () => {
    const first = await simdPasses();
    // 4800 x 4800 RGB: 69 MB of source copied in.
    const huge = { data: new Uint8Array(4800 * 4800 * 3), width: 4800, height: 4800, channels: 3 };
    const out = await resampleSimd(huge, 300, 300, 'bilinear');
    expect([out.width, out.height, out.data.every((v) => v === 0)]).toEqual([300, 300, true]);
    const next = await simdPasses();
    expect(next!.instance).not.toBe(first!.instance);
    expect(next!.instance.bytes).toBeLessThan(1024 * 1024);
  });

  it('falls back to the reference passes when its memory cannot grow, with the same bytes', async () => {
    // A memory capped at 4 pages (256 KiB): room for small images only.
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 4, shared: true });
    const exports = instantiateHere(await loadSimdModule('plain'), memory) as unknown as PrepareExports;
    const passes = new SimdPasses(new SimdInstance(exports, memory));
    const r = mulberry32(8);
    for (const [w, h] of [[40, 30], [600, 400]]) {
      const px = image(r, w, h, 3);
      const want = resample(px, 37, 29, 'bicubic');
      const got = resample(px, 37, 29, 'bicubic', undefined, passes);
      expect(Buffer.from(got.data).equals(Buffer.from(want.data)), `${w}x${h}`).toBe(true);
    }
    expect(memory.buffer.byteLength).toBeLessThanOrEqual(4 * 65536);
  });
});
