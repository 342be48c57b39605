// Reads an image a band of rows at a time: one streaming decode to an uncompressed libvips .v temp file, then positional reads.
import { open, rm, type FileHandle } from 'node:fs/promises';
import { unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { RowRange } from '../engine/band.js';
import { tensor, type Shape, type Tensor } from '../engine/tensor.js';
import { CnnxError, EXIT, inputError } from '../errors.js';
import { tempNameFor } from '../io/atomic.js';
import { describeSharpError, isNpy } from '../io/image.js';
import type { InputSpec } from '../spec/types.js';
import type { RowSource } from './row-source.js';

/** torchvision's rgb_to_grayscale weights: the same constants, in the same order, as src/io/image.ts. */
const GRAY_WEIGHTS = [0.2989, 0.587, 0.114] as const;
/** libvips .v files: a 64-byte header, then the pixels uncompressed, band-interleaved (VIPS_MAGIC_INTEL = little-endian). */
const VIPS_HEADER_BYTES = 64;
const VIPS_MAGIC_INTEL = 0xb6a6f208;
const VIPS_FORMAT_UCHAR = 0;
const VIPS_FORMAT_USHORT = 2;

export interface ImageRowOptions {
  /** Refuse images with more pixels than this; default: no limit (streaming exists for huge images). */
  readonly maxPixels?: number;
  /** Folder for the decoded temp file (width x height x channels bytes, or twice that for 16-bit); default the OS temp folder. */
  readonly tempDir?: string;
}

/** An image opened for row reads; `close` removes its temp file. */
export interface ImageRows extends RowSource {
  close(): Promise<void>;
}

interface Decoding {
  readonly native: 'b-w' | 'grey16' | 'rgb16' | 'srgb';
  readonly sixteenBit: boolean;
}

/**
 * The network-input shape of an image file without decoding its pixels (EXIF rotation applied),
 * so callers can decide between whole-image and streamed runs.
 */
export async function probeImage(file: string, name: string, spec: InputSpec): Promise<Shape> {
  const meta = await metadataOf(file, name);
  const turned = (meta.orientation ?? 1) >= 5;
  const width = turned ? meta.height : meta.width;
  const height = turned ? meta.width : meta.height;
  if (!width || !height) throw inputError('input.decode', name, 'cannot decode image: no size in its header');
  return { channels: spec.channels, height, width };
}

async function metadataOf(file: string, name: string): Promise<sharp.Metadata> {
  const head = Buffer.alloc(6);
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw inputError('input.read', name, code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : (error as Error).message);
  }
  try {
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  if (isNpy(head)) throw inputError('input.stream', name, 'is a .npy: streamed runs read images only; a .npy input is read whole');
  try {
    return await sharp(file, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw inputError('input.decode', name, describeSharpError((error as Error).message));
  }
}

/** How src/io/image.ts decodes this image: the same colourspace and depth, so values match bit for bit. */
function decodingOf(meta: sharp.Metadata): Decoding {
  const sixteenBit = meta.depth === 'ushort' || meta.depth === 'short';
  const native = meta.space === 'b-w' || meta.space === 'grey16' || meta.space === 'rgb16' ? meta.space : sixteenBit ? 'rgb16' : 'srgb';
  return { native, sixteenBit };
}

/**
 * Opens `file` for row reads as the network input described by `spec` (channels, mean/std; no resize).
 * libvips decodes PNG, JPEG and TIFF sequentially, so the temp file is written in bounded memory;
 * reading it back is a positional read per band, whatever the format's own random-access abilities.
 */
export async function openImageRows(file: string, name: string, spec: InputSpec, options: ImageRowOptions = {}): Promise<ImageRows> {
  if (spec.resize) throw inputError('input.stream', name, 'the spec resizes its input (input.resize): streamed runs read images at their own size');
  if (![1, 3, 4].includes(spec.channels)) {
    throw inputError('input.channels', name, `is an image, but the network's input.channels is ${spec.channels}; images can be read as 1, 3 or 4 channels`);
  }
  const meta = await metadataOf(file, name);
  const decoding = decodingOf(meta);
  const temp = tempNameFor(path.join(options.tempDir ?? os.tmpdir(), `${path.basename(file)}.v`));
  // A backstop for crashes between here and close(); close() is the normal way out.
  const cleanup = () => {
    try {
      unlinkSync(temp);
    } catch {
      // Already removed.
    }
  };
  process.once('exit', cleanup);
  try {
    await sharp(file, { failOn: 'warning', limitInputPixels: options.maxPixels ?? false })
      .rotate()
      .toColourspace(decoding.native)
      .toFile(temp);
    const handle = await open(temp, 'r');
    return await vipsRows(handle, temp, name, spec, async () => {
      await handle.close();
      await rm(temp, { force: true });
      process.removeListener('exit', cleanup);
    });
  } catch (error) {
    await rm(temp, { force: true });
    process.removeListener('exit', cleanup);
    if (error instanceof CnnxError) throw error;
    throw inputError('input.decode', name, describeSharpError((error as Error).message));
  }
}

async function vipsRows(handle: FileHandle, temp: string, name: string, spec: InputSpec, close: () => Promise<void>): Promise<ImageRows> {
  const header = Buffer.alloc(VIPS_HEADER_BYTES);
  await handle.read(header, 0, VIPS_HEADER_BYTES, 0);
  const magic = header.readUInt32BE(0);
  const width = header.readInt32LE(4);
  const height = header.readInt32LE(8);
  const have = header.readInt32LE(12);
  const format = header.readInt32LE(20);
  const coding = header.readInt32LE(24);
  if (magic !== VIPS_MAGIC_INTEL || coding !== 0 || (format !== VIPS_FORMAT_UCHAR && format !== VIPS_FORMAT_USHORT)) {
    throw new CnnxError('input.stream', `${name}: unexpected decoded layout in ${temp} (format ${format}, coding ${coding})`, EXIT.inputFailed);
  }
  const sample = format === VIPS_FORMAT_USHORT ? 2 : 1;
  const rowBytes = width * have * sample;
  return {
    shape: { channels: spec.channels, height, width },
    async read(rows: RowRange): Promise<Tensor> {
      const count = rows.end - rows.start;
      const bytes = Buffer.allocUnsafe(count * rowBytes);
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, VIPS_HEADER_BYTES + rows.start * rowBytes);
      if (bytesRead !== bytes.length) throw new CnnxError('input.stream', `${name}: the decoded temp file ${temp} is truncated`, EXIT.inputFailed);
      const values = sample === 2 ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2) : bytes;
      const t = toPlanar(values, width, count, have, spec.channels, sample === 2 ? 1 / 65535 : 1 / 255);
      return normalise(t, spec);
    },
    close,
  };
}

/** Interleaved samples to planar [0, 1] floats: the arithmetic of src/io/image.ts, so rows match a whole decode exactly. */
function toPlanar(values: ArrayLike<number>, width: number, height: number, have: number, want: number, scale: number): Tensor {
  const out = tensor(want, height, width);
  const plane = width * height;
  const colour = have >= 3;
  const alpha = have === 2 || have === 4;
  for (let p = 0; p < plane; p++) {
    const base = p * have;
    if (want === 1) {
      out.data[p] = colour
        ? GRAY_WEIGHTS[0] * values[base] * scale + GRAY_WEIGHTS[1] * values[base + 1] * scale + GRAY_WEIGHTS[2] * values[base + 2] * scale
        : values[base] * scale;
      continue;
    }
    for (let c = 0; c < 3; c++) out.data[c * plane + p] = values[base + (colour ? c : 0)] * scale;
    if (want === 4) out.data[3 * plane + p] = alpha ? values[base + have - 1] * scale : 1;
  }
  return out;
}

function normalise(t: Tensor, spec: InputSpec): Tensor {
  if (!spec.mean && !spec.std) return t;
  const plane = t.height * t.width;
  for (let c = 0; c < t.channels; c++) {
    const mean = spec.mean ? spec.mean[c] : 0;
    const std = spec.std ? spec.std[c] : 1;
    for (let i = c * plane; i < (c + 1) * plane; i++) t.data[i] = (t.data[i] - mean) / std;
  }
  return t;
}
