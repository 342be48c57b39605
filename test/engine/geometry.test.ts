// Output-size arithmetic and border rules against PyTorch's own numbers (worked vectors from its issue tracker).
import { describe, expect, test } from 'vitest';
import { adaptiveEnd, adaptiveStart, borderIndex, convOutputSize, poolOutputSize } from '../../src/engine/geometry.js';

describe('poolOutputSize (ATen pooling_output_shape_pad_lr)', () => {
  test.each([
    // [n, kernel, stride, dilation, pad, ceil, expected]
    [32, 1, 2, 1, 0, true, 16], // pytorch#57178: the docs formula gives 17
    [9, 4, 4, 1, 2, true, 3], // pytorch#116420: the docs formula gives 4
    [5, 2, 2, 1, 1, true, 3], // burn#5791 gave 4
    [224, 3, 2, 1, 1, false, 112],
    [4, 3, 2, 1, 1, true, 3],
    [7, 2, 2, 1, 0, false, 3],
    [7, 2, 2, 1, 0, true, 4],
    [7, 3, 1, 2, 0, false, 3],
    [3, 4, 4, 1, 0, false, 0],
  ])('n=%i k=%i s=%i d=%i p=%i ceil=%s -> %i', (n, k, s, d, p, ceil, expected) => {
    expect(poolOutputSize(n, k, s, d, p, ceil)).toBe(expected);
  });
});

describe('convOutputSize', () => {
  test.each([
    [8, 3, 1, 1, 1, 1, 8],
    [8, 3, 2, 1, 1, 1, 4],
    [9, 3, 2, 1, 0, 0, 4],
    [8, 3, 1, 2, 0, 0, 4],
    [8, 4, 1, 1, 1, 2, 8], // 'same' with an even kernel
    [2, 5, 1, 1, 0, 0, 0],
  ])('n=%i k=%i s=%i d=%i pads=%i,%i -> %i', (n, k, s, d, before, after, expected) => {
    expect(convOutputSize(n, k, s, d, before, after)).toBe(expected);
  });
});

describe('adaptive windows (PyTorch start/end rule)', () => {
  const windows = (n: number, out: number) => Array.from({ length: out }, (_, i) => [adaptiveStart(i, n, out), adaptiveEnd(i, n, out)]);
  test('H=10 -> 3', () => expect(windows(10, 3)).toEqual([[0, 4], [3, 7], [6, 10]]));
  test('H=5 -> 3', () => expect(windows(5, 3)).toEqual([[0, 2], [1, 4], [3, 5]]));
  test('H=3 -> 5 repeats rows', () => expect(windows(3, 5)).toEqual([[0, 1], [0, 2], [1, 2], [1, 3], [2, 3]]));
  test('H=7 -> 4', () => expect(windows(7, 4)).toEqual([[0, 2], [1, 4], [3, 6], [5, 7]]));
});

describe('borderIndex on "abcdefgh" padded by 3 on the left', () => {
  const row = (mode: Parameters<typeof borderIndex>[2]) => [-3, -2, -1, 0, 7, 8, 9, 10].map((i) => borderIndex(i, 8, mode));
  test('zeros', () => expect(row('zeros')).toEqual([-1, -1, -1, 0, 7, -1, -1, -1]));
  test('replicate', () => expect(row('replicate')).toEqual([0, 0, 0, 0, 7, 7, 7, 7]));
  test('reflect (edge not repeated)', () => expect(row('reflect')).toEqual([3, 2, 1, 0, 7, 6, 5, 4]));
  test('symmetric (edge repeated)', () => expect(row('symmetric')).toEqual([2, 1, 0, 0, 7, 7, 6, 5]));
  test('circular', () => expect(row('circular')).toEqual([5, 6, 7, 0, 7, 0, 1, 2]));
  test('reflect on a single pixel', () => expect(borderIndex(-1, 1, 'reflect')).toBe(0));
});
