// Tests for the safetensors reader and writer, against fixtures/safetensors/generate.py's file and hand-made corrupt files.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CnnxError } from '../../src/errors.js';
import { encodeSafetensors, parseSafetensors, readSafetensorsFile } from '../../src/io/safetensors.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/safetensors/', import.meta.url));
const DTYPES_PATH = join(FIXTURES, 'dtypes.safetensors');
const dtypesBytes = (): Uint8Array => new Uint8Array(readFileSync(DTYPES_PATH));
const dtypes = parseSafetensors(dtypesBytes(), 'm.safetensors');

/** A hand-made file: header text as given (no padding), then the buffer bytes. */
function rawSafetensors(header: string, buffer: Uint8Array = new Uint8Array(0)): Uint8Array {
  const text = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + text.length + buffer.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(buffer, 8 + text.length);
  return out;
}

const entry = (dtype: string, shape: unknown, offsets: unknown): string =>
  JSON.stringify({ dtype, shape, data_offsets: offsets });

/** The CnnxError `run` throws, after checking it is one line. */
function caught(run: () => unknown): CnnxError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CnnxError);
    expect((error as CnnxError).message).not.toContain('\n');
    return error as CnnxError;
  }
  throw new Error('expected a CnnxError');
}

function corrupt(bytes: Uint8Array): string {
  const error = caught(() => parseSafetensors(bytes, 'w.safetensors'));
  expect(error.code).toBe('safetensors.corrupt');
  expect(error.exitCode).toBe(2);
  return error.message;
}

const expectExactly = (actual: Float32Array, expected: number[]): void => {
  expect(actual.length).toBe(expected.length);
  expected.forEach((value, i) => expect(Object.is(actual[i], value), `element ${i}: ${actual[i]} vs ${value}`).toBe(true));
};

describe('parseSafetensors on the fixture', () => {
  it('lists tensors in buffer order and reads the metadata', () => {
    expect(dtypes.tensorNames()).toEqual(['f32', 'f16', 'bf16', 'f64', 'i64', 'scalar', 'empty']);
    expect(dtypes.metadata).toEqual({ format: 'pt', made_by: 'fixtures/safetensors/generate.py' });
    expect(dtypes.has('f16')).toBe(true);
    expect(dtypes.has('__metadata__')).toBe(false);
    expect(dtypes.has('F16')).toBe(false);
  });

  it('reads F32', () => {
    const t = dtypes.tensor('f32');
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('F32');
    expectExactly(t.data, [0.5, -1.5, 3.25, Math.fround(1e30), -0, Infinity]);
  });

  it('decodes F16 subnormals, infinities and NaN exactly', () => {
    const t = dtypes.tensor('f16');
    expect(t.dtype).toBe('F16');
    expectExactly(t.data, [0, -0, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, 1, 65504, Infinity, -Infinity, NaN, -2, 0.333251953125]);
  });

  it('decodes BF16 as the top half of a float32', () => {
    const t = dtypes.tensor('bf16');
    expect(t.shape).toEqual([3, 3]);
    expectExactly(t.data, [1, -2, 171 / 512, Infinity, -Infinity, NaN, 2 ** -133, 255 * 2 ** 120, -0]);
  });

  it('rounds F64 to float32', () => {
    expectExactly(dtypes.tensor('f64').data, [Math.fround(0.1), -2.5, Infinity, 3]);
  });

  it('reads 0-d and zero-size tensors', () => {
    expect(dtypes.tensor('scalar')).toEqual({ shape: [], dtype: 'F32', data: Float32Array.of(7.25) });
    expect(dtypes.tensor('empty')).toEqual({ shape: [3, 0, 2], dtype: 'F32', data: new Float32Array(0) });
  });

  it('names the tensor and dtype it cannot decode', () => {
    const error = caught(() => dtypes.tensor('i64'));
    expect(error.code).toBe('tensor.dtype');
    expect(error.message).toBe('m.safetensors: tensor "i64" has dtype I64; cnnx reads F32, F16, BF16 and F64');
  });

  it('returns fresh arrays, so callers may modify them', () => {
    dtypes.tensor('f32').data[0] = 99;
    expect(dtypes.tensor('f32').data[0]).toBe(0.5);
  });
});

describe('missing tensors', () => {
  it('suggests a close name', () => {
    const error = caught(() => dtypes.tensor('f23'));
    expect(error.code).toBe('tensor.missing');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('m.safetensors: no tensor "f23" (did you mean "f32"?)');
  });

  it('lists up to five names when nothing is close', () => {
    expect(caught(() => dtypes.tensor('features.0.weight')).message).toBe(
      'm.safetensors: no tensor "features.0.weight"; it holds "f32", "f16", "bf16", "f64", "i64" and 2 more',
    );
  });

  it('lists every name when there are five or fewer', () => {
    const file = parseSafetensors(encodeSafetensors([{ name: 'conv.weight', shape: [1], data: Float32Array.of(1) }], {}), 'x.safetensors');
    expect(caught(() => file.tensor('bias')).message).toBe('x.safetensors: no tensor "bias"; it holds "conv.weight"');
  });

  it('says when the file has no tensors', () => {
    const file = parseSafetensors(rawSafetensors('{}'), 'e.safetensors');
    expect(file.tensorNames()).toEqual([]);
    expect(file.metadata).toEqual({});
    expect(caught(() => file.tensor('w')).message).toBe('e.safetensors: no tensor "w"; the file holds no tensors');
  });
});

describe('parseSafetensors errors', () => {
  const f32x2 = new Uint8Array(Float32Array.of(1, 2).buffer);
  const withLength = (length: bigint, total: number): Uint8Array => {
    const bytes = new Uint8Array(total);
    new DataView(bytes.buffer).setBigUint64(0, length, true);
    return bytes;
  };

  const withByte = (bytes: Uint8Array, at: number, value: number): Uint8Array => {
    bytes[at] = value;
    return bytes;
  };

  it.each<[string, Uint8Array, string]>([
    ['a 5-byte file', new Uint8Array(5), 'the file is only 5 bytes, too short for the 8-byte header length'],
    ['a huge header length', withLength(100_000_001n, 64), 'header length 100000001 is over the limit of 100000000 bytes'],
    ['a 2^64 - 1 header length', withLength(2n ** 64n - 1n, 64), 'header length 18446744073709551615 is over the limit of 100000000 bytes'],
    ['a header past the end', withLength(1000n, 100), 'header length 1000 runs past the end of the 100-byte file'],
    ['a non-UTF-8 header', withByte(rawSafetensors('{"x": {}}'), 10, 0xff), 'header is not valid UTF-8'],
    ['a non-JSON header', rawSafetensors('{"w": '), 'header is not valid JSON'],
    ['an array header', rawSafetensors('[]'), 'header is [], not a JSON object'],
    ['a string __metadata__', rawSafetensors('{"__metadata__": "pt"}'), '__metadata__ is "pt", not an object'],
    ['a number in __metadata__', rawSafetensors('{"__metadata__": {"epoch": 3}}'), '__metadata__.epoch is 3, not a string'],
    ['a tensor that is not an object', rawSafetensors('{"w": 3}'), 'tensor "w" is 3, not an object'],
    ['a missing dtype', rawSafetensors('{"w": {"shape": [], "data_offsets": [0, 4]}}'), 'tensor "w": dtype is nothing, not a string'],
    ['an unknown dtype', rawSafetensors(`{"w": ${entry('Q9', [1], [0, 4])}}`), 'tensor "w": unknown dtype "Q9"'],
    ['a negative dimension', rawSafetensors(`{"w": ${entry('F32', [2, -1], [0, 8])}}`), 'tensor "w": shape is [2,-1], not a list of non-negative integers'],
    ['a fractional dimension', rawSafetensors(`{"w": ${entry('F32', [1.5], [0, 8])}}`), 'tensor "w": shape is [1.5], not a list of non-negative integers'],
    ['reversed offsets', rawSafetensors(`{"w": ${entry('F32', [1], [8, 4])}}`), 'tensor "w": data_offsets is [8,4], not [begin, end] with begin <= end'],
    ['three offsets', rawSafetensors(`{"w": ${entry('F32', [1], [0, 4, 8])}}`), 'tensor "w": data_offsets is [0,4,8], not [begin, end] with begin <= end'],
    ['a size mismatch', rawSafetensors(`{"w": ${entry('F32', [2, 3], [0, 20])}}`), 'tensor "w": data_offsets [0, 20] hold 20 bytes but shape [2, 3] of F32 needs 24'],
    ['a gap', rawSafetensors(`{"a": ${entry('F32', [1], [0, 4])}, "b": ${entry('F32', [1], [8, 12])}}`, new Uint8Array(12)), 'tensor "b" starts at buffer byte 8 but the data before it ends at 4 (a gap)'],
    ['an overlap', rawSafetensors(`{"a": ${entry('F32', [2], [0, 8])}, "b": ${entry('F32', [2], [4, 12])}}`, new Uint8Array(12)), 'tensor "b" starts at buffer byte 4 but the data before it ends at 8 (an overlap)'],
    ['a first tensor not at 0', rawSafetensors(`{"w": ${entry('F32', [1], [4, 8])}}`, new Uint8Array(8)), 'tensor "w" starts at buffer byte 4 but the data before it ends at 0 (a gap)'],
    ['trailing bytes', rawSafetensors(`{"w": ${entry('F32', [2], [0, 8])}}`, new Uint8Array(12)), 'the tensors cover 8 bytes but the buffer is 12 bytes (trailing bytes)'],
    ['a short buffer', rawSafetensors(`{"w": ${entry('F32', [2], [0, 8])}}`, f32x2.subarray(0, 6)), 'the tensors cover 8 bytes but the buffer is 6 bytes (the file is truncated)'],
    ['a truncated fixture', dtypesBytes().subarray(0, dtypesBytes().length - 4), 'the tensors cover 118 bytes but the buffer is 114 bytes (the file is truncated)'],
  ])('rejects %s', (_, bytes, reason) => {
    expect(corrupt(bytes)).toBe(`w.safetensors: not a valid safetensors file: ${reason}`);
  });

  it('checks the size of dtypes it cannot decode, including sub-byte ones', () => {
    const ok = rawSafetensors(`{"q": ${entry('F4', [3, 2], [0, 3])}, "b": ${entry('BOOL', [2], [3, 5])}}`, new Uint8Array(5));
    expect(parseSafetensors(ok, 'ok').tensorNames()).toEqual(['q', 'b']);
    expect(corrupt(rawSafetensors(`{"q": ${entry('I64', [1], [0, 4])}}`, new Uint8Array(4)))).toBe(
      'w.safetensors: not a valid safetensors file: tensor "q": data_offsets [0, 4] hold 4 bytes but shape [1] of I64 needs 8',
    );
  });

  it('accepts an unpadded header and a space-padded one', () => {
    const header = `{"w": ${entry('F32', [2], [0, 8])}}`;
    for (const text of [header, `${header}      `]) {
      expectExactly(parseSafetensors(rawSafetensors(text, f32x2), 'p').tensor('w').data, [1, 2]);
    }
  });

  it('reads from a subarray at an odd offset', () => {
    const file = dtypesBytes();
    const padded = new Uint8Array(file.length + 1);
    padded.set(file, 1);
    expectExactly(parseSafetensors(padded.subarray(1), 'o').tensor('f32').data, Array.from(dtypes.tensor('f32').data));
  });
});

describe('encodeSafetensors', () => {
  it('writes the exact layout the format specifies', () => {
    const bytes = encodeSafetensors([{ name: 'w', shape: [2], data: Float32Array.of(1, -2) }], { cnnx: '0.1.0' });
    const json = '{"__metadata__":{"cnnx":"0.1.0"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const headerLength = Math.ceil(json.length / 8) * 8;
    expect(new DataView(bytes.buffer).getBigUint64(0, true)).toBe(BigInt(headerLength));
    expect(Buffer.from(bytes.subarray(8, 8 + headerLength)).toString('utf8')).toBe(json.padEnd(headerLength, ' '));
    expect(Array.from(bytes.subarray(8 + headerLength))).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]);
  });

  it('writes the same bytes as the safetensors package', () => {
    const reference = new Uint8Array(readFileSync(join(FIXTURES, 'reference_f32.safetensors')));
    const weight = Float32Array.from({ length: 24 }, (_, i) => i / 4 - 3);
    const bytes = encodeSafetensors(
      [
        { name: 'conv1.bias', shape: [2], data: Float32Array.of(-1, 0.25) },
        { name: 'conv1.weight', shape: [2, 3, 2, 2], data: weight },
      ],
      { cnnx: '0.1.0' },
    );
    expect(Buffer.from(bytes).equals(Buffer.from(reference))).toBe(true);
  });

  it('pads the header to a multiple of 8 for any name length', () => {
    for (let n = 1; n <= 9; n++) {
      const bytes = encodeSafetensors([{ name: 'x'.repeat(n), shape: [], data: Float32Array.of(n) }], {});
      const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect(headerLength % 8).toBe(0);
      expect(bytes.length).toBe(8 + headerLength + 4);
    }
  });

  it('keeps the given order, even for integer-like names', () => {
    const tensors = ['b', '0', 'a', '10'].map((name, i) => ({ name, shape: [1], data: Float32Array.of(i) }));
    const file = parseSafetensors(encodeSafetensors(tensors, {}), 'r');
    expect(file.tensorNames()).toEqual(['b', '0', 'a', '10']);
    expect(Array.from(file.tensor('10').data)).toEqual([3]);
  });

  it('keeps the given order for zero-size tensors, which share an offset', () => {
    const tensors = ['z', '7', '!', '0'].map((name) => ({ name, shape: [0], data: new Float32Array(0) }));
    expect(parseSafetensors(encodeSafetensors(tensors, {}), 'r').tensorNames()).toEqual(['z', '7', '!', '0']);
  });

  it('round-trips (1, 1, 1), (3, 0, 2), 0-d tensors, unicode names and metadata', () => {
    const tensors = [
      { name: 'one', shape: [1, 1, 1], data: Float32Array.of(-0.5) },
      { name: 'empty', shape: [3, 0, 2], data: new Float32Array(0) },
      { name: 'scalar', shape: [], data: Float32Array.of(3) },
      { name: 'größe', shape: [2, 2], data: Float32Array.of(1, 2, 3, NaN) },
    ];
    const file = parseSafetensors(encodeSafetensors(tensors, { note: 'ünïcode "quoted"' }), 'r');
    expect(file.metadata).toEqual({ note: 'ünïcode "quoted"' });
    expect(file.tensorNames()).toEqual(['one', 'empty', 'scalar', 'größe']);
    for (const { name, shape, data } of tensors) {
      expect(file.tensor(name).shape).toEqual(shape);
      expectExactly(file.tensor(name).data, Array.from(data));
    }
  });

  it('round-trips random tensors bit for bit', () => {
    const tensor = fc.record({
      shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
      seed: fc.integer(),
    });
    const names = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }).filter((s) => s !== '__metadata__'), { maxLength: 4 });
    fc.assert(
      fc.property(names, fc.array(tensor, { minLength: 4, maxLength: 4 }), fc.dictionary(fc.string(), fc.string()), (chosen, specs, metadata) => {
        const tensors = chosen.map((name, i) => {
          const { shape, seed } = specs[i];
          const count = shape.reduce((a, b) => a * b, 1);
          const words = Uint32Array.from({ length: count }, (_, k) => Math.imul(seed ^ k, 0x9e3779b1) >>> 0);
          return { name, shape, data: new Float32Array(words.buffer) };
        });
        const file = parseSafetensors(encodeSafetensors(tensors, metadata), 'r');
        expect(file.tensorNames()).toEqual(chosen);
        expect(file.metadata).toEqual({ ...metadata });
        for (const { name, shape, data } of tensors) {
          const read = file.tensor(name);
          expect(read.shape).toEqual(shape);
          expect(new Uint32Array(read.data.buffer)).toEqual(new Uint32Array(data.buffer));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('rejects repeated or reserved names and wrong sizes (usage.argument)', () => {
    const one = Float32Array.of(1);
    const argument = (message: string) => expect.objectContaining({ name: 'CnnxError', code: 'usage.argument', message });
    expect(() => encodeSafetensors([{ name: 'a', shape: [1], data: one }, { name: 'a', shape: [1], data: one }], {})).toThrow(
      argument('encodeSafetensors: tensors[1].name: "a" is the name of an earlier tensor'),
    );
    expect(() => encodeSafetensors([{ name: '__metadata__', shape: [1], data: one }], {})).toThrow(argument('encodeSafetensors: tensors[0].name: "__metadata__" is reserved for the metadata'));
    expect(() => encodeSafetensors([{ name: 'w', shape: [2, 2], data: one }], {})).toThrow(argument('encodeSafetensors: tensors[0].data has 1 element, the shape [2, 2] needs 4'));
  });
});

describe('readSafetensorsFile', () => {
  it('reads a file', async () => {
    const file = await readSafetensorsFile(DTYPES_PATH, 'model.safetensors');
    expect(file.tensorNames()).toHaveLength(7);
    expect(caught(() => file.tensor('nope')).message).toMatch(/^model\.safetensors: no tensor "nope"/);
  });

  it('reports a missing file by its display name', async () => {
    const error = await readSafetensorsFile(join(FIXTURES, 'absent.safetensors'), 'weights.safetensors').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CnnxError);
    expect((error as CnnxError).code).toBe('file.missing');
    expect((error as CnnxError).message).toBe('weights.safetensors: no such file');
  });
});
