// Image inputs: EXIF orientation, resize forms, channel conversion rules and mean/std, checked on generated images.
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { readInput, withCause } from '../../src/io/image.js';
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

  test('an image cannot feed a 2-channel network', async () => {
    await expect(readInput(await ramp(4, 2), 'r.png', spec({ channels: 2 }))).rejects.toThrow(
      "r.png: is an image, but the network's input.channels is 2; images can be read as 1, 3 or 4 channels (use a .npy input for others)",
    );
  });
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
