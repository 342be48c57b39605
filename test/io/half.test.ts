// Tests for the float16 and bfloat16 widening shared by the .npy and safetensors readers.

import { describe, expect, it } from 'vitest';
import { bfloat16ToFloat, halfToFloat } from '../../src/io/half.js';

/** Table rows with the bit pattern also in hex, for readable test names. */
const withHex = (rows: [number, number][]): [string, number, number][] =>
  rows.map(([bits, value]) => [bits.toString(16).padStart(4, '0'), value, bits]);

const same = (actual: number, expected: number): void => expect(Object.is(actual, expected), `${actual} vs ${expected}`).toBe(true);

describe('halfToFloat', () => {
  it.each(withHex([
    [0x0000, 0],
    [0x8000, -0],
    [0x0001, 2 ** -24],
    [0x8001, -(2 ** -24)],
    [0x0200, 2 ** -15],
    [0x03ff, 1023 * 2 ** -24],
    [0x0400, 2 ** -14],
    [0x3555, 0.333251953125],
    [0x3bff, 1 - 2 ** -11],
    [0x3c00, 1],
    [0x3c01, 1 + 2 ** -10],
    [0xc000, -2],
    [0x7bff, 65504],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ]))('0x%s is %s', (_, value, bits) => same(halfToFloat(bits), value));

  it('decodes every NaN pattern as NaN', () => {
    for (const bits of [0x7c01, 0x7e00, 0x7fff, 0xfc01, 0xfe00, 0xffff]) expect(halfToFloat(bits)).toBeNaN();
  });

  it('is exact in float32, strictly increasing over positive patterns, and odd', () => {
    const wrong: string[] = [];
    let previous = -1;
    for (let bits = 0; bits <= 0x7c00; bits++) {
      const value = halfToFloat(bits);
      if (Math.fround(value) !== value || value <= previous || !Object.is(halfToFloat(bits | 0x8000), -value)) {
        wrong.push(bits.toString(16));
      }
      previous = value;
    }
    expect(wrong).toEqual([]);
  });
});

describe('bfloat16ToFloat', () => {
  it.each(withHex([
    [0x0000, 0],
    [0x8000, -0],
    [0x3f80, 1],
    [0xc000, -2],
    [0x3eab, 171 / 512],
    [0x0001, 2 ** -133],
    [0x0080, 2 ** -126],
    [0x7f7f, 255 * 2 ** 120],
    [0x7f80, Infinity],
    [0xff80, -Infinity],
  ]))('0x%s is %s', (_, value, bits) => same(bfloat16ToFloat(bits), value));

  it('decodes NaN patterns as NaN', () => {
    for (const bits of [0x7fc0, 0x7f81, 0xffff]) expect(bfloat16ToFloat(bits)).toBeNaN();
  });
});
