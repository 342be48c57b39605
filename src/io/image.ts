// Decodes an image (sharp) or a .npy into the network's input tensor: orientation, resize, channel conversion, scaling, mean/std (images; .npy with normalize_npy).
import sharp from 'sharp';
import { checkOptions, checkString, isObject, unexpected } from '../arguments.js';
import { CnnxError, inputError } from '../errors.js';
import { applyLookup, PixelTensor, type PixelLookup } from '../engine/pixels.js';
import { tensor, type Tensor } from '../engine/tensor.js';
import type { InputSpec } from '../network/types.js';
import { isNpy, wrongFormatError } from './file-format.js';
import { parseNpy } from './npy.js';
import { readFailure, readRegularFile } from './read-file.js';
import { checkMaxPixels, checkPixels, pixelLimit } from './limits.js';
import { plural } from '../format.js';
import { decodeResized, resizedSize, type DecodedPixels } from './resize.js';

/** torchvision's rgb_to_grayscale weights, applied to [0, 1] values in float32. */
const GRAY_WEIGHTS = [Math.fround(0.2989), Math.fround(0.587), Math.fround(0.114)] as const;

/**
 * sharp options of every image decode (whole or streamed, so both give the same values). Embedded
 * ICC profiles are ignored: samples are used as stored, as PIL (and so torchvision) reads them.
 * Built field by field once per input (see "Per-input objects" in docs/development.md).
 */
export function decodeOptions(maxPixels: number | undefined): sharp.SharpOptions {
  return { failOn: 'warning', ignoreIcc: true, limitInputPixels: pixelLimit(maxPixels) };
}

export interface DecodeOptions {
  /** Refuse images with more pixels than this, or that input.resize makes larger than this, before decoding; default DEFAULT_MAX_PIXELS. */
  readonly maxPixels?: number;
  /** An array of `length` floats an image's tensor may overwrite (every element is written), or undefined: a new one. */
  readonly reuse?: (length: number) => Float32Array | undefined;
  /**
   * An 8-bit image whose channels each read one sample comes back as a PixelTensor, which keeps its
   * pixels (the fast engine converts them itself); `data` is made on first read.
   */
  readonly keepPixels?: boolean;
}

/**
 * Reads one input (a file path, or bytes already read, e.g. from stdin) as a (C, H, W) float tensor
 * ready for the network. `name` is how messages refer to it. An image is resized and normalised as
 * the spec says; a .npy is the tensor the first layer sees, as it is (never resized, normalised only
 * with normalize_npy), so a tensor saved by PyTorch or by `--layer input` reads back unchanged.
 */
export async function readInput(source: string | Uint8Array, name: string, spec: InputSpec, options: DecodeOptions = {}): Promise<Tensor> {
  if (typeof source !== 'string' && !(source instanceof Uint8Array)) throw unexpected('readInput: source', 'a file path or the bytes of a file (a Uint8Array)', source);
  checkString(name, 'readInput: name', 'a name for messages (a string)');
  if (!isObject(spec)) throw unexpected('readInput: spec', "an input spec (a network's input)", spec);
  checkOptions(options, 'readInput: options');
  checkMaxPixels(options.maxPixels);
  const bytes = typeof source === 'string' ? await readBytes(source, name) : source;
  if (!isNpy(bytes)) return decodeImage(bytes, name, spec, options);
  const array = npyTensor(bytes, name, spec, options.maxPixels);
  if (spec.normalizeNpy) {
    const plane = array.height * array.width;
    for (let c = 0; c < array.channels; c++) normaliseChannel(array.data.subarray(c * plane, (c + 1) * plane), spec, c);
  }
  return array;
}

/** An input's bytes; a file that cannot be read fails this input only (exit 1). */
async function readBytes(file: string, name: string): Promise<Uint8Array> {
  try {
    return await readRegularFile(file);
  } catch (error) {
    throw inputError('input.read', name, readFailure(error).reason);
  }
}

function npyTensor(bytes: Uint8Array, name: string, spec: InputSpec, maxPixels: number | undefined): Tensor {
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
  // The same limit as for images: the maps a network makes of it grow with its height x width.
  checkPixels(name, shape[2], shape[1], maxPixels);
  return tensor(shape[0], shape[1], shape[2], array.data);
}

async function decodeImage(bytes: Uint8Array, name: string, spec: InputSpec, options: DecodeOptions): Promise<Tensor> {
  checkImageChannels(spec, name);
  let pixels: DecodedPixels;
  // A file of another format (a spec, a checkpoint, weights) says what it is rather than what sharp lacks.
  const decodeError = (error: unknown) => wrongFormatError(bytes, name, name, 'input') ?? inputError('input.decode', name, describeSharpError((error as Error).message));
  // One sharp instance: its header is parsed once for metadata() and reused by the pipeline. The size
  // limits are checked here, on the header, before a pixel is decoded (sharp's own limit stays as a backstop).
  // sharp() itself throws on an empty buffer: inside the try, as a decode error of this input.
  const open = () => sharp(bytes, decodeOptions(options.maxPixels));
  const header = async () => {
    const image = open();
    return { image, meta: await image.metadata() };
  };
  let opened: { image: sharp.Sharp; meta: sharp.Metadata };
  try {
    opened = await withCause(header, header);
  } catch (error) {
    throw decodeError(error);
  }
  const { image, meta } = opened;
  const { width, height } = meta.autoOrient;
  checkPixels(name, width, height, options.maxPixels);
  if (spec.resize) checkPixels(name, ...resizedSize(width, height, spec.resize), options.maxPixels, 'input.resize makes it');
  const { native, sixteenBit } = imageDecoding(meta);
  try {
    const decode = (from: sharp.Sharp) => decodeResized(from.rotate().toColourspace(native), width, height, sixteenBit, spec);
    pixels = await withCause(() => decode(image), () => decode(open()));
  } catch (error) {
    throw decodeError(error);
  }
  if (options.keepPixels && pixels.values instanceof Uint8Array) {
    const lookup = pixelLookup(spec, pixels.channels, 256, pixels.scale);
    if (lookup) return new PixelTensor(pixels.width, pixels.height, pixels.values, pixels.channels, lookup);
  }
  return pixelsToInput(pixels.values, pixels.width, pixels.height, pixels.channels, pixels.scale, spec, options.reuse?.(spec.channels * pixels.width * pixels.height));
}

/**
 * Runs `first`; when it fails with a sharp message that lost its cause ("Input buffer has corrupt
 * header:" and nothing after it), runs `again` and returns or throws what that gives. libvips keeps
 * one error buffer per process, and another image failing at the same moment (the decode workers
 * share it) can clear it between the failure and sharp reading it.
 */
export async function withCause<T>(first: () => Promise<T>, again: () => Promise<T>): Promise<T> {
  try {
    return await first();
  } catch (error) {
    if (!(error instanceof Error) || !/:\s*$/.test(error.message)) throw error;
    return again();
  }
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

/**
 * Converts interleaved pixel values with `have` channels to planar `want` channels scaled to [0, 1],
 * then (x - mean) / std per channel. This runs for every image of a batch, beside the engine, so each
 * channel's float32 value is computed once per pixel level (256 of them, 65536 at 16 bits) and the
 * pixels are looked up. `into`: an array of the tensor's length to overwrite instead of a new one.
 */
export function pixelsToInput(values: Uint8Array | Uint16Array, width: number, height: number, have: number, scale: number, spec: InputSpec, into?: Float32Array): Tensor {
  const out = tensor(spec.channels, height, width, into);
  const plane = width * height;
  const levels = values instanceof Uint8Array ? 256 : 65536;
  const lookup = pixelLookup(spec, have, levels, scale);
  if (lookup) {
    applyLookup(values, have, plane, lookup, out.data);
    return out;
  }
  // rgb_to_grayscale on ToTensor's float32 values, each product and sum rounded to float32 as torch does.
  const [r, g, b] = GRAY_WEIGHTS.map((w) => levelTable(levels, (v) => Math.fround(w * Math.fround(v * scale))));
  const dst = out.data;
  for (let p = 0, k = 0; p < plane; p++, k += have) dst[p] = Math.fround(r[values[k]] + g[values[k + 1]]) + b[values[k + 2]];
  normaliseChannel(dst, spec, 0);
  return out;
}

/**
 * The lookup that makes `spec`'s input of pixels with `have` samples (ToTensor then Normalize, with
 * torchvision's float32 roundings), or null for colour to gray, which mixes three samples. Colour
 * channels map to themselves, gray repeats, a missing alpha is opaque (a table of one value).
 */
export function pixelLookup(spec: InputSpec, have: number, levels: number, scale: number): PixelLookup | null {
  const want = spec.channels;
  const colour = have >= 3;
  if (want === 1 && colour) return null;
  const sources: number[] = [];
  const tables = new Float32Array(want * levels);
  for (let c = 0; c < want; c++) {
    const source = c < 3 ? (colour ? c : 0) : have === 2 || have === 4 ? have - 1 : -1;
    const mean = Math.fround(spec.mean ? spec.mean[c] : 0);
    const std = Math.fround(spec.std ? spec.std[c] : 1);
    const normalised = spec.mean || spec.std;
    const value = (x: number) => (normalised ? Math.fround(Math.fround(x) - mean) / std : x);
    const table = tables.subarray(c * levels, (c + 1) * levels);
    if (source < 0) table.fill(value(1));
    else table.set(levelTable(levels, (v) => value(v * scale)));
    sources.push(Math.max(source, 0));
  }
  return { sources, levels, tables };
}

/** `value` at every pixel level below `levels`, as float32 (the rounding a store into the tensor does). */
function levelTable(levels: number, value: (level: number) => number): Float32Array {
  const table = new Float32Array(levels);
  for (let v = 0; v < levels; v++) table[v] = value(v);
  return table;
}

/**
 * (x - mean) / std on one channel's float32 values, as torchvision's Normalize computes it: mean and
 * std as float32, a float32 subtraction, then a float32 division (the store rounds the quotient).
 */
function normaliseChannel(values: Float32Array, spec: InputSpec, c: number): void {
  if (!spec.mean && !spec.std) return;
  const mean = Math.fround(spec.mean ? spec.mean[c] : 0);
  const std = Math.fround(spec.std ? spec.std[c] : 1);
  for (let i = 0; i < values.length; i++) values[i] = Math.fround(values[i] - mean) / std;
}

