// The batch's decode workers: an 8-bit image comes back as its pixels (a PixelTensor, converted by the engine) with the
// values of a plain decode; inputs the worker converts itself (here colour to gray) come back as floats. Either array, once
// recycled, goes back to a worker (transferred, so the sender can no longer touch it) and a later decode of that size
// overwrites it whole: the tensor equals a decode into a fresh array.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { expect, test } from 'vitest';
import type { workerDecoder as WorkerDecoder } from '../../src/batch/decode-pool.js';
import { readInput } from '../../src/io/image.js';
import type { InputSpec } from '../../src/network/types.js';
import { mulberry32, ROOT, tempDir } from '../helpers.js';

// The decode workers run from dist/ (like the CLI's), so the pool is loaded from there.
const { workerDecoder } = (await import(path.join(ROOT, 'dist', 'batch', 'decode-pool.js'))) as { workerDecoder: typeof WorkerDecoder };
// The class the pool builds its tensors with (dist's, not src's: instanceof tells them apart).
const { PixelTensor } = (await import(path.join(ROOT, 'dist', 'engine', 'pixels.js'))) as typeof import('../../src/engine/pixels.js');
type PixelTensor = InstanceType<typeof PixelTensor>;

const SPEC: InputSpec = { channels: 3, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: null };
const GRAY: InputSpec = { channels: 1, mean: [0.449], std: [0.226], resize: null };

async function noisePng(file: string, seed: number): Promise<string> {
  const r = mulberry32(seed);
  const pixels = Buffer.from(Array.from({ length: 40 * 30 * 3 }, () => Math.floor(r() * 256)));
  writeFileSync(file, await sharp(pixels, { raw: { width: 40, height: 30, channels: 3 } }).png().toBuffer());
  return file;
}

test('an 8-bit image comes back as its pixels, with the values of a plain decode; recycled pixels are overwritten whole', async () => {
  const dir = tempDir();
  const files = await Promise.all([4, 5, 6].map((seed) => noisePng(path.join(dir, `noise${seed}.png`), seed)));
  const decoder = workerDecoder(1, SPEC);
  try {
    for (const file of files) {
      const got = await decoder.decode(file, path.basename(file));
      expect(got).toBeInstanceOf(PixelTensor);
      const fresh = await readInput(file, 'fresh', SPEC);
      expect(Buffer.from(got.data.buffer).equals(Buffer.from(fresh.data.buffer))).toBe(true);
      const pixels = (got as PixelTensor).pixels;
      expect(pixels.length).toBe(40 * 30 * 3);
      decoder.recycle!(got);
      expect(pixels.length).toBe(0); // detached: it now belongs to the worker, which copies the next image's pixels into it
    }
  } finally {
    await decoder.close();
  }
});

test('recycled arrays are transferred to the workers and overwritten whole by later decodes', async () => {
  const dir = tempDir();
  const files = await Promise.all([1, 2, 3].map((seed) => noisePng(path.join(dir, `noise${seed}.png`), seed)));
  const decoder = workerDecoder(1, GRAY);
  try {
    const first = await decoder.decode(files[0], 'noise1.png');
    expect(first).not.toBeInstanceOf(PixelTensor);
    const data = first.data;
    expect(data.length).toBe(40 * 30);
    decoder.recycle!(first);
    expect(data.length).toBe(0); // detached: it now belongs to the worker
    for (const file of files.slice(1)) {
      const got = await decoder.decode(file, path.basename(file));
      const fresh = await readInput(file, 'fresh', GRAY);
      expect(Buffer.from(got.data.buffer).equals(Buffer.from(fresh.data.buffer))).toBe(true);
      decoder.recycle!(got);
    }
  } finally {
    await decoder.close();
  }
});
