// Feature map drawn over its input image, each output cell placed at its receptive-field centre.
import sharp from 'sharp';
import { checkBytes, checkOptions, checkSize, checkTensor, isObject, unexpected } from '../arguments.js';
import { CnnxError } from '../errors.js';
import { tensor, type Tensor } from '../engine/tensor.js';
import { isDiverging, parseColormap, writeColor, type ColormapName } from './colormap.js';
import { normalize, resolveScale, type ScalePolicy } from './scale.js';
import { plural } from '../format.js';

/** Decoded input pixels: 8-bit, interleaved, row-major; 1 (grey), 3 (RGB) or 4 (RGBA, alpha ignored) channels. */
export interface OverlayInput {
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/**
 * Where the map's cells sit on the input, as `inspect` reports it, [vertical, horizontal] in input
 * pixels (pixel k's centre is at k): cell (i, j) is centred at (start[0] + i*jump[0], start[1] + j*jump[1]).
 */
export interface Alignment {
  readonly jump: readonly [number, number];
  readonly start: readonly [number, number];
}

export interface OverlayOptions {
  /** Colour map (default `magma`); `diverging` scales symmetrically about zero. */
  readonly cmap?: ColormapName;
  /** Value → [0, 1] policy or its --scale spelling (default `channel`). */
  readonly scale?: ScalePolicy | string;
  /** Opacity of the strongest values, 0..1 (default 0.7). */
  readonly opacity?: number;
  /**
   * Opacity grows with the value (default true), so weak responses leave the photo visible;
   * for `diverging` it grows with the distance from zero. false: uniform opacity.
   */
  readonly alphaByValue?: boolean;
  /** How the map is upsampled between cell centres (default `bilinear`). */
  readonly interpolation?: 'bilinear' | 'nearest';
}

/** Mean |x| over channels at each position: one map summarising a many-channel layer (NaN/Inf propagate). */
export function reduceMeanAbs(t: Tensor): Tensor {
  const plane = t.height * t.width;
  const out = tensor(1, t.height, t.width);
  for (let c = 0; c < t.channels; c++) {
    for (let i = 0; i < plane; i++) out.data[i] = out.data[i]! + Math.abs(t.data[c * plane + i]!);
  }
  for (let i = 0; i < plane; i++) out.data[i] = out.data[i]! / t.channels;
  return out;
}

/**
 * The alignment that spreads the map evenly over the whole input, for when the receptive-field
 * geometry is unknown: jump = input / map size, first centre half a jump in (minus half a pixel).
 */
export function stretchAlignment(map: { height: number; width: number }, input: { height: number; width: number }): Alignment {
  const jy = input.height / map.height;
  const jx = input.width / map.width;
  return { jump: [jy, jx], start: [(jy - 1) / 2, (jx - 1) / 2] };
}

/** The grey, low-contrast copy of the input the map is drawn on (96 + luma / 2: light, still recognisable). */
function fadedGrey(input: OverlayInput): Uint8Array {
  const n = input.width * input.height;
  const channels = input.rgb.length / n;
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new CnnxError('render.input', `overlay input: ${plural(input.rgb.length, 'byte')} is not 1, 3 or 4 channels of ${input.width}x${input.height}`);
  }
  const out = new Uint8Array(n);
  for (let i = 0, o = 0; i < n; i++, o += channels) {
    const luma = channels === 1 ? input.rgb[o]! : 0.299 * input.rgb[o]! + 0.587 * input.rgb[o + 1]! + 0.114 * input.rgb[o + 2]!;
    out[i] = Math.round(96 + luma / 2);
  }
  return out;
}

/**
 * Samples a [0, 1] plane (H x W) at fractional cell coordinates (u, v), already inside
 * [-0.5, H - 0.5) x [-0.5, W - 0.5). Bilinear clamps at the outer cell centres; any NaN among
 * the contributing cells gives NaN so bad values stay visible.
 */
function sample(plane: Float32Array, H: number, W: number, u: number, v: number, nearest: boolean): number {
  if (nearest) {
    return plane[Math.min(H - 1, Math.max(0, Math.round(u))) * W + Math.min(W - 1, Math.max(0, Math.round(v)))]!;
  }
  const uc = Math.min(H - 1, Math.max(0, u));
  const vc = Math.min(W - 1, Math.max(0, v));
  const i0 = Math.min(Math.floor(uc), Math.max(H - 2, 0));
  const j0 = Math.min(Math.floor(vc), Math.max(W - 2, 0));
  const i1 = Math.min(i0 + 1, H - 1);
  const j1 = Math.min(j0 + 1, W - 1);
  const fu = uc - i0;
  const fv = vc - j0;
  const top = lerp(plane[i0 * W + j0]!, plane[i0 * W + j1]!, fv);
  const bottom = lerp(plane[i1 * W + j0]!, plane[i1 * W + j1]!, fv);
  return lerp(top, bottom, fu);
}

function lerp(a: number, b: number, f: number): number {
  // Written so a zero weight does not turn a NaN neighbour into NaN (0 * NaN = NaN).
  if (f === 0) return a;
  if (f === 1) return b;
  return a + f * (b - a);
}

/**
 * Composes the overlay as raw RGB (input size). Pixels outside every cell's extent
 * (start + (i ± 0.5) * jump) show the faded input only: the map says nothing about them.
 */
export function overlayPixels(map: Tensor, input: OverlayInput, alignment: Alignment, options: OverlayOptions = {}): Uint8Array {
  checkAlignment(alignment);
  const single = map.channels === 1 ? map : reduceMeanAbs(map);
  const cmap = options.cmap === undefined ? 'magma' : parseColormap(options.cmap);
  const diverging = isDiverging(cmap);
  const opacity = options.opacity ?? 0.7;
  const byValue = options.alphaByValue ?? true;
  const nearest = options.interpolation === 'nearest';
  const plane = normalize(single, resolveScale(options.scale), { symmetric: diverging });
  const grey = fadedGrey(input);
  const { height: H, width: W } = single;
  const out = new Uint8Array(input.width * input.height * 3);
  const color = new Uint8Array(3);
  for (let y = 0; y < input.height; y++) {
    const u = (y - alignment.start[0]) / alignment.jump[0];
    const rowCovered = u >= -0.5 && u < H - 0.5;
    for (let x = 0; x < input.width; x++) {
      const o = (y * input.width + x) * 3;
      const g = grey[y * input.width + x]!;
      const v = (x - alignment.start[1]) / alignment.jump[1];
      if (!rowCovered || v < -0.5 || v >= W - 0.5) {
        out[o] = out[o + 1] = out[o + 2] = g;
        continue;
      }
      const t = sample(plane, H, W, u, v, nearest);
      writeColor(cmap, t, color, 0);
      const weight = Number.isNaN(t) || !byValue ? 1 : diverging ? Math.abs(2 * t - 1) : t;
      const a = Number.isNaN(t) ? 1 : opacity * weight;
      out[o] = Math.round(g + a * (color[0]! - g));
      out[o + 1] = Math.round(g + a * (color[1]! - g));
      out[o + 2] = Math.round(g + a * (color[2]! - g));
    }
  }
  return out;
}

function checkAlignment(a: Alignment): void {
  const pairs = [a.jump, a.start].every((p) => Array.isArray(p) && p.length === 2);
  const ok = pairs && a.jump.every((j) => Number.isFinite(j) && j > 0) && a.start.every((s) => Number.isFinite(s));
  if (!ok) throw new CnnxError('render.alignment', `overlay alignment: expected positive jump and finite start, got jump ${JSON.stringify(a.jump)} start ${JSON.stringify(a.start)}`);
}

/**
 * Draws `map` (1 channel, or C channels reduced by mean |x|) over a faded grey copy of the input
 * and returns PNG bytes at the input's size.
 * @example await renderOverlay(conv3, { rgb, width, height }, { jump: [4, 4], start: [3.5, 3.5] }, { cmap: 'magma' })
 */
export async function renderOverlay(map: Tensor, input: OverlayInput, alignment: Alignment, options: OverlayOptions = {}): Promise<Buffer> {
  checkTensor(map, 'renderOverlay: map');
  if (!isObject(input)) throw unexpected('renderOverlay: input', 'pixels { rgb, width, height }', input);
  checkSize(input.width, 'renderOverlay: input.width', 1);
  checkSize(input.height, 'renderOverlay: input.height', 1);
  checkBytes(input.rgb, 'renderOverlay: input.rgb', 'the pixels (a Uint8Array)');
  if (!isObject(alignment)) throw unexpected('renderOverlay: alignment', 'an alignment { jump, start }', alignment);
  checkOptions(options, 'renderOverlay: options');
  const rgb = overlayPixels(map, input, alignment, options);
  return sharp(rgb, { raw: { width: input.width, height: input.height, channels: 3 } }).png().toBuffer();
}
