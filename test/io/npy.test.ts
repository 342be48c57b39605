// Tests for the .npy reader and writer against numpy-written fixtures (fixtures/npy/generate.py).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CnnxError } from '../../src/errors.js';
import { encodeNpy, encodeNpyChunks, npyDataOffset, npyHeader, parseNpy, readNpyFile } from '../../src/io/npy.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/npy/', import.meta.url));
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));
const load = (name: string) => parseNpy(fixture(name), name);

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const MAGIC = Uint8Array.of(0x93, ...ascii('NUMPY'));

/** A hand-made .npy file: any header text, any version, any data bytes. */
function rawNpy(header: string, data: Uint8Array = new Uint8Array(0), version: [number, number] = [1, 0]): Uint8Array {
  const text = version[0] === 3 ? new TextEncoder().encode(header) : ascii(header);
  const lengthBytes = version[0] === 1 ? 2 : 4;
  const out = new Uint8Array(MAGIC.length + 2 + lengthBytes + text.length + data.length);
  out.set(MAGIC);
  out.set(version, MAGIC.length);
  const view = new DataView(out.buffer);
  if (lengthBytes === 2) view.setUint16(MAGIC.length + 2, text.length, true);
  else view.setUint32(MAGIC.length + 2, text.length, true);
  out.set(text, MAGIC.length + 2 + lengthBytes);
  out.set(data, out.length - data.length);
  return out;
}

const f32Bytes = (...values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);

/** The message of the CnnxError `run` throws, after checking its code and exit code. */
function npyError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CnnxError);
    expect((error as CnnxError).code).toBe('npy.corrupt');
    expect((error as CnnxError).exitCode).toBe(2);
    expect((error as CnnxError).message).not.toContain('\n');
    return (error as CnnxError).message;
  }
  throw new Error('expected parseNpy to throw');
}

const corrupt = (bytes: Uint8Array): string => npyError(() => parseNpy(bytes, 'w.npy'));

describe('parseNpy on numpy-written files', () => {
  it('reads float32 (2, 3, 4) in C order', () => {
    const array = load('f4_2x3x4.npy');
    expect(array.shape).toEqual([2, 3, 4]);
    expect(array.descr).toBe('<f4');
    expect(Array.from(array.data)).toEqual(Array.from({ length: 24 }, (_, i) => i / 2));
  });

  it('rounds float64 to float32', () => {
    const array = load('f8_2x2.npy');
    expect(array.descr).toBe('<f8');
    expect(Array.from(array.data)).toEqual([Math.fround(0.1), -2.5, Infinity, 3]);
  });

  it('decodes float16 subnormals, infinities and NaN exactly', () => {
    const array = load('f2_special.npy');
    expect(array.descr).toBe('<f2');
    const expected = [0, -0, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, 1, 65504, Infinity, -Infinity, NaN, -2, 0.333251953125];
    expect(array.data.length).toBe(expected.length);
    expected.forEach((value, i) => expect(Object.is(array.data[i], value), `element ${i}`).toBe(true));
  });

  it('reads big-endian float32', () => {
    const array = load('f4_big_endian.npy');
    expect(array.descr).toBe('>f4');
    expect(array.shape).toEqual([2, 3]);
    expect(Array.from(array.data)).toEqual([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]);
  });

  it('transposes Fortran order into C order', () => {
    const array = load('f4_fortran.npy');
    expect(array.shape).toEqual([2, 3, 4]);
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) expected.push(100 * i + 10 * j + k);
    expect(Array.from(array.data)).toEqual(expected);
  });

  it('reads 1-D, 0-d and zero-size arrays', () => {
    const oneD = load('f4_1d.npy');
    expect(oneD.shape).toEqual([5]);
    expect(Array.from(oneD.data)).toEqual([1.5, -2, 3, 0.25, Math.fround(1e-3)]);
    const zeroD = load('f4_0d.npy');
    expect(zeroD.shape).toEqual([]);
    expect(Array.from(zeroD.data)).toEqual([7.25]);
    const empty = load('f4_zero_size.npy');
    expect(empty.shape).toEqual([3, 0, 2]);
    expect(empty.data.length).toBe(0);
  });

  it('reads format version 2.0', () => {
    const bytes = fixture('f4_v2.npy');
    expect(bytes[6]).toBe(2);
    const array = parseNpy(bytes, 'f4_v2.npy');
    expect(array.shape).toEqual([2, 2]);
    expect(Array.from(array.data)).toEqual([1, 2, 3, 4]);
  });

  it('widens integer dtypes to float32 values', () => {
    expect(Array.from(load('u1.npy').data)).toEqual([0, 1, 127, 128, 255]);
    expect(load('u1.npy').descr).toBe('|u1');
    expect(Array.from(load('i1.npy').data)).toEqual([-128, -1, 0, 127]);
    expect(Array.from(load('u2.npy').data)).toEqual([0, 65535]);
    expect(Array.from(load('i2.npy').data)).toEqual([-32768, 32767]);
    // 16777217 and 2^31 - 1 are not float32 values; they round to the nearest one.
    expect(Array.from(load('i4.npy').data)).toEqual([-2147483648, 16777216, 2147483648]);
  });

  it('names unsupported dtypes', () => {
    expect(npyError(() => load('c8.npy'))).toBe(
      "c8.npy: not a valid .npy file: unsupported dtype '<c8' (cnnx reads '<f4', '<f8', '<f2', '|u1', '|i1', '<u2', '<i2', '<i4' (or big-endian '>'))",
    );
  });

  it('reads from a subarray of a larger buffer at an odd offset', () => {
    const file = fixture('f4_2x3x4.npy');
    const padded = new Uint8Array(file.length + 3);
    padded.set(file, 1);
    expect(Array.from(parseNpy(padded.subarray(1, 1 + file.length), 'x').data)).toEqual(Array.from(load('f4_2x3x4.npy').data));
  });
});

describe('parseNpy header dict', () => {
  const oneTwo = f32Bytes(1, 2);

  it.each([
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"],
    ["{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}"],
    ['{ "descr" : "<f4" ,"fortran_order":False,"shape":( 2 , ) , }   \n'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2L,)}"],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': [2]}\n"],
    ["\t{'descr':'<f4','fortran_order':False,'shape':(2,),}"],
  ])('accepts %j', (header) => {
    const array = parseNpy(rawNpy(header, oneTwo), 'h.npy');
    expect(array.shape).toEqual([2]);
    expect(Array.from(array.data)).toEqual([1, 2]);
  });

  it('accepts fortran_order True written in any key order', () => {
    const array = parseNpy(rawNpy("{'fortran_order': True, 'shape': (2, 3), 'descr': '<f4', }", f32Bytes(0, 3, 1, 4, 2, 5)), 'f.npy');
    expect(Array.from(array.data)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('reads version 3.0 (UTF-8 header)', () => {
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }";
    expect(Array.from(parseNpy(rawNpy(header, f32Bytes(9), [3, 0]), 'v3.npy').data)).toEqual([9]);
  });
});

describe('parseNpy errors', () => {
  const valid = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

  it.each<[string, Uint8Array, string]>([
    ['an empty file', new Uint8Array(0), 'bad magic (it does not start with \\x93NUMPY)'],
    ['text', ascii('0.5 1.5 2.5\n'), 'bad magic (it does not start with \\x93NUMPY)'],
    ['only the magic', MAGIC, 'truncated header: the file is only 6 bytes'],
    ['no header length', Uint8Array.of(...MAGIC, 1, 0, 0x76), 'truncated header: the file is only 9 bytes'],
    ['version 4.0', rawNpy(valid, f32Bytes(0, 0, 0, 0, 0, 0), [4, 0]), 'unsupported format version 4.0 (cnnx reads 1.0, 2.0 and 3.0)'],
    ['a cut header', rawNpy(valid).subarray(0, 30), 'truncated header: it is 59 bytes but the file ends 39 bytes short of it'],
    ['a syntax error', rawNpy("{'descr': '<f4' 'shape': ()}"), 'header is not a Python dict literal: unexpected "\'" at column 17'],
    ['an unclosed dict', rawNpy("{'descr': '<f4', "), 'header dict ends early'],
    ['an unterminated string', rawNpy("{'descr': '<f4"), 'header has an unterminated string'],
    ['a list header', rawNpy('[1, 2]'), 'header is (1, 2), not a dict'],
    ['a missing shape', rawNpy("{'descr': '<f4', 'fortran_order': False}"), "header has no 'shape'"],
    ['an extra key', rawNpy(`${valid.slice(0, -1)}'order': 'C'}`), "header has an unexpected key 'order'"],
    ['a bad fortran_order', rawNpy("{'descr': '<f4', 'fortran_order': 'no', 'shape': ()}"), "fortran_order is 'no', not True or False"],
    ['a negative dimension', rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}"), 'shape is (-1,), not a tuple of non-negative integers'],
    ['a structured dtype', rawNpy("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': ()}"), 'unsupported dtype: structured dtypes (a list of fields) are not supported'],
    ['a byte-order-less float', rawNpy("{'descr': '|f4', 'fortran_order': False, 'shape': ()}", f32Bytes(1)), "unsupported dtype '|f4' (cnnx reads '<f4', '<f8', '<f2', '|u1', '|i1', '<u2', '<i2', '<i4' (or big-endian '>'))"],
    ['short data', rawNpy(valid, f32Bytes(1, 2, 3, 4, 5)), 'data is 20 bytes but shape (2, 3) with <f4 needs 24'],
    ['trailing bytes', rawNpy(valid, f32Bytes(1, 2, 3, 4, 5, 6, 7)), 'data is 28 bytes but shape (2, 3) with <f4 needs 24'],
    ['a 0-d array without data', rawNpy("{'descr': '<f8', 'fortran_order': False, 'shape': ()}"), 'data is 0 bytes but shape () with <f8 needs 8'],
    ['a truncated numpy file', fixture('f4_2x3x4.npy').subarray(0, 220), 'data is 92 bytes but shape (2, 3, 4) with <f4 needs 96'],
  ])('rejects %s', (_, bytes, reason) => {
    expect(corrupt(bytes)).toBe(`w.npy: not a valid .npy file: ${reason}`);
  });

  it('rejects a version 3.0 header that is not UTF-8', () => {
    const bytes = rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': ()}", f32Bytes(1), [3, 0]);
    bytes[12] = 0xff;
    expect(corrupt(bytes)).toBe('w.npy: not a valid .npy file: header is not valid UTF-8');
  });

  it('rejects a shape whose size overflows', () => {
    const bytes = rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}");
    expect(corrupt(bytes)).toBe('w.npy: not a valid .npy file: shape (4294967296, 4294967296) has too many elements');
  });
});

describe('npyHeader and encodeNpy', () => {
  it('writes the header numpy writes, for every shape in headers.json', () => {
    const { headers } = JSON.parse(readFileSync(join(FIXTURES, 'headers.json'), 'utf8')) as {
      headers: { shape: number[]; header: string }[];
    };
    expect(headers.length).toBeGreaterThan(30);
    for (const { shape, header } of headers) {
      expect(Buffer.from(npyHeader(shape)).toString('base64'), `shape (${shape.join(', ')})`).toBe(header);
    }
  });

  it.each(['f4_2x3x4.npy', 'f4_1d.npy', 'f4_0d.npy', 'f4_zero_size.npy'])('reproduces %s byte for byte', (name) => {
    const { shape, data } = load(name);
    expect(Buffer.from(encodeNpy(shape, data)).equals(Buffer.from(fixture(name)))).toBe(true);
  });

  it('aligns the data to 64 bytes and reports where it starts', () => {
    expect(npyDataOffset([2, 3, 4])).toBe(128);
    expect(npyDataOffset([2, 3, 4]) % 64).toBe(0);
    expect(npyDataOffset(new Array(32).fill(2))).toBe(192);
    expect(encodeNpy([2], Float32Array.of(1, 2)).length).toBe(128 + 8);
  });

  it('switches to version 2.0 only when the header outgrows 65535 bytes', () => {
    const smallest = new Array(21000).fill(1); // about 63 000 header bytes
    expect(npyHeader(smallest)[6]).toBe(1);
    const shape = new Array(30000).fill(1);
    const header = npyHeader(shape);
    expect(header[6]).toBe(2);
    expect(header[7]).toBe(0);
    const length = new DataView(header.buffer).getUint32(8, true);
    expect(length + 12).toBe(header.length);
    expect(header.length % 64).toBe(0);
    expect(header[header.length - 1]).toBe(0x0a);
    const array = parseNpy(encodeNpy(shape, Float32Array.of(42)), 'big.npy');
    expect(array.shape).toEqual(shape);
    expect(Array.from(array.data)).toEqual([42]);
  });

  it('rejects data of the wrong length or type and bad dimensions (usage.argument)', () => {
    const argument = (message: string) => expect.objectContaining({ name: 'CnnxError', code: 'usage.argument', message });
    expect(() => encodeNpy([2, 3], new Float32Array(5))).toThrow(argument('encodeNpy: data has 5 elements, the shape (2, 3) needs 6'));
    expect(() => encodeNpy([2], new Float64Array(2) as unknown as Float32Array)).toThrow(argument('encodeNpy: data: expected a Float32Array, got a Float64Array'));
    expect(() => npyHeader([2, -1])).toThrow(argument('npyHeader: shape[1]: expected an integer >= 0, got -1'));
    expect(() => npyHeader([1.5])).toThrow(argument('npyHeader: shape[0]: expected an integer >= 0, got 1.5'));
    expect(() => encodeNpyChunks([2], new Float32Array(3))).toThrow(argument('encodeNpy: data has 3 elements, the shape (2,) needs 2'));
  });

  it('round-trips any shape and any float32 bits', () => {
    const shapes = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 });
    fc.assert(
      fc.property(shapes, fc.infiniteStream(fc.integer()), (shape, bits) => {
        const count = shape.reduce((a, b) => a * b, 1);
        const words = Uint32Array.from({ length: count }, () => bits.next().value);
        const data = new Float32Array(words.buffer);
        const array = parseNpy(encodeNpy(shape, data), 'r.npy');
        expect(array.shape).toEqual(shape);
        expect(array.descr).toBe('<f4');
        expect(new Uint32Array(array.data.buffer)).toEqual(words);
      }),
      { numRuns: 100 },
    );
  });

  it('round-trips (1, 1, 1) and (3, 0, 2)', () => {
    expect(Array.from(parseNpy(encodeNpy([1, 1, 1], Float32Array.of(-0.5)), 'a').data)).toEqual([-0.5]);
    const empty = parseNpy(encodeNpy([3, 0, 2], new Float32Array(0)), 'b');
    expect(empty.shape).toEqual([3, 0, 2]);
    expect(empty.data.length).toBe(0);
  });
});

describe('readNpyFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnnx-npy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file', async () => {
    const array = await readNpyFile(join(FIXTURES, 'f4_1d.npy'));
    expect(array.shape).toEqual([5]);
  });

  it('names the display name when the file is missing', async () => {
    const error = await readNpyFile(join(dir, 'nope.npy'), 'weights/w.npy').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CnnxError);
    expect((error as CnnxError).code).toBe('file.missing');
    expect((error as CnnxError).message).toBe('weights/w.npy: no such file');
  });

  it('says when the path is a directory', async () => {
    const error = await readNpyFile(dir, 'd.npy').catch((e: unknown) => e);
    expect((error as CnnxError).code).toBe('file.unreadable');
    expect((error as CnnxError).message).toBe('d.npy: is a directory, not a file');
  });

  it('names the display name in parse errors', async () => {
    const error = await readNpyFile(join(FIXTURES, 'generate.py'), 'g.npy').catch((e: unknown) => e);
    expect((error as CnnxError).message).toBe('g.npy: not a valid .npy file: bad magic (it does not start with \\x93NUMPY)');
  });
});

describe('encodeNpyChunks', () => {
  it('the chunks concatenate to exactly encodeNpy, and the data chunk shares the tensor\'s memory', () => {
    const data = Float32Array.from({ length: 2 * 3 * 5 }, (_, i) => i * 0.5 - 3);
    const chunks = encodeNpyChunks([2, 3, 5], data);
    const joined = Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
    expect(joined.equals(Buffer.from(encodeNpy([2, 3, 5], data)))).toBe(true);
    expect(chunks[chunks.length - 1].buffer).toBe(data.buffer);
  });
});
