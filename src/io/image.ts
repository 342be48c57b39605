// Decodes an image (sharp) or a .npy into the network's input tensor: orientation, resize, channel conversion, scaling, mean/std.
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { CnnxError, inputError } from '../errors.js';
import { tensor, type Tensor } from '../engine/tensor.js';
import type { InputSpec } from '../network/types.js';
import { isNpy, wrongFormatError } from './file-format.js';
import { parseNpy } from './npy.js';
import { readFailure } from './read-file.js';
import { plural } from '../format.js';

/** torchvision's rgb_to_grayscale weights, applied to [0, 1] values. */
const GRAY_WEIGHTS = [0.2989, 0.587, 0.114] as const;

export interface DecodeOptions {
  /** Refuse images with more pixels than this (sharp's limitInputPixels); default sharp's own limit. */
  readonly maxPixels?: number;
}

/**
 * Reads one input (a file path, or bytes already read, e.g. from stdin) as a (C, H, W) float tensor
 * ready for the network. `name` is how messages refer to it.
 */
export async function readInput(source: string | Uint8Array, name: string, spec: InputSpec, options: DecodeOptions = {}): Promise<Tensor> {
  const bytes = typeof source === 'string' ? await readBytes(source, name) : source;
  if (!isNpy(bytes)) return decodeImage(bytes, name, spec, options);
  const array = npyTensor(bytes, name, spec);
  for (let c = 0; c < array.channels; c++) normaliseChannel(array.data.subarray(c * array.height * array.width, (c + 1) * array.height * array.width), spec, c);
  return array;
}

/** An input's bytes; a file that cannot be read fails this input only (exit 1). */
async function readBytes(file: string, name: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (error) {
    throw inputError('input.read', name, readFailure(error).reason);
  }
}

function npyTensor(bytes: Uint8Array, name: string, spec: InputSpec): Tensor {
  let array;
  try {
    array = parseNpy(bytes, name);
  } catch (error) {
    if (error instanceof CnnxError) throw new CnnxError('input.decode', error.message);
    throw error;
  }
  const shape = array.shape.length === 2 ? [1, ...array.shape] : array.shape;
  if (shape.length !== 3) throw inputError('input.shape', name, `expected a .npy of shape (C, H, W) or (H, W), got (${array.shape.join(', ')})`);
  if (shape[0] !== spec.channels) throw inputError('input.shape', name, `has ${plural(shape[0], 'channel')}, the network's input.channels is ${spec.channels}`);
  if (shape[1] < 1 || shape[2] < 1) throw inputError('input.shape', name, `is empty: shape (${array.shape.join(', ')})`);
  return tensor(shape[0], shape[1], shape[2], array.data);
}

async function decodeImage(bytes: Uint8Array, name: string, spec: InputSpec, options: DecodeOptions): Promise<Tensor> {
  checkImageChannels(spec, name);
  let pixels: { data: Buffer; info: sharp.OutputInfo };
  try {
    // One sharp instance: its header is parsed once for metadata() and reused by the pipeline.
    let image = sharp(bytes, { failOn: 'warning', limitInputPixels: options.maxPixels ?? undefined });
    const { native, sixteenBit } = imageDecoding(await image.metadata());
    image = await applyResize(image.rotate().toColourspace(native), spec);
    pixels = await image.raw({ depth: sixteenBit ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    // A file of another format (a spec, a checkpoint, weights) says what it is rather than what sharp lacks.
    throw wrongFormatError(bytes, name, name, 'input') ?? inputError('input.decode', name, describeSharpError((error as Error).message));
  }
  const { width, height, channels: have } = pixels.info;
  const sixteen = pixels.data.length === width * height * have * 2;
  const values = sixteen ? new Uint16Array(pixels.data.buffer, pixels.data.byteOffset, width * height * have) : pixels.data;
  const scale = sixteen ? 1 / 65535 : 1 / 255;
  return pixelsToInput(values, width, height, have, scale, spec);
}

/** Images can be read as 1, 3 or 4 channels; other counts need a .npy input. */
export function checkImageChannels(spec: InputSpec, name: string): void {
  if (![1, 3, 4].includes(spec.channels)) {
    throw inputError('input.channels', name, `is an image, but the network's input.channels is ${spec.channels}; images can be read as 1, 3 or 4 channels (use a .npy input for others)`);
  }
}

/**
 * How an image is decoded: gray stays gray and 16-bit stays 16-bit (sharp's default output is
 * 8-bit-range sRGB). Shared with the streamed reader, so its rows match a whole decode bit for bit.
 */
export function imageDecoding(meta: sharp.Metadata): { native: 'b-w' | 'grey16' | 'rgb16' | 'srgb'; sixteenBit: boolean } {
  const sixteenBit = meta.depth === 'ushort' || meta.depth === 'short';
  const native = meta.space === 'b-w' || meta.space === 'grey16' || meta.space === 'rgb16' ? meta.space : sixteenBit ? 'rgb16' : 'srgb';
  return { native, sixteenBit };
}

/** One readable line from sharp/libvips messages, which can span lines and repeat the cause. */
export function describeSharpError(message: string): string {
  const first = message.split('\n').map((l) => l.trim()).filter(Boolean);
  if (/unsupported image format/i.test(message)) return 'not an image cnnx can read (unsupported format)';
  if (/premature end|truncated/i.test(message)) return `truncated image: ${first.join('; ')}`;
  if (/pixel limit/i.test(message)) return `image is larger than the pixel limit (options.maxPixels): ${first[0]}`;
  return `cannot decode image: ${first.join('; ')}`;
}

async function applyResize(image: sharp.Sharp, spec: InputSpec): Promise<sharp.Sharp> {
  const resize = spec.resize;
  if (!resize) return image;
  if (resize.kind === 'box') return image.resize({ width: resize.width ?? undefined, height: resize.height ?? undefined, fit: resize.fit });
  // torchvision Resize(N): the shorter side becomes N, keeping the aspect ratio; then CenterCrop(h, w).
  const side = resize.shorterSide;
  const resized = image.resize({ width: side, height: side, fit: 'outside' });
  if (!resize.centerCrop) return resized;
  const { data, info } = await resized.raw().toBuffer({ resolveWithObject: true });
  const [cropH, cropW] = resize.centerCrop;
  if (cropH > info.height || cropW > info.width) {
    throw new Error(`center_crop ${cropH}x${cropW} is larger than the resized image ${info.height}x${info.width}`);
  }
  // torchvision's CenterCrop offsets: int(round((H - h) / 2)), Python's round (half to even).
  const top = roundHalfEven((info.height - cropH) / 2);
  const left = roundHalfEven((info.width - cropW) / 2);
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).extract({ top, left, width: cropW, height: cropH });
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  if (x - floor !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * Converts interleaved pixel values with `have` channels to planar `want` channels scaled to [0, 1],
 * then (x - mean) / std per channel. One tight loop per output channel: this runs for every image
 * of a batch, beside the engine.
 */
export function pixelsToInput(values: Uint8Array | Uint16Array, width: number, height: number, have: number, scale: number, spec: InputSpec): Tensor {
  const want = spec.channels;
  const out = tensor(want, height, width);
  const plane = width * height;
  const colour = have >= 3;
  for (let c = 0; c < want; c++) {
    const dst = out.data.subarray(c * plane, (c + 1) * plane);
    if (want === 1 && colour) {
      for (let p = 0, b = 0; p < plane; p++, b += have) {
        dst[p] = GRAY_WEIGHTS[0] * values[b] * scale + GRAY_WEIGHTS[1] * values[b + 1] * scale + GRAY_WEIGHTS[2] * values[b + 2] * scale;
      }
    } else {
      // Colour channels map to themselves, gray repeats; a missing alpha is opaque.
      const source = c < 3 ? (colour ? c : 0) : have === 2 || have === 4 ? have - 1 : -1;
      if (source < 0) dst.fill(1);
      else if (spec.mean || spec.std) {
        // In one pass, with the same roundings as two: x / 255 to float32 first, then (x - mean) / std.
        const mean = spec.mean ? spec.mean[c] : 0;
        const std = spec.std ? spec.std[c] : 1;
        for (let p = 0, b = source; p < plane; p++, b += have) dst[p] = (Math.fround(values[b] * scale) - mean) / std;
        continue;
      } else for (let p = 0, b = source; p < plane; p++, b += have) dst[p] = values[b] * scale;
    }
    normaliseChannel(dst, spec, c);
  }
  return out;
}

/** (x - mean) / std on one channel's values, already rounded to float32 as torchvision's ToTensor leaves them. */
function normaliseChannel(values: Float32Array, spec: InputSpec, c: number): void {
  if (!spec.mean && !spec.std) return;
  const mean = spec.mean ? spec.mean[c] : 0;
  const std = spec.std ? spec.std[c] : 1;
  for (let i = 0; i < values.length; i++) values[i] = (values[i] - mean) / std;
}

