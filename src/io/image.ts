// Decodes an image (sharp) or a .npy into the network's input tensor: orientation, resize, channel conversion, scaling, mean/std.
import sharp from 'sharp';
import { CnnxError, EXIT, inputError } from '../errors.js';
import { tensor, type Tensor } from '../engine/tensor.js';
import type { InputSpec } from '../spec/types.js';
import { parseNpy } from './npy.js';

const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

/** torchvision's rgb_to_grayscale weights, applied to [0, 1] values. */
const GRAY_WEIGHTS = [0.2989, 0.587, 0.114] as const;

export interface DecodeOptions {
  /** Refuse images with more pixels than this (sharp's limitInputPixels); default sharp's own limit. */
  readonly maxPixels?: number;
}

export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= NPY_MAGIC.length && NPY_MAGIC.equals(bytes.subarray(0, NPY_MAGIC.length));
}

/**
 * Reads one input (a file path, or bytes already read, e.g. from stdin) as a (C, H, W) float tensor
 * ready for the network. `name` is how messages refer to it.
 */
export async function readInput(source: string | Uint8Array, name: string, spec: InputSpec, options: DecodeOptions = {}): Promise<Tensor> {
  const bytes = typeof source === 'string' ? await readBytes(source, name) : source;
  const raw = isNpy(bytes) ? npyTensor(bytes, name, spec) : await decodeImage(bytes, name, spec, options);
  return normalise(raw, spec);
}

async function readBytes(file: string, name: string): Promise<Uint8Array> {
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw inputError('input.read', name, reason);
  }
}

function npyTensor(bytes: Uint8Array, name: string, spec: InputSpec): Tensor {
  let array;
  try {
    array = parseNpy(bytes, name);
  } catch (error) {
    if (error instanceof CnnxError) throw new CnnxError('input.decode', error.message, EXIT.inputFailed);
    throw error;
  }
  const shape = array.shape.length === 2 ? [1, ...array.shape] : array.shape;
  if (shape.length !== 3) throw inputError('input.shape', name, `expected a .npy of shape (C, H, W) or (H, W), got (${array.shape.join(', ')})`);
  if (shape[0] !== spec.channels) throw inputError('input.shape', name, `has ${shape[0]} channels, the network's input.channels is ${spec.channels}`);
  if (shape[1] < 1 || shape[2] < 1) throw inputError('input.shape', name, `is empty: shape (${array.shape.join(', ')})`);
  return tensor(shape[0], shape[1], shape[2], array.data);
}

async function decodeImage(bytes: Uint8Array, name: string, spec: InputSpec, options: DecodeOptions): Promise<Tensor> {
  if (![1, 3, 4].includes(spec.channels)) {
    throw inputError('input.channels', name, `is an image, but the network's input.channels is ${spec.channels}; images can be read as 1, 3 or 4 channels (use a .npy input for others)`);
  }
  let pixels: { data: Buffer; info: sharp.OutputInfo };
  try {
    const meta = await sharp(bytes).metadata();
    const sixteenBit = meta.depth === 'ushort' || meta.depth === 'short';
    let image = sharp(bytes, { failOn: 'warning', limitInputPixels: options.maxPixels ?? undefined }).rotate();
    // Keep gray images gray and 16-bit images 16-bit: sharp's default output is 8-bit-range sRGB.
    const native = meta.space === 'b-w' || meta.space === 'grey16' || meta.space === 'rgb16' ? meta.space : sixteenBit ? 'rgb16' : 'srgb';
    image = await applyResize(image.toColourspace(native), spec);
    pixels = await image.raw({ depth: sixteenBit ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw inputError('input.decode', name, describeSharpError((error as Error).message));
  }
  const { width, height, channels: have } = pixels.info;
  const sixteen = pixels.data.length === width * height * have * 2;
  const values = sixteen ? new Uint16Array(pixels.data.buffer, pixels.data.byteOffset, width * height * have) : pixels.data;
  const scale = sixteen ? 1 / 65535 : 1 / 255;
  return convertChannels(values, width, height, have, spec.channels, scale);
}

/** One readable line from sharp/libvips messages, which can span lines and repeat the cause. */
export function describeSharpError(message: string): string {
  const first = message.split('\n').map((l) => l.trim()).filter(Boolean);
  if (/unsupported image format/i.test(message)) return 'not an image cnnx can read (unsupported format)';
  if (/premature end|truncated/i.test(message)) return `truncated image: ${first.join('; ')}`;
  if (/pixel limit/i.test(message)) return `image is larger than the --max-pixels limit: ${first[0]}`;
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

/** Converts interleaved pixel values with `have` channels to planar `want` channels scaled to [0, 1]. */
function convertChannels(values: ArrayLike<number>, width: number, height: number, have: number, want: number, scale: number): Tensor {
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
