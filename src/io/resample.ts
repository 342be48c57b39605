// Pillow's 8-bit image resampling, rewritten from its documented algorithm: what torchvision's transforms compute on PIL images.
//
// Pillow resizes in two separable passes (horizontal, then vertical), each output sample a weighted sum
// of input samples under a filter stretched by the downscale factor (so downscaling is antialiased),
// with weights normalised to sum 1, then turned into 22-bit fixed point; sums are rounded and clipped
// to 8 bits after each pass. `nearest` is not a filter in Pillow but an affine lookup whose source
// coordinate is accumulated step by step in double precision. Every detail below (rounding direction,
// truncation, the order of floating-point operations) is Pillow's, so results are identical byte for
// byte, not merely close.

/** torchvision's interpolation modes for PIL images (InterpolationMode values), as Pillow computes them. */
export const PILLOW_FILTERS = ['nearest', 'bilinear', 'bicubic', 'box', 'hamming', 'lanczos'] as const;
export type PillowFilter = (typeof PILLOW_FILTERS)[number];

export function isPillowFilter(name: string): name is PillowFilter {
  return (PILLOW_FILTERS as readonly string[]).includes(name);
}

/** Interleaved 8-bit pixels: `channels` values per pixel, row after row. */
export interface Pixels8 {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

interface Filter {
  /** Half-width of the filter at scale 1, in input pixels. */
  readonly support: number;
  readonly weight: (x: number) => number;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const t = x * Math.PI;
  return Math.sin(t) / t;
}

// Pillow's constants in hamming are C float literals (0.54f, 0.46f), widened to double.
const HAMMING_A = Math.fround(0.54);
const HAMMING_B = Math.fround(0.46);

const FILTERS: Record<Exclude<PillowFilter, 'nearest'>, Filter> = {
  box: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: {
    support: 1,
    weight: (x) => {
      const a = Math.abs(x);
      return a < 1 ? 1 - a : 0;
    },
  },
  hamming: {
    support: 1,
    weight: (x) => {
      const a = Math.abs(x);
      if (a === 0) return 1;
      if (a >= 1) return 0;
      const t = a * Math.PI;
      return (Math.sin(t) / t) * (HAMMING_A + HAMMING_B * Math.cos(t));
    },
  },
  // Keys' cubic convolution with a = -0.5, each branch evaluated in Pillow's order.
  bicubic: {
    support: 2,
    weight: (x) => {
      const a = Math.abs(x);
      if (a < 1) return (1.5 * a - 2.5) * a * a + 1;
      if (a < 2) return (((a - 5) * a + 8) * a - 4) * -0.5;
      return 0;
    },
  },
  lanczos: { support: 3, weight: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

/** Fixed-point weights: 32 bits minus 8 for the sample minus 2 of headroom for lobes above 1. */
const PRECISION_BITS = 22;
const HALF = 1 << (PRECISION_BITS - 1);
const ONE = 1 << PRECISION_BITS;

/** For each output sample along one axis: the first input sample, how many are used, and their weights. */
export interface AxisWeights {
  readonly first: Int32Array;
  readonly count: Int32Array;
  /** `taps` fixed-point weights per output sample. */
  readonly weights: Int32Array;
  readonly taps: number;
}

function axisWeights(inSize: number, outSize: number, filter: Filter): AxisWeights {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * taps);
  const inverse = 1 / filterScale;
  const w = new Float64Array(taps);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    // Casts to int truncate toward zero in Pillow, before clamping to the image.
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const n = Math.min(Math.trunc(center + support + 0.5), inSize) - lo;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      w[i] = filter.weight((i + lo - center + 0.5) * inverse);
      sum += w[i];
    }
    for (let i = 0; i < n; i++) {
      const k = sum !== 0 ? w[i] / sum : w[i];
      weights[o * taps + i] = k < 0 ? Math.trunc(-0.5 + k * ONE) : Math.trunc(0.5 + k * ONE);
    }
    first[o] = lo;
    count[o] = n;
  }
  return { first, count, weights, taps };
}

/** The 8-bit sample of a fixed-point sum (int32: the headroom bits keep Pillow's sums from overflowing). */
function clip8(sum: number): number {
  const v = sum >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Resamples rows `rowStart`.. of `src` along x to `ax`'s output width. */
export function horizontal(src: Pixels8, rowStart: number, rows: number, ax: AxisWeights): Pixels8 {
  const { channels: ch, width } = src;
  const data: Uint8Array = src.data;
  const { first, count, weights, taps } = ax;
  const outWidth = first.length;
  const out = new Uint8Array(outWidth * rows * ch);
  for (let y = 0; y < rows; y++) {
    const rowIn = (y + rowStart) * width * ch;
    for (let o = 0, q = y * outWidth * ch; o < outWidth; o++, q += ch) {
      const base = rowIn + first[o] * ch;
      const n = count[o];
      const k0 = o * taps;
      if (ch === 3) {
        // RGB, the common case, in one sweep over the taps.
        let r = HALF;
        let g = HALF;
        let b = HALF;
        for (let i = 0, p = base; i < n; i++, p += 3) {
          const w = weights[k0 + i];
          r = (r + Math.imul(data[p], w)) | 0;
          g = (g + Math.imul(data[p + 1], w)) | 0;
          b = (b + Math.imul(data[p + 2], w)) | 0;
        }
        out[q] = clip8(r);
        out[q + 1] = clip8(g);
        out[q + 2] = clip8(b);
        continue;
      }
      for (let c = 0; c < ch; c++) {
        let sum = HALF;
        for (let i = 0, p = base + c; i < n; i++, p += ch) sum = (sum + Math.imul(data[p], weights[k0 + i])) | 0;
        out[q + c] = clip8(sum);
      }
    }
  }
  return { data: out, width: outWidth, height: rows, channels: ch };
}

/**
 * Resamples columns `left` .. `left + cols - 1` of `src` along y to `ay`'s output rows; `ay.first` is
 * counted from `src`'s row `shift`.
 */
export function vertical(src: Pixels8, ay: AxisWeights, shift: number, left: number, cols: number): Pixels8 {
  const pitch = src.width * src.channels;
  const rowLength = cols * src.channels;
  const data: Uint8Array = src.data;
  const { first, count, weights, taps } = ay;
  const outHeight = first.length;
  const out = new Uint8Array(rowLength * outHeight);
  const x0 = left * src.channels;
  // One output row at a time, input rows four at a time (then two, then one): every sweep is sequential in
  // memory, and the sums are read and written once per four taps. Four products and a sum are exact in
  // float64, and the Int32Array store wraps the total as Pillow's int32 additions wrap, one by one.
  const sums = new Int32Array(rowLength);
  for (let o = 0; o < outHeight; o++) {
    sums.fill(HALF);
    const n = count[o];
    const k = o * taps;
    let i = 0;
    for (; i + 3 < n; i += 4) {
      const w0 = weights[k + i], w1 = weights[k + i + 1], w2 = weights[k + i + 2], w3 = weights[k + i + 3];
      const r0 = (first[o] - shift + i) * pitch + x0, r1 = r0 + pitch, r2 = r1 + pitch, r3 = r2 + pitch;
      for (let x = 0; x < rowLength; x++) {
        sums[x] += Math.imul(data[r0 + x], w0) + Math.imul(data[r1 + x], w1) + Math.imul(data[r2 + x], w2) + Math.imul(data[r3 + x], w3);
      }
    }
    for (; i + 1 < n; i += 2) {
      const w0 = weights[k + i], w1 = weights[k + i + 1];
      const r0 = (first[o] - shift + i) * pitch + x0, r1 = r0 + pitch;
      for (let x = 0; x < rowLength; x++) sums[x] += Math.imul(data[r0 + x], w0) + Math.imul(data[r1 + x], w1);
    }
    if (i < n) {
      const w = weights[k + i];
      const r = (first[o] - shift + i) * pitch + x0;
      for (let x = 0; x < rowLength; x++) sums[x] += Math.imul(data[r + x], w);
    }
    for (let x = 0, q = o * rowLength; x < rowLength; x++, q++) out[q] = clip8(sums[x]);
  }
  return { data: out, width: cols, height: outHeight, channels: src.channels };
}

/**
 * The part of a resize's output to compute: columns left .. left + width - 1 and rows top .. top + height - 1
 * (inside the output). Each output sample depends only on its own position, so a window holds the same
 * bytes as that part of the whole resize: a center crop after the resize need not compute what it cuts.
 */
export interface Window {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** The two passes of a resize: this file's (the reference), or the SIMD module's (resample-simd.ts). */
export interface Passes {
  readonly horizontal: typeof horizontal;
  readonly vertical: typeof vertical;
}

/**
 * Pillow's Image.resize((width, height), filter) on 8-bit pixels (any channel count, each resampled alone),
 * or the `window` of it.
 */
export function resample(src: Pixels8, width: number, height: number, filter: PillowFilter, window?: Window, passes: Passes = { horizontal, vertical }): Pixels8 {
  const win = window ?? { left: 0, top: 0, width, height };
  const whole = win.left === 0 && win.top === 0 && win.width === width && win.height === height;
  if (width === src.width && height === src.height) return whole ? src : crop(src, win);
  if (filter === 'nearest') {
    const xs = nearestIndices(src.width, width).subarray(win.left, win.left + win.width);
    return nearest(src, xs, nearestIndices(src.height, height).subarray(win.top, win.top + win.height));
  }
  const kernel = FILTERS[filter];
  const ay = height !== src.height ? part(axisWeights(src.height, height, kernel), win.top, win.height) : null;
  if (width === src.width) return passes.vertical(src, ay!, 0, win.left, win.width);
  // Only the rows the vertical pass reads are resampled horizontally (without one: the window's rows).
  const firstRow = ay ? ay.first[0] : win.top;
  const lastRow = ay ? ay.first[win.height - 1] + ay.count[win.height - 1] : win.top + win.height;
  const image = passes.horizontal(src, firstRow, lastRow - firstRow, part(axisWeights(src.width, width, kernel), win.left, win.width));
  return ay ? passes.vertical(image, ay, firstRow, 0, win.width) : image;
}

/** Output samples start .. start + length - 1 of an axis's weights. */
function part(ax: AxisWeights, start: number, length: number): AxisWeights {
  const { first, count, weights, taps } = ax;
  return { first: first.subarray(start, start + length), count: count.subarray(start, start + length), weights: weights.subarray(start * taps, (start + length) * taps), taps };
}

/** The window of `src` itself (a resize to its own size). */
function crop(src: Pixels8, win: Window): Pixels8 {
  const ch = src.channels;
  const data = new Uint8Array(win.width * win.height * ch);
  for (let y = 0; y < win.height; y++) {
    const from = ((win.top + y) * src.width + win.left) * ch;
    data.set(src.data.subarray(from, from + win.width * ch), y * win.width * ch);
  }
  return { data, width: win.width, height: win.height, channels: ch };
}

/** Source index of each output sample: Pillow accumulates the coordinate, it does not multiply. */
function nearestIndices(inSize: number, outSize: number): Int32Array {
  const step = inSize / outSize;
  const index = new Int32Array(outSize);
  let at = step * 0.5;
  for (let o = 0; o < outSize; o++, at += step) {
    const i = at < 0 ? -1 : Math.trunc(at);
    index[o] = i < inSize ? i : -1;
  }
  return index;
}

/** Output sample (x, y) is src's sample (xs[x], ys[y]), or 0 where an index is -1. */
function nearest(src: Pixels8, xs: Int32Array, ys: Int32Array): Pixels8 {
  const ch = src.channels;
  const width = xs.length;
  const height = ys.length;
  // Pillow fills samples whose source falls outside the image with 0 (accumulated rounding can do that).
  const out = new Uint8Array(width * height * ch);
  for (let y = 0; y < height; y++) {
    if (ys[y] < 0) continue;
    const rowIn = ys[y] * src.width * ch;
    for (let x = 0; x < width; x++) {
      if (xs[x] < 0) continue;
      for (let c = 0; c < ch; c++) out[(y * width + x) * ch + c] = src.data[rowIn + xs[x] * ch + c];
    }
  }
  return { data: out, width, height, channels: ch };
}

/**
 * Pillow's conversion to premultiplied alpha (RGBA to RGBa, LA to La): colour times alpha / 255,
 * rounded with its shift trick. The last channel is alpha. In place.
 */
export function premultiply(px: Pixels8): void {
  const { data, channels: ch } = px;
  for (let p = 0; p < data.length; p += ch) {
    const alpha = data[p + ch - 1];
    for (let c = 0; c < ch - 1; c++) {
      const t = data[p + c] * alpha + 128;
      data[p + c] = ((t >> 8) + t) >> 8;
    }
  }
}

/** Pillow's RGBa to RGBA: colour * 255 / alpha, truncated and clipped; alpha 0 and 255 leave colour as is. In place. */
export function unpremultiply(px: Pixels8): void {
  const { data, channels: ch } = px;
  for (let p = 0; p < data.length; p += ch) {
    const alpha = data[p + ch - 1];
    if (alpha === 0 || alpha === 255) continue;
    for (let c = 0; c < ch - 1; c++) data[p + c] = Math.min(255, Math.trunc((255 * data[p + c]) / alpha));
  }
}
