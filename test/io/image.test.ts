// Image inputs: EXIF orientation, resize forms, channel conversion rules and mean/std, checked on generated images.
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { PixelTensor } from '../../src/engine/pixels.js';
import { pixelLookup, pixelsToInput, readInput, withCause } from '../../src/io/image.js';
import { encodeNpy } from '../../src/io/npy.js';
import type { InputSpec } from '../../src/network/types.js';

const spec = (extra: Partial<InputSpec> = {}): InputSpec => ({ channels: 3, mean: null, std: null, resize: null, ...extra });

/** A w x h RGB image whose red channel is x, green y, blue a constant 7. */
async function ramp(width: number, height: number): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x, y, 7], (y * width + x) * 3);
  return sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

describe('orientation and resize', () => {
  test('EXIF orientation 6 (rotate 90 degrees clockwise) is applied', async () => {
    const png = await ramp(40, 20);
    const jpeg = await sharp(png).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
    const t = await readInput(jpeg, 'rotated.jpg', spec());
    expect([t.height, t.width]).toEqual([40, 20]);
    // After a clockwise turn the old top-left corner (x=0) is at the top right; red grows downwards.
    const red = (y: number, x: number) => t.data[y * t.width + x] * 255;
    expect(red(39, 10)).toBeGreaterThan(red(0, 10) + 30);
  });

  test('width/height with fit cover (sharp, lanczos3) gives exactly that size', async () => {
    const t = await readInput(await ramp(80, 40), 'r.png', spec({ resize: { kind: 'box', width: 32, height: 24, fit: 'cover', interpolation: 'lanczos3' } }));
    expect([t.channels, t.height, t.width]).toEqual([3, 24, 32]);
  });

  test('shorter_side then center_crop, as torchvision Resize + CenterCrop', async () => {
    const t = await readInput(await ramp(90, 60), 'r.png', spec({ resize: { kind: 'shorter_side', shorterSide: 30, centerCrop: [20, 24], interpolation: 'bilinear' } }));
    expect([t.height, t.width]).toEqual([20, 24]);
    // 90x60 -> 45x30, crop 24 wide from x = round((45 - 24) / 2) = 10 (half to even): red starts near 10 * 2 = 20.
    expect(t.data[0] * 255).toBeGreaterThan(15);
    expect(t.data[0] * 255).toBeLessThan(26);
  });

  test('a center_crop larger than the resized image pads with zeros, as torchvision', async () => {
    // 90x60 -> 45x30; a 33x48 crop pads 1 row above, 2 below, 1 column left, 2 right.
    const t = await readInput(await ramp(90, 60), 'r.png', spec({ resize: { kind: 'shorter_side', shorterSide: 30, centerCrop: [33, 48], interpolation: 'nearest' } }));
    expect([t.height, t.width]).toEqual([33, 48]);
    const blue = (y: number, x: number) => Math.round(t.data[2 * 33 * 48 + y * 48 + x] * 255);
    expect([blue(0, 10), blue(1, 0), blue(1, 1), blue(30, 45), blue(30, 46), blue(31, 10)]).toEqual([0, 0, 7, 7, 0, 0]);
  });

  test('a sharp kernel with shorter_side keeps torchvision\'s sizes and crop', async () => {
    // 91x60 -> int(30 * 91 / 60) = 45 wide (sharp's own rounding would give 46).
    const t = await readInput(await ramp(91, 60), 'r.png', spec({ resize: { kind: 'shorter_side', shorterSide: 30, centerCrop: null, interpolation: 'mitchell' } }));
    expect([t.height, t.width]).toEqual([30, 45]);
  });
});

describe('channels and normalisation', () => {
  test('gray from colour uses torchvision weights on [0, 1] values', async () => {
    const data = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 51, 102, 153]);
    const png = await sharp(data, { raw: { width: 4, height: 1, channels: 3 } }).png().toBuffer();
    const t = await readInput(png, 'c.png', spec({ channels: 1 }));
    const expected = [0.2989, 0.587, 0.114, 0.2989 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6];
    expected.forEach((v, i) => expect(t.data[i]).toBeCloseTo(v, 6));
  });

  test('4 channels from RGB adds an opaque alpha; mean/std apply per channel', async () => {
    const t = await readInput(await ramp(4, 2), 'r.png', spec({ channels: 4, mean: [0, 0, 0, 0.5], std: [1, 1, 1, 0.25] }));
    const plane = 8;
    expect(Array.from(t.data.subarray(3 * plane, 4 * plane))).toEqual(new Array(plane).fill(2));
    expect(t.data[2 * plane]).toBeCloseTo(7 / 255, 7);
  });

  test('keepPixels: an 8-bit image comes back as a PixelTensor of the same values; 16-bit and colour to gray as floats', async () => {
    const png = await ramp(37, 5);
    const imagenet = spec({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: { kind: 'shorter_side', shorterSide: 4, centerCrop: [3, 3], interpolation: 'bilinear' } });
    for (const s of [spec(), spec({ channels: 4 }), imagenet]) {
      const kept = await readInput(png, 'r.png', s, { keepPixels: true });
      expect(kept).toBeInstanceOf(PixelTensor);
      const floats = await readInput(png, 'r.png', s);
      expect([kept.channels, kept.height, kept.width]).toEqual([floats.channels, floats.height, floats.width]);
      expect(Buffer.from(kept.data.buffer).equals(Buffer.from(floats.data.buffer))).toBe(true);
    }
    const sixteen = await sharp(Buffer.alloc(4 * 3 * 6, 200), { raw: { width: 4, height: 3, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
    expect(await readInput(sixteen, 's.png', spec(), { keepPixels: true })).not.toBeInstanceOf(PixelTensor);
    expect(await readInput(png, 'r.png', spec({ channels: 1 }), { keepPixels: true })).not.toBeInstanceOf(PixelTensor);
  });

  test('an image cannot feed a 2-channel network', async () => {
    await expect(readInput(await ramp(4, 2), 'r.png', spec({ channels: 2 }))).rejects.toThrow(
      "r.png: is an image, but the network's input.channels is 2; images can be read as 1, 3 or 4 channels (use a .npy input for others)",
    );
  });
});

describe('pixelsToInput', () => {
  // ToTensor then Normalize for one value, each step rounded to float32 as torch does, written out per pixel.
  const totensor = (v: number, scale: number) => Math.fround(v * scale);
  const normalise = (x: number, mean: number, std: number) => Math.fround(Math.fround(x - Math.fround(mean)) / Math.fround(std));
  const gray = (r: number, g: number, b: number, scale: number) => {
    const [wr, wg, wb] = [0.2989, 0.587, 0.114].map(Math.fround);
    return Math.fround(Math.fround(Math.fround(wr * totensor(r, scale)) + Math.fround(wg * totensor(g, scale))) + Math.fround(wb * totensor(b, scale)));
  };
  /** Every level of `bits` in each channel, in a scrambled order, `have` channels interleaved. */
  function levels(bits: 8 | 16, have: number, count: number): Uint8Array | Uint16Array {
    const values = bits === 8 ? new Uint8Array(count * have) : new Uint16Array(count * have);
    const top = bits === 8 ? 256 : 65536;
    for (let i = 0; i < values.length; i++) values[i] = (i * 40503 + (i % have) * 7919) % top;
    return values;
  }
  const cases: { name: string; have: number; want: number; mean: number[] | null; std: number[] | null }[] = [
    { name: 'RGB, normalised', have: 3, want: 3, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    { name: 'RGB, [0, 1] only', have: 3, want: 3, mean: null, std: null },
    { name: 'RGBA to RGB', have: 4, want: 3, mean: [0.5, 0.25, 0.125], std: [0.3, 0.2, 0.1] },
    { name: 'gray to RGB', have: 1, want: 3, mean: [0.1, 0.2, 0.3], std: [0.9, 0.8, 0.7] },
    { name: 'gray + alpha to RGBA', have: 2, want: 4, mean: [0.1, 0.2, 0.3, 0.4], std: [1, 2, 3, 4] },
    { name: 'RGB to RGBA (opaque)', have: 3, want: 4, mean: [0, 0, 0, 0.5], std: [1, 1, 1, 0.25] },
    { name: 'RGB to gray, normalised', have: 3, want: 1, mean: [0.449], std: [0.226] },
    { name: 'RGBA to gray', have: 4, want: 1, mean: null, std: null },
  ];
  for (const bits of [8, 16] as const) {
    for (const c of cases) {
      test(`${c.name}, ${bits}-bit: every value as the per-pixel formula gives it, bit for bit`, () => {
        const scale = bits === 8 ? 1 / 255 : 1 / 65535;
        const count = bits === 8 ? 4096 : 70000;
        const values = levels(bits, c.have, count);
        const t = pixelsToInput(values, count, 1, c.have, scale, { channels: c.want, mean: c.mean, std: c.std, resize: null });
        const expected = new Float32Array(c.want * count);
        for (let ch = 0; ch < c.want; ch++) {
          const source = ch < 3 ? (c.have >= 3 ? ch : 0) : c.have === 2 || c.have === 4 ? c.have - 1 : -1;
          for (let p = 0; p < count; p++) {
            const px = p * c.have;
            const x = c.want === 1 && c.have >= 3 ? gray(values[px], values[px + 1], values[px + 2], scale) : source < 0 ? 1 : totensor(values[px + source], scale);
            expected[ch * count + p] = c.mean || c.std ? normalise(x, c.mean ? c.mean[ch] : 0, c.std ? c.std[ch] : 1) : x;
          }
        }
        expect(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(Buffer.from(expected.buffer))).toBe(true);
        // The lookup a PixelTensor keeps: every case but colour to gray, whose values mix three samples.
        const lookup = pixelLookup({ channels: c.want, mean: c.mean, std: c.std, resize: null }, c.have, bits === 8 ? 256 : 65536, scale);
        expect(lookup === null).toBe(c.want === 1 && c.have >= 3);
        if (bits === 8 && lookup) {
          const kept = new PixelTensor(count, 1, values as Uint8Array, c.have, lookup);
          expect(Buffer.from(kept.data.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
        }
      });
    }
  }
});

describe('.npy inputs', () => {
  // Two channels of 2 x 3 values, with a spec asking for mean/std and a resize.
  const values = Float32Array.from([0.25, -1.5, 3, 0.1, 7, -0.3, 2, 4, -8, 0.7, 0.2, 1e-3]);
  const npy = encodeNpy([2, 2, 3], values);
  const preprocessing: Partial<InputSpec> = { channels: 2, mean: [0.485, 0.456], std: [0.229, 0.224], resize: { kind: 'shorter_side', shorterSide: 8, centerCrop: null, interpolation: 'bilinear' } };

  test('are the tensor the first layer sees: neither resized nor normalised', async () => {
    const t = await readInput(npy, 'x.npy', spec(preprocessing));
    expect([t.channels, t.height, t.width]).toEqual([2, 2, 3]);
    expect(Array.from(t.data)).toEqual(Array.from(values));
  });

  test('normalize_npy applies mean/std, in float32 steps as for images (still no resize)', async () => {
    const t = await readInput(npy, 'x.npy', spec({ ...preprocessing, normalizeNpy: true }));
    expect([t.channels, t.height, t.width]).toEqual([2, 2, 3]);
    const mean = [Math.fround(0.485), Math.fround(0.456)];
    const std = [Math.fround(0.229), Math.fround(0.224)];
    const expected = Array.from(values, (v, i) => Math.fround(Math.fround(v - mean[Math.floor(i / 6)]) / std[Math.floor(i / 6)]));
    expect(Array.from(t.data)).toEqual(expected);
  });
});

describe('sharp messages that lost their cause', () => {
  // libvips keeps one error buffer per process: a failure beside another can reach sharp with its cause cleared.
  test('are asked again; a message with its cause, or a success, is not', async () => {
    let again = 0;
    const retry = () => {
      again++;
      return Promise.reject(new Error('Input buffer has corrupt header: VipsJpeg: premature end of JPEG image'));
    };
    await expect(withCause(() => Promise.reject(new Error('Input buffer has corrupt header: ')), retry)).rejects.toThrow(/premature end of JPEG image/);
    expect(again).toBe(1);
    await expect(withCause(() => Promise.reject(new Error('Input buffer has corrupt header:')), () => Promise.resolve(5))).resolves.toBe(5);
    await expect(withCause(() => Promise.reject(new Error('Input file is missing: x.jpg')), retry)).rejects.toThrow('Input file is missing: x.jpg');
    await expect(withCause(() => Promise.resolve(3), retry)).resolves.toBe(3);
    expect(again).toBe(1);
  });
});
