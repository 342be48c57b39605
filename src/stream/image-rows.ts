// Reads an image a band of rows at a time: one streaming decode to an uncompressed libvips .v temp file, then positional reads.
import { open, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { RowRange } from '../engine/band.js';
import type { Shape, Tensor } from '../engine/tensor.js';
import { CnnxError, inputError } from '../errors.js';
import { createTempFolder, removeTempFolder, WriteError } from '../io/atomic.js';
import { checkPixels } from '../io/limits.js';
import { readFailure, readHead } from '../io/read-file.js';
import { isNpy } from '../io/file-format.js';
import { checkImageChannels, decodeOptions, describeSharpError, imageDecoding, pixelsToInput } from '../io/image.js';
import type { InputSpec } from '../network/types.js';
import type { RowSource } from './row-source.js';

/** libvips .v files: a 64-byte header, then the pixels uncompressed, band-interleaved (VIPS_MAGIC_INTEL = little-endian). */
const VIPS_HEADER_BYTES = 64;
const VIPS_MAGIC_INTEL = 0xb6a6f208;
const VIPS_FORMAT_UCHAR = 0;
const VIPS_FORMAT_USHORT = 2;

export interface ImageRowOptions {
  /** Refuse images with more pixels than this, before the temp file is written; default DEFAULT_MAX_PIXELS (raise it for huge images). */
  readonly maxPixels?: number;
  /** Folder for the decoded temp file (width x height x channels bytes, or twice that for 16-bit); default the OS temp folder. */
  readonly tempDir?: string;
}

/** An image opened for row reads; `close` removes its temp file. */
export interface ImageRows extends RowSource {
  close(): Promise<void>;
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
  let head: Uint8Array;
  try {
    head = await readHead(file, 6);
  } catch (error) {
    throw inputError('input.read', name, readFailure(error).reason);
  }
  if (isNpy(head)) throw inputError('input.stream', name, 'is a .npy: streamed runs read images only; a .npy input is read whole');
  try {
    return await sharp(file, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw inputError('input.decode', name, describeSharpError((error as Error).message));
  }
}

/**
 * Opens `file` for row reads as the network input described by `spec` (channels, mean/std; no resize).
 * libvips decodes PNG, JPEG and TIFF sequentially, so the temp file is written in bounded memory;
 * reading it back is a positional read per band, whatever the format's own random-access abilities.
 */
export async function openImageRows(file: string, name: string, spec: InputSpec, options: ImageRowOptions = {}): Promise<ImageRows> {
  if (spec.resize) throw inputError('input.stream', name, 'the spec resizes its input (input.resize): streamed runs read images at their own size');
  checkImageChannels(spec, name);
  const meta = await metadataOf(file, name);
  checkPixels(name, meta.width ?? 0, meta.height ?? 0, options.maxPixels);
  const decoding = imageDecoding(meta);
  // A recorded temp folder, removed on exit and by the CLI's signal handlers whenever they come: libvips
  // creates the .v file by name on its own thread, possibly after an exit swept the name, and a create in
  // a folder the sweep removed fails.
  const tempDir = options.tempDir ?? os.tmpdir();
  // The input first: in a batch, this line is all that says which image could not be decoded there.
  const tempTarget = `${name}: the temp folder ${tempDir} (TMPDIR)`;
  let folder: string;
  try {
    folder = createTempFolder(tempDir);
  } catch (error) {
    throw WriteError.of(tempTarget, error);
  }
  const temp = path.join(folder, `${path.basename(file)}.v`);
  try {
    await sharp(file, decodeOptions(options.maxPixels))
      .rotate()
      .toColourspace(decoding.native)
      .toFile(temp);
    const handle = await open(temp, 'r');
    return await vipsRows(handle, temp, name, spec, async () => {
      await handle.close();
      await removeTempFolder(folder);
    });
  } catch (error) {
    await removeTempFolder(folder);
    if (error instanceof CnnxError) throw error;
    // libvips says `wbuffer_write: write failed; system error: No space left on device`: the temp folder is full, not the image bad.
    const system = /system error: ([^;\n]+)/.exec((error as Error).message);
    if (system && /^(No space left on device|Disk quota exceeded|Input\/output error|File too large)$/i.test(system[1].trim())) {
      throw new WriteError(tempTarget, null, system[1].trim().toLowerCase());
    }
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
    throw new CnnxError('input.stream', `${name}: unexpected decoded layout in ${temp} (format ${format}, coding ${coding})`);
  }
  const sample = format === VIPS_FORMAT_USHORT ? 2 : 1;
  const rowBytes = width * have * sample;
  return {
    shape: { channels: spec.channels, height, width },
    async read(rows: RowRange): Promise<Tensor> {
      const count = rows.end - rows.start;
      const bytes = Buffer.allocUnsafe(count * rowBytes);
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, VIPS_HEADER_BYTES + rows.start * rowBytes);
      if (bytesRead !== bytes.length) throw new CnnxError('input.stream', `${name}: the decoded temp file ${temp} is truncated`);
      const values = sample === 2 ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2) : bytes;
      return pixelsToInput(values, width, count, have, sample === 2 ? 1 / 65535 : 1 / 255, spec);
    },
    close,
  };
}
