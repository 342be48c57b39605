// The comparison rule of the conformance suite and `cnnx verify`: one element-wise tolerance check and its report.
import { checkLength, checkSizes, isObject, unexpected } from '../arguments.js';
import { CnnxError } from '../errors.js';
import { plural } from '../format.js';

/** `|actual - expected| <= atol * max(1, max|expected|) + rtol * |expected|`, max over finite expected values. */
export interface Tolerance {
  readonly atol: number;
  readonly rtol: number;
}

/** The conformance suite's tolerances: the fast engine against the reference, cnnx against PyTorch. */
export const CONFORMANCE_TOLERANCE: Tolerance = { atol: 1e-4, rtol: 1e-4 };

/** An array to compare: its shape and its values in C order. */
export interface ArrayToCompare {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

/** One notable element: its (c, y, x) position, both values, and the error measured there. */
export interface ErrorAt {
  readonly error: number;
  readonly at: readonly [number, number, number];
  readonly actual: number;
  readonly expected: number;
}

export interface Comparison {
  /** Every element within tolerance and the shapes equal. */
  readonly pass: boolean;
  readonly actualShape: readonly number[];
  readonly expectedShape: readonly number[];
  /** False when the shapes differ (a leading batch of 1 and a missing channel axis aside): no element was compared. */
  readonly sameShape: boolean;
  readonly tolerance: Tolerance;
  readonly count: number;
  /** Elements over tolerance (a NaN on one side only, or an unequal infinity, counts). */
  readonly over: number;
  /** max|expected| over finite expected values (0 when there are none). */
  readonly maxExpected: number;
  /** The absolute allowance every element gets: atol * max(1, maxExpected). */
  readonly base: number;
  /** Largest |actual - expected| (Infinity for a one-sided NaN or an unequal infinity). */
  readonly maxAbs: ErrorAt | null;
  /** Largest |actual - expected| / |expected| over finite, non-zero expected values. */
  readonly maxRel: ErrorAt | null;
  /** Largest |actual - expected| / allowed: above 1 fails. */
  readonly worst: ErrorAt | null;
  /** The first element over tolerance in C order. */
  readonly firstOver: ErrorAt | null;
}

/**
 * A shape as (C, H, W): leading axes of size 1 beyond three are dropped (PyTorch's batch of one),
 * missing leading axes become 1 ((H, W) is one channel); a batch of several folds into C.
 */
export function asChw(shape: readonly number[]): [number, number, number] {
  const s = [...shape];
  while (s.length > 3 && s[0] === 1) s.shift();
  while (s.length < 3) s.unshift(1);
  const [w, h] = [s.pop()!, s.pop()!];
  return [s.reduce((a, b) => a * b, 1), h, w];
}

/**
 * The difference the rule measures: 0 for equal values (NaN and NaN, or the same infinity), Infinity
 * for a NaN on one side or an unequal infinity, else |actual - expected|.
 */
export function difference(actual: number, expected: number): number {
  if (actual === expected || (Number.isNaN(actual) && Number.isNaN(expected))) return 0;
  const d = Math.abs(actual - expected);
  return Number.isNaN(d) || !Number.isFinite(expected) ? Infinity : d;
}

/** Compares `actual` with `expected` element by element under `tolerance` (default: the conformance rule). */
export function compareArrays(actual: ArrayToCompare, expected: ArrayToCompare, tolerance: Tolerance = CONFORMANCE_TOLERANCE): Comparison {
  checkArrayToCompare(actual, 'compareArrays: actual');
  checkArrayToCompare(expected, 'compareArrays: expected');
  if (!isObject(tolerance)) throw unexpected('compareArrays: tolerance', 'a tolerance { atol, rtol }', tolerance);
  for (const key of ['atol', 'rtol'] as const) {
    const v = tolerance[key];
    if (!Number.isFinite(v) || v < 0) throw new CnnxError('usage.tolerance', `tolerance.${key}: expected a number >= 0, got ${v}`);
  }
  const chw = asChw(expected.shape);
  const sameShape = asChw(actual.shape).every((n, i) => n === chw[i]) && actual.data.length === expected.data.length;
  const { atol, rtol } = tolerance;
  let maxExpected = 0;
  if (sameShape) for (let i = 0; i < expected.data.length; i++) if (Number.isFinite(expected.data[i])) maxExpected = Math.max(maxExpected, Math.abs(expected.data[i]));
  const base = atol * Math.max(1, maxExpected);
  let over = 0;
  let maxAbs: ErrorAt | null = null;
  let maxRel: ErrorAt | null = null;
  let worst: ErrorAt | null = null;
  let firstOver: ErrorAt | null = null;
  const [, h, w] = chw;
  const count = sameShape ? expected.data.length : 0;
  const note = (error: number, i: number): ErrorAt => ({
    error,
    at: [Math.floor(i / (h * w)), Math.floor((i % (h * w)) / w), i % w],
    actual: actual.data[i],
    expected: expected.data[i],
  });
  for (let i = 0; i < count; i++) {
    const a = actual.data[i];
    const e = expected.data[i];
    const d = difference(a, e);
    const allowed = base + (Number.isFinite(e) ? rtol * Math.abs(e) : 0);
    const ratio = d === 0 ? 0 : d / allowed;
    if (!(d <= allowed)) {
      over++;
      firstOver ??= note(ratio, i);
    }
    if (!maxAbs || d > maxAbs.error) maxAbs = note(d, i);
    if (e !== 0 && Number.isFinite(e) && (!maxRel || d / Math.abs(e) > maxRel.error)) maxRel = note(d / Math.abs(e), i);
    if (!worst || ratio > worst.error) worst = note(ratio, i);
  }
  return {
    pass: sameShape && over === 0,
    actualShape: actual.shape,
    expectedShape: expected.shape,
    sameShape,
    tolerance,
    count,
    over,
    maxExpected,
    base,
    maxAbs,
    maxRel,
    worst,
    firstOver,
  };
}

/** A shape of sizes and an array (or typed array) of as many numbers. */
function checkArrayToCompare(value: unknown, where: string): void {
  if (!isObject(value)) throw unexpected(where, 'an array to compare { shape, data }', value);
  checkSizes(value.shape, `${where}.shape`);
  const data = value.data;
  if (!Array.isArray(data) && !(ArrayBuffer.isView(data) && 'length' in data)) throw unexpected(`${where}.data`, 'an array of numbers (a Float32Array or any array)', data);
  checkLength((data as ArrayLike<number>).length, `${where}.data`, value.shape.reduce((a, b) => a * b, 1), `(${value.shape.join(', ')})`);
}

/** Short, stable number formatting for reports. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e5 ? String(Number(x.toPrecision(6))) : x.toExponential(3);
}

/** How the report names the two sides: `actual` is also the tolerance formula's left operand. */
export interface ReportNames {
  readonly actual: string;
  readonly expected: string;
}

/** The report's lines; the last is PASS or FAIL (a shape mismatch is one FAIL line). */
export function formatComparison(c: Comparison, names: ReportNames = { actual: 'actual', expected: 'expected' }): string[] {
  if (!isObject(c) || typeof c.sameShape !== 'boolean') throw unexpected('formatComparison: comparison', 'a comparison from compareArrays()', c);
  if (!isObject(names)) throw unexpected('formatComparison: names', 'names { actual, expected }', names);
  if (!c.sameShape) return [`FAIL: shape mismatch: ${names.actual} gives (${c.actualShape.join(', ')}), ${names.expected} is (${c.expectedShape.join(', ')})`];
  const num = formatNumber;
  const where = (e: ErrorAt) => `at (c=${e.at[0]}, y=${e.at[1]}, x=${e.at[2]}): ${names.actual} ${num(e.actual)}, expected ${num(e.expected)}`;
  const { atol, rtol } = c.tolerance;
  return [
    `max abs error: ${c.maxAbs ? `${num(c.maxAbs.error)} ${where(c.maxAbs)}` : 'n/a (empty)'}`,
    `max rel error: ${c.maxRel ? `${num(c.maxRel.error)} ${where(c.maxRel)}` : 'n/a (expected is all zero)'}`,
    `worst vs tolerance: ${c.worst ? `${num(c.worst.error)} x allowed ${where(c.worst)}` : 'n/a (empty)'}`,
    `tolerance: |${names.actual} - expected| <= ${atol} * max(1, ${num(c.maxExpected)}) + ${rtol} * |expected|`,
    `over tolerance: ${c.over} of ${plural(c.count, 'element')}`,
    c.pass ? 'PASS' : `FAIL: ${c.over} of ${plural(c.count, 'element')} over tolerance`,
  ];
}

/** One line for a failed comparison (the shapes, or the first element over tolerance and the count), null when it passed. */
export function describeFailure(c: Comparison): string | null {
  if (c.pass) return null;
  if (!c.sameShape) return `shape (${c.actualShape.join(', ')}) against expected (${c.expectedShape.join(', ')})`;
  const f = c.firstOver!;
  return `c=${f.at[0]} y=${f.at[1]} x=${f.at[2]}: expected ${f.expected}, got ${f.actual} (${c.over} of ${plural(c.count, 'element')} over tolerance)`;
}
