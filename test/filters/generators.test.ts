// Generators against OpenCV's own values (fixtures/filters/opencv-reference.json, made by fixtures/filters/generate.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  box,
  defaultGaussianSigma,
  defaultGaussianSize,
  derivKernels,
  dog,
  flipKernel,
  gabor,
  gaussian,
  gaussian1d,
  kirsch,
  log,
  outer,
  sobel,
  sobel1d,
} from '../../src/filters/generators.js';
import { resolveFilter } from '../../src/filters/library.js';

interface ReferenceCase {
  spec: string;
  call: string;
  source: string;
  height: number;
  width: number;
  values: number[];
}

const reference = JSON.parse(
  readFileSync(new URL('../../fixtures/filters/opencv-reference.json', import.meta.url), 'utf8'),
) as { opencv_version: string; cases: ReferenceCase[] };

/** Largest absolute difference, with the flat index where it happens (for failure messages). */
function maxDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): { diff: number; at: number } {
  let diff = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= diff)) {
      diff = d;
      at = i;
    }
  }
  return { diff, at };
}

describe('OpenCV reference values', () => {
  it('has cases for every generator', () => {
    const bases = new Set(reference.cases.map((c) => c.spec.split(':')[0]));
    for (const base of ['gaussian', 'dog', 'sobel', 'scharr', 'box', 'gabor', 'log', 'sobel-x', 'gabor-45']) {
      expect(bases.has(base), base).toBe(true);
    }
    expect(reference.cases.length).toBeGreaterThan(60);
  });

  it.each(reference.cases.map((c) => [`${c.spec} = ${c.call}`, c] as const))('%s', (_label, c) => {
    const filter = resolveFilter(c.spec);
    expect([filter.height, filter.width]).toEqual([c.height, c.width]);
    const { diff, at } = maxDiff(filter.values, c.values);
    expect(diff, `max difference at flat index ${at}`).toBeLessThanOrEqual(1e-6);
  });
});

describe('gaussian', () => {
  it("uses OpenCV's fixed tables without sigma and the sampled bell with one", () => {
    expect([...gaussian1d(3)]).toEqual([0.25, 0.5, 0.25]);
    expect([...gaussian1d(5)]).toEqual([1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16]);
    expect([...gaussian1d(7)]).toEqual([1, 3.5, 7, 9, 7, 3.5, 1].map((v) => v / 32));
    // A given sigma always samples, even at a table size.
    const sampled = gaussian1d(3, 0.8);
    expect(sampled[1]).toBeCloseTo(1 / (1 + 2 * Math.exp(-1 / (2 * 0.64))), 12);
  });

  it("applies OpenCV's sigma rule and the 6-sigma size rule", () => {
    expect(defaultGaussianSigma(5)).toBeCloseTo(1.1, 12);
    expect(defaultGaussianSigma(11)).toBeCloseTo(2, 12);
    expect(defaultGaussianSize(1)).toBe(7);
    expect(defaultGaussianSize(2)).toBe(13);
    expect(defaultGaussianSize(1.5)).toBe(11); // 10 made odd
  });

  it('is the outer product of the 1-D kernel and sums to 1', () => {
    const k = gaussian(11, 1.7);
    const g = gaussian1d(11, 1.7);
    expect(k.values[3 * 11 + 7]).toBeCloseTo(g[3] * g[7], 15);
    expect(k.values.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('rejects even sizes (GaussianBlur does too)', () => {
    expect(() => gaussian1d(4)).toThrow(RangeError);
  });
});

describe('sobel and derivKernels', () => {
  it('builds 1-D factors as binomials times differences', () => {
    expect([...sobel1d(0, 3)]).toEqual([1, 2, 1]);
    expect([...sobel1d(1, 3)]).toEqual([-1, 0, 1]);
    expect([...sobel1d(2, 3)]).toEqual([1, -2, 1]);
    expect([...sobel1d(1, 5)]).toEqual([-1, -2, 0, 2, 1]);
    expect([...sobel1d(1, 5, true)]).toEqual([-1 / 8, -2 / 8, 0, 2 / 8, 1 / 8]);
  });

  it('ksize 1 smooths nothing: 3 taps on a differentiated axis, 1 on the other', () => {
    const { kx, ky } = derivKernels(1, 0, 1);
    expect([...kx]).toEqual([-1, 0, 1]);
    expect([...ky]).toEqual([1]);
    const k = sobel(1, 0, 1);
    expect([k.height, k.width]).toEqual([1, 3]);
  });

  it('sobel(1, 0) is the sobel-x preset and sobel(0, 1) its transpose', () => {
    expect([...sobel(1, 0).values]).toEqual([...resolveFilter('sobel-x').values]);
    expect([...sobel(0, 1).values]).toEqual([...resolveFilter('sobel-y').values]);
  });
});

describe('gabor', () => {
  it('keeps the 180-degree storage turn: an odd Gabor at theta 0 rises to the right, like sobel-x', () => {
    const k = gabor(5, 2, 0, 5, 0.5, Math.PI / 2);
    const mid = 2 * 5;
    expect(k.values[mid + 0]).toBeLessThan(0);
    expect(k.values[mid + 4]).toBeGreaterThan(0);
    expect(k.values[mid + 2]).toBeCloseTo(0, 12);
  });

  it('is symmetric under the turn when psi = 0', () => {
    const k = gabor(9, 2, 0.7, 5, 0.5, 0);
    const flipped = flipKernel(k.values, 9, 9);
    expect(maxDiff(flipped, k.values).diff).toBeLessThan(1e-12);
  });

  it('gives k + 1 taps for an even k, as OpenCV', () => {
    expect(gabor(10, 2, 0, 5, 0.5, 0).height).toBe(11);
  });
});

describe('log, dog, box, kirsch', () => {
  it('log has a negative centre and sums to 0', () => {
    const k = log(9, 1.4);
    expect(k.values[4 * 9 + 4]).toBeLessThan(0);
    expect(Math.abs(k.values.reduce((a, b) => a + b, 0))).toBeLessThan(1e-15);
  });

  it('dog is narrow minus wide: positive centre, sums to 0', () => {
    const k = dog(9, 1, 1.6);
    expect(k.values[4 * 9 + 4]).toBeGreaterThan(0);
    expect(Math.abs(k.values.reduce((a, b) => a + b, 0))).toBeLessThan(1e-12);
  });

  it('box is the mean', () => {
    expect([...box(2).values]).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('kirsch rotates the 5-weights around the ring', () => {
    expect([...kirsch('n').values]).toEqual([5, 5, 5, -3, 0, -3, -3, -3, -3]);
    expect([...kirsch('ne').values]).toEqual([-3, 5, 5, -3, 0, 5, -3, -3, -3]);
    expect([...kirsch('e').values]).toEqual([-3, -3, 5, -3, 0, 5, -3, -3, 5]);
    expect([...kirsch('nw').values]).toEqual([5, 5, -3, 5, 0, -3, -3, -3, -3]);
    // Opposite directions are each other's 180-degree turn.
    expect([...flipKernel(kirsch('n').values, 3, 3)]).toEqual([...kirsch('s').values]);
    expect([...flipKernel(kirsch('se').values, 3, 3)]).toEqual([...kirsch('nw').values]);
  });
});

describe('flipKernel', () => {
  it('rotates by 180 degrees without touching its input, for any array type', () => {
    const values = Float32Array.of(1, 2, 3, 4, 5, 6);
    expect([...flipKernel(values, 2, 3)]).toEqual([6, 5, 4, 3, 2, 1]);
    expect([...values]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(flipKernel([1, 2, 3], 1, 3)).toEqual([3, 2, 1]);
    expect(flipKernel(values, 2, 3)).toBeInstanceOf(Float32Array);
  });

  it('turns sobel-x into its negative (true convolution)', () => {
    const k = outer([1, 2, 1], [-1, 0, 1]);
    expect([...flipKernel(k.values, 3, 3)]).toEqual([...k.values].map((v) => (v === 0 ? 0 : -v)));
  });
});
