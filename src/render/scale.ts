// Display scaling: maps feature-map values to [0, 1] (per channel, globally or by percentiles) before colour mapping.
import { CnnxError, describeValue } from '../errors.js';
import type { Tensor } from '../engine/tensor.js';

/**
 * How values become [0, 1]:
 * - `channel`: each channel's own min..max (default; every map uses the full range);
 * - `global`: one min..max over all channels (brightness comparable across channels);
 * - `none`: values used as they are, clamped to 0..1 (for maps already in [0, 1]);
 * - `percentile`: each channel's pLOW..pHIGH percentiles, outliers clamped (robust to a few hot pixels).
 */
export type ScalePolicy =
  | { readonly kind: 'channel' }
  | { readonly kind: 'global' }
  | { readonly kind: 'none' }
  | { readonly kind: 'percentile'; readonly low: number; readonly high: number };

/** A value range [lo, hi] that maps to [0, 1]; with `symmetric` it maps [-m, m] (m = max |lo|, |hi|) so 0 lands on 0.5. */
export interface ScaleRange {
  readonly lo: number;
  readonly hi: number;
}

export interface NormalizeOptions {
  /** Symmetric about zero (used by the diverging colour map): 0 maps to 0.5, ±max|x| to 0 and 1. */
  readonly symmetric?: boolean;
}

const PERCENTILE_RE = /^p(\d+(?:\.\d+)?)-p(\d+(?:\.\d+)?)$/;

/**
 * Parses a scale spelling (options.scale, the CLI's --scale): `channel`, `global`, `none` or `pLOW-pHIGH` (`p1-p99`, `p0.5-p99.5`).
 * @example parseScale('p2-p98') // { kind: 'percentile', low: 2, high: 98 }
 */
export function parseScale(text: string): ScalePolicy {
  const value = typeof text === 'string' ? text.trim().toLowerCase() : '';
  if (value === 'channel' || value === 'global' || value === 'none') return { kind: value };
  const m = PERCENTILE_RE.exec(value);
  if (m) {
    const low = Number(m[1]);
    const high = Number(m[2]);
    if (low < high && high <= 100) return { kind: 'percentile', low, high };
    throw new CnnxError('render.scale', `options.scale: percentiles must satisfy 0 <= LOW < HIGH <= 100, got ${JSON.stringify(text)}`);
  }
  throw new CnnxError(
    'render.scale',
    `options.scale: expected channel, global, none or pLOW-pHIGH (for example p1-p99), got ${describeValue(text)}`,
  );
}

/** Accepts a policy object or its --scale spelling; undefined means the default, `channel`. */
export function resolveScale(scale: ScalePolicy | string | undefined): ScalePolicy {
  if (scale === undefined) return { kind: 'channel' };
  return typeof scale === 'object' && scale !== null ? scale : parseScale(scale);
}

/** The values of channel c, without copying. */
export function channelView(t: Tensor, c: number): Float32Array {
  const plane = t.height * t.width;
  return t.data.subarray(c * plane, (c + 1) * plane);
}

/** Min and max of the finite values; {0, 0} when there are none (everything is drawn as a marker then). */
export function finiteMinMax(values: Float32Array): ScaleRange {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < lo) lo = v; // NaN compares false both ways, so it is skipped
    if (v > hi) hi = v;
  }
  // ±Inf are not finite: a channel holding an Inf would otherwise scale everything else to one colour.
  if (lo === -Infinity || hi === Infinity) return finiteMinMaxSlow(values);
  return lo <= hi ? { lo, hi } : { lo: 0, hi: 0 };
}

function finiteMinMaxSlow(values: Float32Array): ScaleRange {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? { lo, hi } : { lo: 0, hi: 0 };
}

/** The finite values of `values`, copied (percentile selection reorders its input). */
function finiteCopy(values: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) n++;
  const out = new Float32Array(n);
  let j = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) out[j++] = v;
  }
  return out;
}

/** Reorders a[from..to] so a[k] holds the value it would have if sorted (Hoare quickselect, median-of-three pivot). */
function selectInPlace(a: Float32Array, k: number, from = 0, to = a.length - 1): void {
  let left = from;
  let right = to;
  while (right > left) {
    const mid = (left + right) >>> 1;
    const pivot = median3(a[left]!, a[mid]!, a[right]!);
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const tmp = a[i]!;
        a[i] = a[j]!;
        a[j] = tmp;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return; // k sits between the partitions: a[k] equals the pivot and is in place
  }
}

function median3(x: number, y: number, z: number): number {
  return Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
}

/**
 * Percentiles (0..100) of the finite values, linearly interpolated between order statistics
 * (NumPy's default `linear` method): position p/100 * (n - 1). NaN when no value is finite.
 */
export function percentiles(values: Float32Array, ps: readonly number[]): number[] {
  const a = finiteCopy(values);
  const n = a.length;
  if (n === 0) return ps.map(() => NaN);
  return ps.map((p) => {
    const pos = (Math.min(Math.max(p, 0), 100) / 100) * (n - 1);
    const k = Math.floor(pos);
    selectInPlace(a, k);
    const below = a[k]!;
    if (k + 1 >= n || pos === k) return below;
    // After selection everything right of k is >= a[k]; the next order statistic is their minimum.
    let next = Infinity;
    for (let i = k + 1; i < n; i++) if (a[i]! < next) next = a[i]!;
    return below + (pos - k) * (next - below);
  });
}

/** The value range each channel is scaled by (one entry per channel; `global` repeats one range). */
export function channelRanges(t: Tensor, policy: ScalePolicy): ScaleRange[] {
  const ranges: ScaleRange[] = [];
  switch (policy.kind) {
    case 'none':
      for (let c = 0; c < t.channels; c++) ranges.push({ lo: 0, hi: 1 });
      return ranges;
    case 'global': {
      const r = finiteMinMax(t.data);
      for (let c = 0; c < t.channels; c++) ranges.push(r);
      return ranges;
    }
    case 'channel':
      for (let c = 0; c < t.channels; c++) ranges.push(finiteMinMax(channelView(t, c)));
      return ranges;
    case 'percentile':
      for (let c = 0; c < t.channels; c++) {
        const [lo, hi] = percentiles(channelView(t, c), [policy.low, policy.high]);
        ranges.push(Number.isNaN(lo!) ? { lo: 0, hi: 0 } : { lo: lo!, hi: hi! });
      }
      return ranges;
  }
}

/** t = clamp(base + (x - lo) * gain, 0, 1): every policy is this affine map with different constants. */
export interface AffineScale {
  readonly base: number;
  readonly lo: number;
  readonly gain: number;
}

/**
 * The affine map a range is drawn with. A range with no width (a constant channel) has no
 * contrast to show: it maps to 0.5 (mid-grey), except an all-zero channel, which maps to 0 so a
 * dead ReLU unit looks empty. Symmetric mode maps 0 to 0.5 and ±max(|lo|, |hi|) to 0 and 1.
 */
export function affineScale(range: ScaleRange, options: NormalizeOptions = {}): AffineScale {
  if (options.symmetric) {
    const m = Math.max(Math.abs(range.lo), Math.abs(range.hi));
    return m > 0 ? { base: 0.5, lo: 0, gain: 0.5 / m } : { base: 0.5, lo: 0, gain: 0 };
  }
  const { lo, hi } = range;
  if (!(hi > lo)) return { base: lo === 0 ? 0 : 0.5, lo: 0, gain: 0 };
  return { base: 0, lo, gain: 1 / (hi - lo) };
}

/** A function taking a value to [0, 1], or NaN for NaN/±Inf (drawn in the colour map's marker colour). */
export function scaler(range: ScaleRange, options: NormalizeOptions = {}): (x: number) => number {
  const { base, lo, gain } = affineScale(range, options);
  return (x) => (x - x === 0 ? clamp01(base + (x - lo) * gain) : NaN);
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** The whole tensor mapped to [0, 1] (same CHW layout), NaN where the input is not finite. */
export function normalize(t: Tensor, policy: ScalePolicy, options: NormalizeOptions = {}): Float32Array {
  // `none` with symmetric scaling reads values in [-1, 1], the signed analogue of [0, 1].
  const ranges = policy.kind === 'none' && options.symmetric ? null : channelRanges(t, policy);
  const out = new Float32Array(t.data.length);
  const plane = t.height * t.width;
  for (let c = 0; c < t.channels; c++) {
    const { base, lo, gain } = affineScale(ranges ? ranges[c]! : { lo: -1, hi: 1 }, options);
    const end = (c + 1) * plane;
    // Inlined (not scaler()) because this runs once per value of a possibly huge layer.
    for (let i = c * plane; i < end; i++) {
      const x = t.data[i]!;
      if (x - x !== 0) {
        out[i] = NaN; // x - x is NaN exactly when x is NaN or ±Inf
        continue;
      }
      const v = base + (x - lo) * gain;
      out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
  return out;
}

/** Mean |x| of each channel over its finite values (0 when none): the `energy` tiles are sorted by. */
export function channelEnergy(t: Tensor): Float64Array {
  const energy = new Float64Array(t.channels);
  for (let c = 0; c < t.channels; c++) {
    const v = channelView(t, c);
    let sum = 0;
    let n = 0;
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (Number.isFinite(x)) {
        sum += Math.abs(x);
        n++;
      }
    }
    energy[c] = n > 0 ? sum / n : 0;
  }
  return energy;
}

/** Channel indices by decreasing energy; ties keep index order so the result is deterministic. */
export function energyOrder(t: Tensor): number[] {
  const energy = channelEnergy(t);
  return Array.from({ length: t.channels }, (_, c) => c).sort((a, b) => energy[b]! - energy[a]! || a - b);
}
