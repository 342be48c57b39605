// The sizes cnnx never goes beyond, checked before anything is allocated, read or decoded: pixels, bytes read, JSON nesting, tensors and maps.
import { constants as bufferConstants } from 'node:buffer';
import { checkSize } from '../arguments.js';
import { CnnxError, inputError } from '../errors.js';
import { formatBytes } from '../format.js';
import type { ResizeSpec } from '../network/types.js';
import { parseMemorySize } from '../stream/memory-size.js';

/** The default --max-pixels: sharp's own default limit (16383 x 16383), for every input, whole or streamed. */
export const DEFAULT_MAX_PIXELS = 268402689;

/** Nesting depth of a spec's JSON; real specs nest a few dozen levels at most, and deeper ones would overflow the stack. */
export const MAX_SPEC_DEPTH = 256;

/** Bytes of a spec file: V8's longest string (a spec is parsed as one). */
export const MAX_SPEC_BYTES = 2 ** 29 - 24;

/** Nesting depth of a safetensors header ({"name": {"shape": [...]}} is 3 deep). */
export const MAX_HEADER_DEPTH = 64;

/** Elements of one weight tensor: 1 GiB of float32, more than any real layer and what the fast engine's 4 GiB heap can still hold. */
export const MAX_TENSOR_ELEMENTS = 2 ** 28;

/**
 * Positions (height x width) of a feature map for the smallest input (1x1): only padding and adaptive
 * output sizes make maps from nothing, and beyond this (16384 x 16384) the spec asks for maps no input justifies.
 */
export const MAX_PROBE_POSITIONS = 2 ** 28;

/** Channels of one feature map. */
export const MAX_CHANNELS = 2 ** 20;

/** The environment variable that raises (or lowers) the cap on bytes read from one file or stream. */
export const READ_LIMIT_ENV = 'CNNX_MAX_READ_BYTES';

/** Default cap on the bytes read whole from one file or stream (a spec, a weight file, an input, stdin): 2 GiB. */
export const DEFAULT_MAX_READ_BYTES = 2 ** 31;

/** The cap on bytes read whole from one file or stream: CNNX_MAX_READ_BYTES (e.g. 512M, 4G), else 2 GiB; never more than a Buffer holds. */
export function maxReadBytes(): number {
  const text = process.env[READ_LIMIT_ENV];
  if (text === undefined || text === '') return DEFAULT_MAX_READ_BYTES;
  return Math.min(parseMemorySize(text, READ_LIMIT_ENV, 1), bufferConstants.MAX_LENGTH);
}

/** `is 2.1 GiB, over the read limit of 2 GiB (raise it with CNNX_MAX_READ_BYTES)`: why a file or stream is not read. */
export function tooManyBytes(size: number | null, limit: number): string {
  const what = size === null ? `is more than ${formatBytes(limit)}` : `is ${formatBytes(size)}`;
  return `${what}, over the read limit of ${formatBytes(limit)} (raise it with ${READ_LIMIT_ENV}, e.g. ${READ_LIMIT_ENV}=8G)`;
}

/** `options.maxPixels` or the default. */
export function pixelLimit(maxPixels: number | undefined): number {
  return maxPixels ?? DEFAULT_MAX_PIXELS;
}

/** Refuses an `options.maxPixels` that is not a positive integer, before anything is read (undefined: the default). */
export function checkMaxPixels(maxPixels: unknown): void {
  if (maxPixels !== undefined) checkSize(maxPixels, 'options.maxPixels', 1);
}

/**
 * Refuses an image (or the size input.resize makes of it) with more pixels than the limit, before
 * it is decoded. `what` says which size it is: `is` for the image, `resizes to` for input.resize.
 */
export function checkPixels(name: string, width: number, height: number, maxPixels: number | undefined, what = 'is'): void {
  const limit = pixelLimit(maxPixels);
  const pixels = width * height;
  if (Number.isFinite(pixels) && pixels <= limit) return;
  throw inputError('input.too_large', name, `${what} ${width}x${height} (${pixels.toLocaleString('en-US')} pixels), over the pixel limit of ${limit.toLocaleString('en-US')} (options.maxPixels)`);
}

/**
 * Refuses, before any input is read, an input.resize that makes every image larger than the pixel
 * limit (exit 2): a shorter side of N makes at least N x N, a filled box exactly its size. Resizes
 * that depend on the image are checked per image, on its header.
 */
export function checkResizeLimit(file: string, resize: ResizeSpec | null, maxPixels: number | undefined): void {
  if (!resize) return;
  const least = resize.kind === 'shorter_side' ? [resize.shorterSide, resize.shorterSide] : resize.fit !== 'inside' && resize.fit !== 'outside' && resize.width !== null && resize.height !== null ? [resize.width, resize.height] : null;
  if (!least) return;
  const [width, height] = least;
  const limit = pixelLimit(maxPixels);
  if (width * height <= limit) return;
  throw new CnnxError('spec.limit', `${file}: input.resize: resizes every image to at least ${width}x${height} (${(width * height).toLocaleString('en-US')} pixels), over the pixel limit of ${limit.toLocaleString('en-US')} (options.maxPixels)`);
}
