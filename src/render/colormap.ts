// Colour maps: [0, 1] → 8-bit RGB, interpolated from a few control points, with a marker colour for NaN/Inf.
import { CnnxError, describeValue } from '../errors.js';

export type ColormapName = 'gray' | 'viridis' | 'magma' | 'diverging';
export const COLORMAP_NAMES: readonly ColormapName[] = ['gray', 'viridis', 'magma', 'diverging'];

type Rgb = readonly [number, number, number];

interface Colormap {
  /** Colours at evenly spaced positions 0, 1/(n-1), ..., 1; linear interpolation in between. */
  readonly stops: readonly Rgb[];
  /** Drawn for NaN/±Inf: a colour the map itself never produces, so bad values stand out. */
  readonly marker: Rgb;
  /** Centred at 0.5: the scaling must be symmetric about zero for the colours to mean anything. */
  readonly diverging: boolean;
}

function hex(code: string): Rgb {
  const n = parseInt(code, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const MAPS: Record<ColormapName, Colormap> = {
  gray: { stops: [[0, 0, 0], [255, 255, 255]], marker: [255, 0, 255], diverging: false },
  // viridis and magma (van der Walt & Smith's perceptually uniform maps) sampled at k/9, k = 0..9.
  // Ten samples interpolated in RGB stay within a few levels of the full maps, which is plenty for
  // reading feature maps; the endpoints are exact.
  viridis: {
    stops: ['440154', '482878', '3e4a89', '31688e', '26828e', '1f9e89', '35b779', '6dcd59', 'b4de2c', 'fde725'].map(hex),
    marker: [255, 0, 255],
    diverging: false,
  },
  magma: {
    stops: ['000004', '180f3e', '451077', '721f81', '9f2f7f', 'cd4071', 'f1605d', 'fd9567', 'fec98d', 'fcfdbf'].map(hex),
    marker: [0, 255, 0],
    diverging: false,
  },
  // Blue → white → red. The ends and the quarter points were picked with equal luma
  // (0.299R + 0.587G + 0.114B ≈ 72 and ≈ 164) so negative and positive values of the same
  // size look equally strong; white sits exactly on the middle stop so 0 is pure white.
  diverging: {
    stops: [[40, 70, 160], [130, 170, 225], [255, 255, 255], [230, 140, 120], [170, 30, 40]],
    marker: [0, 255, 0],
    diverging: true,
  },
};

/** Parses a colour map name (options.cmap, the CLI's --cmap); `grey` is `gray`. */
export function parseColormap(text: string): ColormapName {
  const value = typeof text === 'string' ? text.trim().toLowerCase() : '';
  if (value === 'grey') return 'gray';
  if ((COLORMAP_NAMES as readonly string[]).includes(value)) return value as ColormapName;
  throw new CnnxError('render.cmap', `options.cmap: expected one of ${COLORMAP_NAMES.join(', ')}, got ${describeValue(text)}`);
}

/** True for maps centred at zero (their input must be scaled symmetrically). */
export function isDiverging(name: ColormapName): boolean {
  return MAPS[name].diverging;
}

/** The colour NaN/±Inf are drawn in. */
export function markerColor(name: ColormapName): Rgb {
  return MAPS[name].marker;
}

/** Writes the colour of t (clamped to [0, 1]; NaN → marker) as 3 bytes at out[offset..offset+2]. */
export function writeColor(name: ColormapName, t: number, out: Uint8Array, offset: number): void {
  paint(MAPS[name], t, out, offset);
}

/** Colours values[from .. from+count) into out as consecutive RGB triples starting at byte `offset`. */
export function writeColors(name: ColormapName, values: Float32Array, from: number, count: number, out: Uint8Array, offset: number): void {
  const map = MAPS[name]; // looked up once per row: this is the per-pixel hot path
  for (let k = 0; k < count; k++) paint(map, values[from + k]!, out, offset + 3 * k);
}

function paint(map: Colormap, t: number, out: Uint8Array, offset: number): void {
  if (Number.isNaN(t)) {
    out[offset] = map.marker[0];
    out[offset + 1] = map.marker[1];
    out[offset + 2] = map.marker[2];
    return;
  }
  const stops = map.stops;
  const x = (t <= 0 ? 0 : t >= 1 ? 1 : t) * (stops.length - 1);
  const i = Math.min(Math.floor(x), stops.length - 2);
  const f = x - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  out[offset] = Math.round(a[0] + f * (b[0] - a[0]));
  out[offset + 1] = Math.round(a[1] + f * (b[1] - a[1]));
  out[offset + 2] = Math.round(a[2] + f * (b[2] - a[2]));
}

/** The colour of t as [r, g, b] (convenience for tests and legends). */
export function colorAt(name: ColormapName, t: number): [number, number, number] {
  const out = new Uint8Array(3);
  writeColor(name, t, out, 0);
  return [out[0]!, out[1]!, out[2]!];
}
