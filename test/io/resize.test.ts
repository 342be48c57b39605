// input.resize's rules: torchvision's sizes and crop offsets, the interpolation key and its defaults, sharp's kernels.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { CnnxError, EXIT } from '../../src/errors.js';
import { readInput } from '../../src/io/image.js';
import { resample } from '../../src/io/resample.js';
import { centerCropOffset, shorterSideSize } from '../../src/io/resize.js';
import { parseInput } from '../../src/network/input.js';
import { mulberry32 } from '../helpers.js';
import { ObjectReader } from '../../src/network/reader.js';
import type { InputSpec } from '../../src/network/types.js';

const geometry = JSON.parse(readFileSync(path.join(import.meta.dirname, '../../fixtures/resize/geometry.json'), 'utf8')) as {
  resize: [number, number, number, number, number][];
  center_crop: [number, number, number][];
};

const parse = (input: Record<string, unknown>): InputSpec => parseInput(new ObjectReader('net.json', 'input', input));

function parseError(input: Record<string, unknown>): CnnxError {
  try {
    parse(input);
  } catch (error) {
    expect(error).toBeInstanceOf(CnnxError);
    return error as CnnxError;
  }
  throw new Error('expected a spec error');
}

describe("torchvision's geometry, as torchvision's own functions give it", () => {
  test.each(geometry.resize)('Resize(%i x %i, %i) is %i x %i', (w, h, side, newW, newH) => {
    expect(shorterSideSize(w, h, side)).toEqual([newW, newH]);
  });

  test('CenterCrop offsets, half to even, padding when the crop is larger', () => {
    const ours = geometry.center_crop.map(([size, crop]) => [size, crop, centerCropOffset(size, crop)]);
    expect(ours).toEqual(geometry.center_crop);
  });
});

describe('the interpolation key', () => {
  test('defaults: bilinear for shorter_side and fit "fill", sharp\'s lanczos3 for the other fits', () => {
    expect(parse({ channels: 3, resize: { shorter_side: 256, center_crop: 224 } }).resize).toEqual({ kind: 'shorter_side', shorterSide: 256, centerCrop: [224, 224], interpolation: 'bilinear' });
    expect(parse({ channels: 3, resize: { width: 8, height: 6, fit: 'fill' } }).resize).toMatchObject({ interpolation: 'bilinear' });
    expect(parse({ channels: 3, resize: { width: 8, height: 6 } }).resize).toMatchObject({ fit: 'cover', interpolation: 'lanczos3' });
    expect(parse({ channels: 3, resize: { width: 8, fit: 'inside', interpolation: 'mitchell' } }).resize).toMatchObject({ interpolation: 'mitchell' });
    expect(parse({ channels: 3, resize: { shorter_side: 9, interpolation: 'lanczos3' } }).resize).toMatchObject({ interpolation: 'lanczos3' });
  });

  test.each([
    [{ shorter_side: 9, interpolation: 'bilinaer' }, 'spec.type', 'net.json: input.resize.interpolation: expected one of nearest, bilinear, bicubic, box, hamming, lanczos, linear, cubic, mitchell, lanczos2, lanczos3, mks2013, mks2021, got "bilinaer" (did you mean "bilinear"?)'],
    [{ width: 8, height: 8, interpolation: 'bicubic' }, 'spec.conflict', 'net.json: input.resize.interpolation: "bicubic" is torchvision\'s (Pillow\'s), which has no fit "cover": use one of sharp\'s kernels (linear, cubic, mitchell, lanczos2, lanczos3, mks2013, mks2021), or fit "fill" or {"shorter_side": N, "center_crop": M} for torchvision\'s Resize'],
    [{ width: 8, fit: 'fill' }, 'spec.missing', 'net.json: input.resize.fit: "fill" needs both "width" and "height"'],
  ])('%j is refused', (resize, code, message) => {
    const error = parseError({ channels: 3, resize });
    expect([error.code, error.exitCode, error.message]).toEqual([code, EXIT.usage, message]);
  });
});

describe('resampling', () => {
  test('an image already at the target size is returned as is', () => {
    const px = { data: new Uint8Array([1, 2, 3, 4]), width: 2, height: 2, channels: 1 };
    expect(resample(px, 2, 2, 'bicubic')).toBe(px);
  });

  test('a constant image stays constant under every filter, up and down', () => {
    for (const filter of ['nearest', 'bilinear', 'bicubic', 'box', 'hamming', 'lanczos'] as const) {
      const px = { data: new Uint8Array(13 * 7 * 2).fill(200), width: 13, height: 7, channels: 2 };
      for (const [w, h] of [[5, 3], [29, 17], [13, 2], [1, 1]]) {
        const out = resample(px, w, h, filter);
        expect([out.width, out.height, out.channels, new Set(out.data)]).toEqual([w, h, 2, new Set([200])]);
      }
    }
  });

  test('a window of the output holds the bytes of the whole resize there, for every filter and channel count', () => {
    const r = mulberry32(17);
    const int = (n: number) => Math.floor(r() * n);
    let cases = 0;
    for (let t = 0; t < 60; t++) {
      const channels = 1 + (t % 4);
      const [width, height] = [2 + int(40), 2 + int(40)];
      const px = { data: new Uint8Array(width * height * channels).map(() => int(256)), width, height, channels };
      // Down, up, or the same size along each axis (a same-size axis only crops).
      const size = (n: number, k: number) => [Math.max(1, int(n)), n + 1 + int(30), n][k % 3];
      const [w, h] = [size(px.width, t), size(px.height, Math.floor(t / 3))];
      const filter = (['nearest', 'bilinear', 'bicubic', 'box', 'hamming', 'lanczos'] as const)[t % 6];
      const whole = resample(px, w, h, filter);
      const [left, top] = [int(w), int(h)];
      const part = { left, top, width: 1 + int(w - left), height: 1 + int(h - top) };
      const got = resample(px, w, h, filter, part);
      const want = new Uint8Array(part.width * part.height * channels);
      for (let y = 0; y < part.height; y++) {
        const from = ((part.top + y) * w + part.left) * channels;
        want.set(whole.data.subarray(from, from + part.width * channels), y * part.width * channels);
      }
      expect([got.width, got.height, got.channels]).toEqual([part.width, part.height, channels]);
      expect(Buffer.from(got.data).equals(Buffer.from(want)), `${px.width}x${px.height}x${channels} -> ${w}x${h} ${filter}, window ${JSON.stringify(part)}`).toBe(true);
      cases++;
    }
    expect(cases).toBe(60);
  });

  test("sharp's kernels give a different, still sensible, tensor", async () => {
    const photo = path.join(import.meta.dirname, '../../fixtures/images/chelsea.png');
    const tensors = await Promise.all(['bilinear', 'lanczos3', 'mks2021'].map((interpolation) => readInput(photo, 'chelsea.png', parse({ channels: 3, resize: { shorter_side: 40, center_crop: 32, interpolation } }))));
    for (const t of tensors) expect([t.channels, t.height, t.width]).toEqual([3, 32, 32]);
    const gap = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    expect(gap(tensors[0].data, tensors[1].data)).toBeGreaterThan(1 / 255);
    expect(gap(tensors[0].data, tensors[1].data)).toBeLessThan(0.5);
  });

  test('16-bit images keep 16 bits with sharp kernels, and resize as their high byte with Pillow filters', async () => {
    const w = 6;
    const h = 4;
    const samples = new Uint16Array(w * h * 3).map((_, i) => 257 * ((i * 37) % 256) + (i % 200));
    const png = await sharp(samples, { raw: { width: w, height: h, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
    // Same size: no resampling, so the values show the depth each path works at.
    const sixteen = await readInput(png, 'a.png', parse({ channels: 3, resize: { shorter_side: h, interpolation: 'lanczos3' } }));
    const eight = await readInput(png, 'a.png', parse({ channels: 3, resize: { shorter_side: h, interpolation: 'bilinear' } }));
    const plane = w * h;
    for (let p = 0; p < plane; p++) {
      expect(sixteen.data[p]).toBe(Math.fround(samples[p * 3] / 65535));
      expect(eight.data[p]).toBe(Math.fround((samples[p * 3] >> 8) / 255));
    }
  });
});
