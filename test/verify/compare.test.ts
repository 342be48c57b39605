// The one comparison rule (src/verify/compare.ts): infinities, NaN, the scaled atol, shapes and the report.
import { describe, expect, test } from 'vitest';
import { CnnxError } from '../../src/errors.js';
import { asChw, compareArrays, CONFORMANCE_TOLERANCE, describeFailure, formatComparison } from '../../src/verify/compare.js';

const row = (...values: number[]) => ({ shape: [1, 1, values.length], data: Float32Array.from(values) });
const passes = (actual: number[], expected: number[]) => compareArrays(row(...actual), row(...expected)).pass;

describe('the element rule', () => {
  test('an infinite expected value needs an equal actual value', () => {
    // A single infinity must not widen the allowance of every other element (max|expected| is over finite values).
    expect(passes([5, 1e30], [0, Infinity])).toBe(false);
    expect(compareArrays(row(5, 1e30), row(0, Infinity)).over).toBe(2);
    expect(passes([0, Infinity], [0, Infinity])).toBe(true);
    expect(passes([Infinity], [Infinity])).toBe(true);
    expect(passes([-Infinity], [-Infinity])).toBe(true);
    expect(passes([Infinity], [-Infinity])).toBe(false);
    expect(passes([-Infinity], [Infinity])).toBe(false);
    expect(passes([-3.4e38], [-Infinity])).toBe(false);
    expect(passes([-Infinity], [-3.4e38])).toBe(false);
    expect(passes([NaN], [-Infinity])).toBe(false);
  });

  test('NaN matches NaN and only NaN', () => {
    expect(passes([NaN], [NaN])).toBe(true);
    expect(passes([NaN], [0])).toBe(false);
    expect(passes([NaN], [1e6])).toBe(false);
    expect(passes([0], [NaN])).toBe(false);
    expect(passes([Infinity], [NaN])).toBe(false);
  });

  test('atol scales with max(1, max|expected|), rtol with |expected|', () => {
    // 0.01 <= 1e-4 * 100 + 1e-4 * 100 = 0.02 passes; 0.03 does not.
    expect(passes([100.01], [100])).toBe(true);
    expect(passes([100.03], [100])).toBe(false);
    // Below 1 the absolute part stays 1e-4: 0 against 9e-5 passes, against 2e-4 fails.
    expect(passes([0], [9e-5])).toBe(true);
    expect(passes([0], [2e-4])).toBe(false);
    // The largest finite expected value sets the allowance of every element: 0.05 off is fine beside a 1000.
    expect(passes([0.05, 1000], [0, 1000])).toBe(true);
    expect(passes([0.05, 1], [0, 1])).toBe(false);
    // NaN and infinite expected values do not count towards max|expected|.
    expect(compareArrays(row(0.05, NaN, Infinity), row(0, NaN, Infinity)).maxExpected).toBe(0);
  });

  test('tolerances must be numbers >= 0', () => {
    const bad = () => compareArrays(row(1), row(1), { atol: -1, rtol: 0 });
    expect(bad).toThrow(CnnxError);
    expect(bad).toThrow('tolerance.atol: expected a number >= 0, got -1');
    expect(() => compareArrays(row(1), row(1), { atol: 0, rtol: NaN })).toThrow('tolerance.rtol: expected a number >= 0, got NaN');
    // atol 0 and rtol 0: only exact equality passes, and the report has no 0/0.
    const exact = compareArrays(row(0, 1), row(0, 1), { atol: 0, rtol: 0 });
    expect(exact.pass).toBe(true);
    expect(exact.worst?.error).toBe(0);
  });
});

describe('shapes', () => {
  test('a leading batch of 1 and a missing channel axis compare equal', () => {
    expect(asChw([1, 4, 10, 13])).toEqual([4, 10, 13]);
    expect(asChw([10, 13])).toEqual([1, 10, 13]);
    expect(asChw([7])).toEqual([1, 1, 7]);
    expect(asChw([2, 3, 4, 5])).toEqual([6, 4, 5]);
    const data = new Float32Array(6);
    expect(compareArrays({ shape: [1, 2, 3], data }, { shape: [1, 1, 2, 3], data }).pass).toBe(true);
    expect(compareArrays({ shape: [1, 2, 3], data }, { shape: [2, 3], data }).pass).toBe(true);
  });

  test('a shape mismatch fails without comparing elements', () => {
    const c = compareArrays({ shape: [4, 10, 13], data: new Float32Array(520) }, { shape: [4, 10, 12], data: new Float32Array(480) });
    expect(c.pass).toBe(false);
    expect(c.sameShape).toBe(false);
    expect(c.count).toBe(0);
    expect(formatComparison(c, { actual: 'cnnx', expected: 'e.npy' })).toEqual(['FAIL: shape mismatch: cnnx gives (4, 10, 13), e.npy is (4, 10, 12)']);
    expect(describeFailure(c)).toBe('shape (4, 10, 13) against expected (4, 10, 12)');
    // The same element count in another layout is still a mismatch.
    expect(compareArrays({ shape: [2, 3, 4], data: new Float32Array(24) }, { shape: [3, 2, 4], data: new Float32Array(24) }).sameShape).toBe(false);
  });
});

describe('the report', () => {
  // (2, 2, 3): element (c, y, x) is at (c * 2 + y) * 3 + x.
  const expected = Float32Array.from({ length: 12 }, (_, i) => i - 4);
  const actual = expected.slice();
  actual[(1 * 2 + 0) * 3 + 2] += 0.5; // (1, 0, 2): expected 4, far off
  actual[(0 * 2 + 1) * 3 + 0] += 0.002; // (0, 1, 0): expected -1, over tolerance but less than (1, 0, 2)
  actual[(0 * 2 + 0) * 3 + 1] += 0.0001; // (0, 0, 1): expected -3, within 1e-4 * 7 + 1e-4 * 3
  actual[(1 * 2 + 1) * 3 + 1] = NaN; // (1, 1, 1): expected 6, a NaN
  const c = compareArrays({ shape: [2, 2, 3], data: actual }, { shape: [2, 2, 3], data: expected }, CONFORMANCE_TOLERANCE);

  test('largest absolute and relative errors, the worst element and the count over tolerance', () => {
    expect(c.pass).toBe(false);
    expect(c.count).toBe(12);
    expect(c.over).toBe(3);
    expect(c.maxExpected).toBe(7);
    expect(c.base).toBeCloseTo(7e-4, 12);
    expect(c.maxAbs).toEqual({ error: Infinity, at: [1, 1, 1], actual: NaN, expected: 6 });
    expect(c.maxRel?.at).toEqual([1, 1, 1]);
    expect(c.worst?.at).toEqual([1, 1, 1]);
    expect(c.firstOver?.at).toEqual([0, 1, 0]);
    expect(describeFailure(c)).toMatch(/^c=0 y=1 x=0: expected -1, got -0\.99[0-9]+ \(3 of 12 elements over tolerance\)$/);
  });

  test('the formatted lines', () => {
    const finite = actual.slice();
    finite[(1 * 2 + 1) * 3 + 1] = 6;
    const f = compareArrays({ shape: [2, 2, 3], data: finite }, { shape: [2, 2, 3], data: expected });
    expect(f.maxAbs?.at).toEqual([1, 0, 2]);
    expect(f.maxRel?.at).toEqual([1, 0, 2]);
    expect(f.maxRel?.error).toBeCloseTo(0.125, 6);
    expect(formatComparison(f, { actual: 'cnnx', expected: 'torch.npy' })).toEqual([
      'max abs error: 0.5 at (c=1, y=0, x=2): cnnx 4.5, expected 4',
      'max rel error: 0.125 at (c=1, y=0, x=2): cnnx 4.5, expected 4',
      'worst vs tolerance: 454.545 x allowed at (c=1, y=0, x=2): cnnx 4.5, expected 4',
      'tolerance: |cnnx - expected| <= 0.0001 * max(1, 7) + 0.0001 * |expected|',
      'over tolerance: 2 of 12 elements',
      'FAIL: 2 of 12 elements over tolerance',
    ]);
    const ok = compareArrays({ shape: [2, 2, 3], data: expected }, { shape: [2, 2, 3], data: expected });
    expect(formatComparison(ok).at(-1)).toBe('PASS');
    expect(describeFailure(ok)).toBeNull();
  });
});
