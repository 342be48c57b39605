import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tensor } from '../../src/engine/tensor.js';
import { CnnxError } from '../../src/errors.js';
import { channelEnergy, channelRanges, energyOrder, normalize, parseScale, percentiles, scaler } from '../../src/render/scale.js';

/** 0, 1, ..., n-1 in a scrambled but fixed order (percentiles must not depend on order). */
function scrambled(n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 37) % n; // 37 is coprime with the sizes used
  return out;
}

describe('parseScale', () => {
  it('accepts the named policies and percentile pairs', () => {
    expect(parseScale('channel')).toEqual({ kind: 'channel' });
    expect(parseScale('GLOBAL')).toEqual({ kind: 'global' });
    expect(parseScale('none')).toEqual({ kind: 'none' });
    expect(parseScale('p1-p99')).toEqual({ kind: 'percentile', low: 1, high: 99 });
    expect(parseScale('p0.5-p99.5')).toEqual({ kind: 'percentile', low: 0.5, high: 99.5 });
    expect(parseScale('p0-p100')).toEqual({ kind: 'percentile', low: 0, high: 100 });
  });

  it('rejects unknown names and inverted or out-of-range percentiles with a stable code', () => {
    for (const bad of ['chanel', 'p99-p1', 'p5-p5', 'p1-p101', 'p1', '1-99', '']) {
      expect(() => parseScale(bad)).toThrowError(CnnxError);
      try {
        parseScale(bad);
      } catch (e) {
        expect((e as CnnxError).code).toBe('render.scale');
        expect((e as CnnxError).exitCode).toBe(2);
      }
    }
  });
});

describe('percentiles', () => {
  it('interpolates linearly between order statistics (NumPy linear method)', () => {
    const v = scrambled(101); // 0..100
    expect(percentiles(v, [1, 99])).toEqual([1, 99]);
    expect(percentiles(v, [2.5, 50, 0, 100])).toEqual([2.5, 50, 0, 100]);
    expect(percentiles(new Float32Array([4, 1, 3, 2]), [25, 50, 75])).toEqual([1.75, 2.5, 3.25]);
  });

  it('ignores NaN and ±Inf and returns NaN when nothing is finite', () => {
    expect(percentiles(new Float32Array([NaN, 3, Infinity, 1, -Infinity, 2]), [0, 50, 100])).toEqual([1, 2, 3]);
    expect(percentiles(new Float32Array([NaN, Infinity]), [50])[0]).toBeNaN();
  });

  it('agrees with sorting on arbitrary arrays (duplicates included)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 200 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (values, p) => {
          const sorted = [...values].sort((a, b) => a - b);
          const pos = (p / 100) * (sorted.length - 1);
          const k = Math.floor(pos);
          const expected = k + 1 < sorted.length ? sorted[k]! + (pos - k) * (sorted[k + 1]! - sorted[k]!) : sorted[k]!;
          expect(percentiles(Float32Array.from(values), [p])[0]).toBeCloseTo(expected, 9);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('normalize', () => {
  it('channel policy stretches each channel to [0, 1] on its own', () => {
    const t = tensor(2, 1, 3, new Float32Array([0, 5, 10, -1, 0, 1]));
    expect(Array.from(normalize(t, { kind: 'channel' }))).toEqual([0, 0.5, 1, 0, 0.5, 1]);
  });

  it('global policy uses one range for all channels', () => {
    const t = tensor(2, 1, 2, new Float32Array([0, 2, 4, 8]));
    expect(Array.from(normalize(t, { kind: 'global' }))).toEqual([0, 0.25, 0.5, 1]);
  });

  it('none clamps to 0..1 without stretching', () => {
    const t = tensor(1, 1, 4, new Float32Array([-0.5, 0.25, 0.75, 3]));
    expect(Array.from(normalize(t, { kind: 'none' }))).toEqual([0, 0.25, 0.75, 1]);
  });

  it('percentile policy maps pLOW..pHIGH to 0..1 and clamps outliers', () => {
    const t = tensor(1, 1, 101, scrambled(101));
    const out = normalize(t, { kind: 'percentile', low: 10, high: 90 });
    const at = (value: number) => out[Array.from(t.data).indexOf(value)];
    expect(at(10)).toBe(0);
    expect(at(50)).toBeCloseTo(0.5, 6);
    expect(at(90)).toBe(1);
    expect(at(3)).toBe(0);
    expect(at(97)).toBe(1);
    expect(channelRanges(t, { kind: 'percentile', low: 1, high: 99 })).toEqual([{ lo: 1, hi: 99 }]);
  });

  it('symmetric mode puts 0 at 0.5 and scales by max |x|', () => {
    const t = tensor(1, 1, 4, new Float32Array([-2, 0, 1, 4]));
    expect(Array.from(normalize(t, { kind: 'channel' }, { symmetric: true }))).toEqual([0.25, 0.5, 0.625, 1]);
    // `none` + symmetric reads [-1, 1].
    const u = tensor(1, 1, 3, new Float32Array([-1, 0, 0.5]));
    expect(Array.from(normalize(u, { kind: 'none' }, { symmetric: true }))).toEqual([0, 0.5, 0.75]);
  });

  it('constant channels give mid-grey (or 0 for all-zero) and never NaN', () => {
    const t = tensor(3, 2, 2, new Float32Array([5, 5, 5, 5, 0, 0, 0, 0, -3, -3, -3, -3]));
    const out = Array.from(normalize(t, { kind: 'channel' }));
    expect(out).toEqual([0.5, 0.5, 0.5, 0.5, 0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5]);
    const sym = Array.from(normalize(tensor(1, 1, 2), { kind: 'channel' }, { symmetric: true }));
    expect(sym).toEqual([0.5, 0.5]);
    const pct = Array.from(normalize(tensor(1, 1, 3, new Float32Array([7, 7, 7])), { kind: 'percentile', low: 1, high: 99 }));
    expect(pct).toEqual([0.5, 0.5, 0.5]);
  });

  it('marks NaN and ±Inf as NaN and scales the rest by the finite values only', () => {
    const t = tensor(1, 1, 5, new Float32Array([NaN, 0, Infinity, 10, -Infinity]));
    const out = normalize(t, { kind: 'channel' });
    expect(out[0]).toBeNaN();
    expect(out[1]).toBe(0);
    expect(out[2]).toBeNaN();
    expect(out[3]).toBe(1);
    expect(out[4]).toBeNaN();
    const allBad = normalize(tensor(1, 1, 2, new Float32Array([NaN, Infinity])), { kind: 'global' });
    expect(Number.isNaN(allBad[0]!) && Number.isNaN(allBad[1]!)).toBe(true);
    expect(scaler({ lo: 0, hi: 1 })(NaN)).toBeNaN();
  });
});

describe('energy', () => {
  it('is mean |x| over finite values and orders channels by it, ties by index', () => {
    const t = tensor(4, 1, 2, new Float32Array([1, -1, 0, 0, -5, 3, 1, NaN]));
    expect(Array.from(channelEnergy(t))).toEqual([1, 0, 4, 1]);
    expect(energyOrder(t)).toEqual([2, 0, 3, 1]);
  });
});
