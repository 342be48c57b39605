// Image inputs: EXIF orientation, resize forms, channel conversion rules and mean/std, checked on generated images.
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { readInput } from '../../src/io/image.js';
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

  test('width/height with fit cover gives exactly that size', async () => {
    const t = await readInput(await ramp(80, 40), 'r.png', spec({ resize: { kind: 'box', width: 32, height: 24, fit: 'cover' } }));
    expect([t.channels, t.height, t.width]).toEqual([3, 24, 32]);
  });

  test('shorter_side then center_crop, as torchvision Resize + CenterCrop', async () => {
    const t = await readInput(await ramp(90, 60), 'r.png', spec({ resize: { kind: 'shorter_side', shorterSide: 30, centerCrop: [20, 24] } }));
    expect([t.height, t.width]).toEqual([20, 24]);
    // 90x60 -> 45x30, crop 24 wide from x = round((45 - 24) / 2) = 10 (half to even): red starts near 10 * 2 = 20.
    expect(t.data[0] * 255).toBeGreaterThan(15);
    expect(t.data[0] * 255).toBeLessThan(26);
  });

  test('a center_crop larger than the resized image is an input error', async () => {
    const error = await readInput(await ramp(90, 60), 'r.png', spec({ resize: { kind: 'shorter_side', shorterSide: 30, centerCrop: [40, 40] } })).catch((e: Error) => e);
    expect((error as Error).message).toBe('r.png: cannot decode image: center_crop 40x40 is larger than the resized image 30x45');
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
