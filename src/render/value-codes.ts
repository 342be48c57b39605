// Feature maps as compact codes for the HTML report: per-channel linear quantisation to a few bits, a Paeth predictor, zlib; the page inflates them with DecompressionStream.
import { promisify } from 'node:util';
import { deflate } from 'node:zlib';
import type { Tensor } from '../engine/tensor.js';

/** One map's values as the page decodes them: value = lo[c] + code / maxCode * (hi[c] - lo[c]). */
export interface EncodedValues {
  /** Bits per value (4..8): codes run 0..maxCode. */
  readonly bits: number;
  readonly maxCode: number;
  /** Per channel, the finite minimum and maximum (0, 0 for a channel with no finite value). */
  readonly lo: readonly number[];
  readonly hi: readonly number[];
  /** The code of NaN and ±Inf cells (maxCode + 1), or null when every value is finite. */
  readonly nonFinite: number | null;
  /** zlib of the Paeth residuals of the codes, channel after channel, row after row. */
  readonly deflated: Uint8Array;
}

/** Quantises `t` to `bits` per value, one range per channel. */
export function quantize(t: Tensor, bits: number): { codes: Uint8Array; lo: number[]; hi: number[]; maxCode: number; nonFinite: number | null } {
  const plane = t.height * t.width;
  let anyNonFinite = false;
  for (let i = 0; i < t.data.length && !anyNonFinite; i++) anyNonFinite = !Number.isFinite(t.data[i]);
  // With non-finite cells the top code is their marker, so the finite values get one code less.
  const maxCode = (1 << bits) - 1 - (anyNonFinite ? 1 : 0);
  const codes = new Uint8Array(t.data.length);
  const lo: number[] = [];
  const hi: number[] = [];
  for (let c = 0; c < t.channels; c++) {
    const values = t.data.subarray(c * plane, (c + 1) * plane);
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (min > max) min = max = 0;
    lo.push(min);
    hi.push(max);
    const k = max > min ? maxCode / (max - min) : 0;
    for (let p = 0; p < plane; p++) {
      const v = values[p];
      codes[c * plane + p] = Number.isFinite(v) ? Math.round((v - min) * k) : maxCode + 1;
    }
  }
  return { codes, lo, hi, maxCode, nonFinite: anyNonFinite ? maxCode + 1 : null };
}

/** PNG's Paeth predictor residuals, plane by plane (the page undoes it). */
export function paethResiduals(codes: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(codes.length);
  const plane = width * height;
  for (let i = 0; i < codes.length; i++) {
    const p = i % plane;
    const x = p % width;
    const a = x > 0 ? codes[i - 1] : 0;
    const b = p >= width ? codes[i - width] : 0;
    const c = x > 0 && p >= width ? codes[i - width - 1] : 0;
    const pa = Math.abs(b - c);
    const pb = Math.abs(a - c);
    const pc = Math.abs(a + b - 2 * c);
    out[i] = (codes[i] - (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
  }
  return out;
}

const deflateAsync = promisify(deflate);

/**
 * `t` at `bits` bits per value, deflated at zlib `level` on libuv's thread pool: deflating is most of a
 * report's cost (seconds for a deep network), and `cnnx serve` must keep answering meanwhile.
 */
export async function encodeValues(t: Tensor, bits: number, level = FINAL_LEVEL): Promise<EncodedValues> {
  const { codes, lo, hi, maxCode, nonFinite } = quantize(t, bits);
  return { bits, maxCode, lo, hi, nonFinite, deflated: await deflateAsync(paethResiduals(codes, t.width, t.height), { level }) };
}

const FINAL_LEVEL = 9;
/**
 * The budget search compresses at level 1, many times faster than 9, against the budget times
 * SEARCH_SLACK (level 1 is larger by about that on these residuals); the result is then checked at
 * level 9, and cut further there if it still does not fit.
 */
const SEARCH_LEVEL = 1;
const SEARCH_SLACK = 1.2;

/** Fewest bits a map is cut to before the budget is given up (16 levels still read as a picture). */
export const MIN_BITS = 4;

/**
 * Encodes every map at 8 bits, then takes a bit from the map with the most bits (the largest of
 * those) until they fit in `budget` bytes or every map is down to MIN_BITS: every map keeps about
 * the same precision.
 */
export async function encodeWithinBudget(maps: readonly Tensor[], budget: number): Promise<EncodedValues[]> {
  // The maps of one pass deflate at once, on the pool's threads.
  const search = await cutToBudget(maps, await Promise.all(maps.map((t) => encodeValues(t, 8, SEARCH_LEVEL))), budget * SEARCH_SLACK, SEARCH_LEVEL);
  return cutToBudget(maps, await Promise.all(search.map((e, i) => encodeValues(maps[i], e.bits))), budget, FINAL_LEVEL);
}

/** Takes a bit from the map with the most bits (the largest of those) until `encoded` fits `budget` or every map is at MIN_BITS. */
async function cutToBudget(maps: readonly Tensor[], encoded: EncodedValues[], budget: number, level: number): Promise<EncodedValues[]> {
  const total = () => encoded.reduce((sum, e) => sum + e.deflated.length, 0);
  while (total() > budget) {
    let largest = -1;
    encoded.forEach((e, i) => {
      const other = encoded[largest];
      if (e.bits > MIN_BITS && (largest < 0 || e.bits > other.bits || (e.bits === other.bits && e.deflated.length > other.deflated.length))) largest = i;
    });
    if (largest < 0) break;
    encoded[largest] = await encodeValues(maps[largest], encoded[largest].bits - 1, level);
  }
  return encoded;
}
