// The spec's input.resize on a decoded image: torchvision's geometry (Resize, CenterCrop) with Pillow's resampling, or sharp's.
import type sharp from 'sharp';
import type { InputSpec, ResizeSpec } from '../network/types.js';
import { isPillowFilter, premultiply, unpremultiply, type Pixels8 } from './resample.js';
import { resampleSimd } from './resample-simd.js';

/** sharp's (libvips) kernels, offered under their own names; `nearest` is Pillow's. */
export const SHARP_KERNELS = ['linear', 'cubic', 'mitchell', 'lanczos2', 'lanczos3', 'mks2013', 'mks2021'] as const;
export type SharpKernel = (typeof SHARP_KERNELS)[number];

/** Interleaved decoded samples, 8- or 16-bit, and the factor that maps them to [0, 1]. */
export interface DecodedPixels {
  readonly values: Uint8Array | Uint16Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly scale: number;
}

/**
 * torchvision's Resize(int) size rule (0.14's _compute_resized_output_size): the shorter side becomes
 * `side`, the longer int(side * long / short), truncated. Returns [width, height].
 */
export function shorterSideSize(width: number, height: number, side: number): [number, number] {
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  const scaled = Math.trunc((side * long) / short);
  return width <= height ? [side, scaled] : [scaled, side];
}

/**
 * The largest image `resize` makes of a `width` x `height` one (before any center crop; sharp's
 * cover and contain fits end at the box, whatever they resize through): what the pixel limit is
 * checked against before decoding. Returns [width, height].
 */
export function resizedSize(width: number, height: number, resize: ResizeSpec): [number, number] {
  if (resize.kind === 'shorter_side') return shorterSideSize(width, height, resize.shorterSide);
  const { width: w, height: h, fit } = resize;
  if (w !== null && h !== null && (fit === 'fill' || fit === 'cover' || fit === 'contain')) return [w, h];
  const scales = [w !== null ? w / width : null, h !== null ? h / height : null].filter((s): s is number => s !== null);
  const scale = fit === 'inside' ? Math.min(...scales) : Math.max(...scales);
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}

/**
 * torchvision CenterCrop's offset of a `crop`-long window on a `size`-long axis: int(round((size - crop)
 * / 2)), Python's round (half to even); a crop longer than the axis pads it first, (crop - size) // 2
 * before, so the offset is negative.
 */
export function centerCropOffset(size: number, crop: number): number {
  // -((crop - size) // 2), written so that no padding gives 0, not -0.
  if (crop > size) return Math.floor((size - crop + 1) / 2);
  const half = (size - crop) / 2;
  const floor = Math.floor(half);
  if (half - floor !== 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * Decodes `image` (already oriented and in its native colour space) into the samples the network's
 * input is made of, resized as `spec.resize` says. `width`/`height` are the oriented image's size
 * (from its header: sharp's own resizes are planned before decoding).
 */
export async function decodeResized(image: sharp.Sharp, width: number, height: number, sixteenBit: boolean, spec: InputSpec): Promise<DecodedPixels> {
  const resize = spec.resize;
  if (!resize) return raw(image, sixteenBit);
  if (resize.kind === 'box' && resize.fit !== 'fill') {
    // sharp's fit modes: its geometry and its kernels throughout.
    return raw(image.resize({ width: resize.width ?? undefined, height: resize.height ?? undefined, fit: resize.fit, kernel: resize.interpolation as SharpKernel }), sixteenBit);
  }
  // torchvision's geometry: Resize(side) or Resize((h, w)) (fit "fill" has both, checked when parsed).
  const sizeOf = (w: number, h: number): [number, number] => (resize.kind === 'shorter_side' ? shorterSideSize(w, h, resize.shorterSide) : [resize.width ?? w, resize.height ?? h]);
  const crop = resize.kind === 'shorter_side' ? resize.centerCrop : null;
  let pixels: DecodedPixels;
  if (isPillowFilter(resize.interpolation)) {
    const decoded = toPillowInput(await raw(image, sixteenBit), spec.channels);
    const [newWidth, newHeight] = sizeOf(decoded.width, decoded.height);
    const alpha = spec.channels === 4 && (decoded.channels === 2 || decoded.channels === 4);
    // A center crop inside the resized image is resampled alone (the same bytes); one that pads is cut after.
    const window = crop && crop[0] <= newHeight && crop[1] <= newWidth ? { left: centerCropOffset(newWidth, crop[1]), top: centerCropOffset(newHeight, crop[0]), width: crop[1], height: crop[0] } : undefined;
    // Pillow resizes RGBA and LA images premultiplied, as RGBa and La.
    if (alpha) premultiply(decoded);
    const resized = await resampleSimd(decoded, newWidth, newHeight, resize.interpolation, window);
    if (alpha) unpremultiply(resized);
    pixels = { values: resized.data, width: resized.width, height: resized.height, channels: resized.channels, scale: 1 / 255 };
    if (window) return pixels;
  } else {
    const [newWidth, newHeight] = sizeOf(width, height);
    const same = newWidth === width && newHeight === height;
    pixels = await raw(same ? image : image.resize({ width: newWidth, height: newHeight, fit: 'fill', kernel: resize.interpolation as SharpKernel }), sixteenBit);
  }
  return crop ? centerCrop(pixels, crop[0], crop[1]) : pixels;
}

async function raw(image: sharp.Sharp, sixteenBit: boolean): Promise<DecodedPixels> {
  const { data, info } = await image.raw({ depth: sixteenBit ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  const sixteen = data.length === info.width * info.height * info.channels * 2;
  const values = sixteen ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : data;
  return { values, width: info.width, height: info.height, channels: info.channels, scale: sixteen ? 1 / 65535 : 1 / 255 };
}

/**
 * The 8-bit image a torchvision user's PIL pipeline resizes: `Image.open(f).convert('RGB')` (or 'L',
 * or 'RGBA' for 4 channels). 16-bit samples keep their high byte, as Pillow reads 16-bit RGB PNGs;
 * alpha is dropped unless the network takes 4 channels. Gray stays one channel (PIL's 'RGB' would
 * hold three equal ones, resized alike).
 */
function toPillowInput(px: DecodedPixels, want: number): Pixels8 {
  const keepAlpha = want === 4 || (px.channels !== 2 && px.channels !== 4);
  const channels = keepAlpha ? px.channels : px.channels - 1;
  if (keepAlpha && px.values instanceof Uint8Array) return { data: px.values, width: px.width, height: px.height, channels };
  const shift = px.values instanceof Uint16Array ? 8 : 0;
  const pixelCount = px.width * px.height;
  const data = new Uint8Array(pixelCount * channels);
  for (let p = 0; p < pixelCount; p++) {
    for (let c = 0; c < channels; c++) data[p * channels + c] = px.values[p * px.channels + c] >> shift;
  }
  return { data, width: px.width, height: px.height, channels };
}

/** torchvision's CenterCrop((cropHeight, cropWidth)), zero padding included, on interleaved samples. */
export function centerCrop(px: DecodedPixels, cropHeight: number, cropWidth: number): DecodedPixels {
  if (cropHeight === px.height && cropWidth === px.width) return px;
  const top = centerCropOffset(px.height, cropHeight);
  const left = centerCropOffset(px.width, cropWidth);
  const ch = px.channels;
  const values = px.values instanceof Uint16Array ? new Uint16Array(cropHeight * cropWidth * ch) : new Uint8Array(cropHeight * cropWidth * ch);
  const x0 = Math.max(0, -left);
  const x1 = Math.min(cropWidth, px.width - left);
  for (let y = 0; y < cropHeight; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= px.height || x1 <= x0) continue;
    const from = (sy * px.width + x0 + left) * ch;
    values.set(px.values.subarray(from, from + (x1 - x0) * ch), (y * cropWidth + x0) * ch);
  }
  return { values, width: cropWidth, height: cropHeight, channels: ch, scale: px.scale };
}
