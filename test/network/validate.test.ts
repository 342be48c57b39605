// The spec validator: every error names the file, the JSON path and the problem, with a stable code.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { CnnxError, EXIT } from '../../src/errors.js';
import { loadNetwork, parseJson, parseNetwork } from '../../src/network/load.js';
import { inferShapes } from '../../src/network/shapes.js';
import type { Conv2dLayer, MaxPool2dLayer } from '../../src/network/types.js';
import { tempDir } from '../helpers.js';

const origin = { file: 'net.json', dir: process.cwd(), hash: '0' };
const conv = (extra: Record<string, unknown>) => ({ type: 'conv2d', out_channels: 2, kernel_size: 3, weight: { random: { seed: 0 } }, ...extra });
const spec = (layers: unknown[], input: Record<string, unknown> = { channels: 3 }) => ({ input, layers });

async function errorOf(raw: unknown): Promise<CnnxError> {
  const error = await parseNetwork(raw, origin).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(CnnxError);
  return error as CnnxError;
}

describe('rejected specs', () => {
  const cases: [string, unknown, string, string][] = [
    ['not an object', [1, 2], 'spec.type', 'net.json: expected a JSON object with "input" and "layers", got [1,2]'],
    ['no input', { layers: [{ type: 'relu' }] }, 'spec.missing', 'net.json: input: is required'],
    ['empty layers', spec([]), 'spec.type', 'net.json: layers: expected a non-empty array of layers, got []'],
    ['unknown top-level key', { ...spec([{ type: 'relu' }]), layer: [] }, 'spec.unknown_key', 'net.json: layer: unknown key (did you mean "layers"?)'],
    ['bad channels', spec([{ type: 'relu' }], { channels: 0 }), 'spec.range', 'net.json: input.channels: expected an integer >= 1, got 0'],
    ['mean length', spec([{ type: 'relu' }], { channels: 3, mean: [0.5] }), 'spec.type', 'net.json: input.mean: expected 3 numbers (one per input channel), got [0.5]'],
    // 1e999 in the JSON parses to Infinity: the message shows it, not JSON.stringify's null.
    ['mean not finite', spec([{ type: 'relu' }], { channels: 3, mean: [Infinity, 0, ['x', -Infinity]] }), 'spec.type', 'net.json: input.mean: expected 3 numbers (one per input channel), got [Infinity,0,["x",-Infinity]]'],
    ['normalize_npy not a boolean', spec([{ type: 'relu' }], { channels: 3, normalize_npy: 'yes' }), 'spec.type', 'net.json: input.normalize_npy: expected true or false, got "yes"'],
    ['unknown layer type', spec([{ type: 'relu' }, { type: 'maxpool' }]), 'spec.type', 'net.json: layers[1].type: expected one of conv2d, relu, leaky_relu, relu6, hardtanh, maxpool2d, avgpool2d, adaptive_avgpool2d, adaptive_maxpool2d, batchnorm2d, local_response_norm, gem, normalize, sequential, add, concat, dropout, identity, got "maxpool" (did you mean "maxpool2d"?)'],
    ['typo in key', spec([{ type: 'maxpool2d', kernal_size: 2 }]), 'spec.missing', 'net.json: layers[0] (maxpool2d).kernel_size: is required (is "kernal_size" a typo?)'],
    ['typo in extra key', spec([{ type: 'maxpool2d', kernel_size: 2, strid: 2 }]), 'spec.unknown_key', 'net.json: layers[0] (maxpool2d).strid: unknown key (did you mean "stride"?)'],
    ['pool padding', spec([{ type: 'maxpool2d', kernel_size: 2, padding: 3 }]), 'spec.range', 'net.json: layers[0] (maxpool2d).padding: 3 is more than half of kernel_size 2: expected at most 1'],
    ['negative stride', spec([conv({ stride: -1 })]), 'spec.range', 'net.json: layers[0] (conv2d).stride: expected an integer or [h, w] of integers >= 1, got -1'],
    ['kernel_size not int', spec([conv({ kernel_size: 2.5 })]), 'spec.type', 'net.json: layers[0] (conv2d).kernel_size: expected an integer or [h, w] of integers >= 1, got 2.5'],
    ['groups', spec([conv({ groups: 2 })]), 'spec.shape', 'net.json: layers[0] (conv2d).groups: 2 does not divide in_channels 3'],
    ['in_channels', spec([conv({ in_channels: 4 })]), 'spec.shape', 'net.json: layers[0] (conv2d).in_channels: is 4, but the layer receives 3 channels'],
    ['same with stride', spec([conv({ padding: 'same', stride: 2 })]), 'spec.range', 'net.json: layers[0] (conv2d).padding: "same" needs stride 1 (as in PyTorch), got stride [2, 2]; give explicit [top, bottom, left, right] padding instead'],
    ['bad padding', spec([conv({ padding: 'full' })]), 'spec.type', 'net.json: layers[0] (conv2d).padding: expected an integer >= 0, [h, w], [top, bottom, left, right], "same" or "valid", got "full"'],
    ['padding mode', spec([conv({ padding_mode: 'mirror' })]), 'spec.type', 'net.json: layers[0] (conv2d).padding_mode: expected one of zeros, reflect, replicate, circular, symmetric, got "mirror"'],
    ['weight shape', spec([conv({ weight: [[[[1]]]] })]), 'spec.shape', 'net.json: layers[0] (conv2d).weight: expected shape [2, 3, 3, 3] (out_channels, in_channels/groups, kh, kw), got [1, 1, 1, 1] from the inline array'],
    ['ragged weight', spec([conv({ out_channels: 1, in_channels: 3, kernel_size: 1, weight: [[[[1]], [[2]], [[3, 4]]]] })]), 'spec.shape', 'ragged array'],
    ['weight not a number', spec([conv({ out_channels: 1, kernel_size: 1, weight: [[[['x']], [[1]], [[1]]]] })]), 'spec.type', 'net.json: layers[0] (conv2d).weight: [0][0][0][0]: expected a number, got "x"'],
    ['weight source', spec([conv({ weight: { npz: 'w.npz' } })]), 'spec.unknown_key', 'net.json: layers[0] (conv2d).weight.npz: unknown key'],
    ['missing weight', spec([{ type: 'conv2d', out_channels: 2, kernel_size: 3 }]), 'spec.type', 'net.json: layers[0] (conv2d).weight: expected a nested array'],
    ['duplicate name', spec([{ type: 'relu', name: 'a' }, { type: 'relu', name: 'a' }]), 'spec.name', 'net.json: layers[1] (relu "a").name: "a" is already the name of layers[0]'],
    ['reserved name', spec([{ type: 'relu', name: 'all' }]), 'spec.name', 'net.json: layers[0] (relu "all").name: "all" is reserved; choose another name'],
    ['leaky slope', spec([{ type: 'leaky_relu', negative_slope: 'x' }]), 'spec.type', 'net.json: layers[0] (leaky_relu).negative_slope: expected a number, got "x"'],
    ['adaptive size', spec([{ type: 'adaptive_avgpool2d', output_size: 0 }]), 'spec.type', 'net.json: layers[0] (adaptive_avgpool2d).output_size: expected an integer >= 1 or [h, w] of integers >= 1 (null keeps the input size), got 0'],
    ['batchnorm stats', spec([{ type: 'batchnorm2d', running_mean: [0, 0, 0] }]), 'spec.missing', 'net.json: layers[0] (batchnorm2d).running_var: is required'],
    ['avg divisor', spec([{ type: 'avgpool2d', kernel_size: 2, divisor_override: 0 }]), 'spec.range', 'net.json: layers[0] (avgpool2d).divisor_override: expected an integer >= 1, got 0'],
    ['kernels with weight', spec([{ type: 'conv2d', kernels: ['sobel-x'], weight: [1] }]), 'spec.conflict', 'net.json: layers[0] (conv2d).weight: cannot be given with "kernels" (a filter bank sets it)'],
    ['unknown filter', spec([{ type: 'conv2d', kernels: ['sobel-q'] }]), 'filter.unknown', 'sobel-q'],
  ];
  test.each(cases)('%s', async (_name, raw, code, message) => {
    const error = await errorOf(raw);
    expect(error.code).toBe(code);
    expect(error.exitCode).toBe(EXIT.usage);
    expect(error.message).toContain(message);
    expect(error.message).not.toContain('\n');
  });
});

describe('accepted specs are fully defaulted', () => {
  test('conv2d defaults and padding forms', async () => {
    const net = await parseNetwork(spec([conv({}), conv({ padding: 'same', kernel_size: 4 }), conv({ padding: [1, 2, 3, 4] }), conv({ padding: [1, 2] })]), origin);
    const [a, b, c, d] = net.layers as Conv2dLayer[];
    expect(a).toMatchObject({ stride: [1, 1], dilation: [1, 1], groups: 1, paddingMode: 'zeros', inChannels: 3, bias: null });
    expect(a.padding).toEqual({ top: 0, bottom: 0, left: 0, right: 0 });
    // PyTorch puts the extra row/column of an even 'same' kernel at the bottom/right.
    expect(b.padding).toEqual({ top: 1, bottom: 2, left: 1, right: 2 });
    expect(c.padding).toEqual({ top: 1, bottom: 2, left: 3, right: 4 });
    expect(d.padding).toEqual({ top: 1, bottom: 1, left: 2, right: 2 });
    expect(b.inChannels).toBe(2);
  });

  test('pool stride defaults to kernel_size', async () => {
    const net = await parseNetwork(spec([{ type: 'maxpool2d', kernel_size: [3, 2] }]), origin);
    const pool = net.layers[0] as MaxPool2dLayer;
    expect(pool.stride).toEqual([3, 2]);
    expect(pool.padding).toEqual([0, 0]);
    expect(pool.ceilMode).toBe(false);
  });

  test('random weights are deterministic and inside PyTorch\'s init bound', async () => {
    const one = await parseNetwork(spec([conv({ weight: { random: { seed: 7 } } })]), origin);
    const two = await parseNetwork(spec([conv({ weight: { random: { seed: 7 } } })]), origin);
    const other = await parseNetwork(spec([conv({ weight: { random: { seed: 8 } } })]), origin);
    const w = (one.layers[0] as Conv2dLayer).weight;
    expect(w).toEqual((two.layers[0] as Conv2dLayer).weight);
    expect(w).not.toEqual((other.layers[0] as Conv2dLayer).weight);
    const bound = 1 / Math.sqrt(3 * 3 * 3);
    expect(Math.max(...w)).toBeLessThanOrEqual(bound);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-bound);
    expect(Math.max(...w) - Math.min(...w)).toBeGreaterThan(bound);
  });
});

describe('shape inference', () => {
  test('an output that vanishes names the input, the spec and the layer', async () => {
    const net = await parseNetwork(spec([{ type: 'maxpool2d', kernel_size: 4 }, { type: 'maxpool2d', kernel_size: 4 }]), origin);
    const error = (() => {
      try {
        inferShapes(net, { channels: 3, height: 8, width: 8 }, 'photo.png');
        return null;
      } catch (e) {
        return e as CnnxError;
      }
    })();
    expect(error?.code).toBe('input.too_small');
    expect(error?.exitCode).toBe(EXIT.inputFailed);
    expect(error?.message).toBe('photo.png: net.json: layers[1] (maxpool2d): the 4x4 window does not fit the input 2x2 (input 3x8x8)');
  });

  test('reflect padding must be smaller than the input', async () => {
    const net = await parseNetwork(spec([conv({ padding: 3, padding_mode: 'reflect' })]), origin);
    expect(() => inferShapes(net, { channels: 3, height: 3, width: 9 }, 'x.npy')).toThrow(
      'x.npy: net.json: layers[0] (conv2d): reflect padding 3 must be smaller than the input size 3 (input 3x3x9)',
    );
  });
});

describe('spec files', () => {
  const dir = tempDir('cnnx-spec-');
  test('JSON syntax errors give line and column', async () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, '{\n  "input": {"channels": 3},\n  "layers": [\n    {"type": "relu",}\n  ]\n}\n');
    const error = await loadNetwork(file).then(() => null, (e: CnnxError) => e);
    expect(error?.code).toBe('spec.syntax');
    expect(error?.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+: invalid JSON: `));
  });

  test('a missing spec file', async () => {
    const error = await loadNetwork(path.join(dir, 'nope.json')).then(() => null, (e: CnnxError) => e);
    expect(error?.message).toBe(`${path.join(dir, 'nope.json')}: no such file`);
  });

  test('a missing weight file names the file', async () => {
    const file = path.join(dir, 'w.json');
    writeFileSync(file, JSON.stringify(spec([conv({ weight: { npy: 'weights/missing.npy' } })])));
    const error = await loadNetwork(file).then(() => null, (e: CnnxError) => e);
    expect(error?.message).toContain('weights/missing.npy');
    expect(error?.exitCode).toBe(EXIT.usage);
  });
});

describe('JSON syntax errors point at the place', () => {
  test.each([
    ['{"a": [1,]}', '1:10', 'trailing comma before ]'],
    ['{"input": {"channels": 3},\n  "layers": [{"type": "relu",}]}', '2:30', 'trailing comma before }'],
    ['{"a": 1 "b": 2}', '1:9', 'expected , or } in an object, got "\\""'],
    ["{'a': 1}", '1:2', 'expected a "key", got "\'"'],
    ['{"a": tru}', '1:7', 'unexpected "t"'],
    ['{"a": [1, 2', '1:12', 'expected , or ] in an array, got end of file'],
    ['{"a": "x\ny"}', '1:9', 'unescaped control character in a string (a line break inside quotes?)'],
    ['{} x', '1:4', 'unexpected "x" after the end of the JSON value'],
  ])('%j', async (text, where, reason) => {
    const error = (() => {
      try {
        parseJson(text, 'net.json');
        return null;
      } catch (e) {
        return e as CnnxError;
      }
    })();
    expect(error?.message).toBe(`net.json:${where}: invalid JSON: ${reason}`);
  });

  test('valid JSON parses', () => {
    expect(parseJson('{"a": [1, -2.5e3, "x\\u00e9", true, null]}', 'net.json')).toEqual({ a: [1, -2500, 'xé', true, null] });
  });

  test('a key given twice in one object is refused where it comes again; the same key in other objects and in strings is fine', () => {
    const text = '{"input": {"channels": 3},\n "layers": [{"type": "conv2d", "padding": 1, "name": "a\\"padding\\"",\n   "padding": 0}]}';
    expect(() => parseJson(text, 'net.json')).toThrow('net.json:3:4: "padding" is given twice in one object (first at 2:32); JSON would keep only this one: give it once');
    const escaped = '{"ab": 1, "a\\u0062": 2}';
    expect(() => parseJson(escaped, 'net.json')).toThrow('net.json:1:11: "ab" is given twice in one object (first at 1:2)');
    const fine = '{"a": {"type": 1}, "b": [{"type": 2}, {"type": 3}], "c": ["type", "type"], "type": {"a": "a"}}';
    expect(parseJson(fine, 'net.json')).toEqual(JSON.parse(fine));
  });

  test('a byte order mark before the JSON is not part of it (as some Windows editors write files)', () => {
    expect(parseJson('\uFEFF{"a": 1}', 'net.json')).toEqual({ a: 1 });
    expect(() => parseJson('{"a": 1}\uFEFF', 'net.json')).toThrow(/net.json:1:9: invalid JSON/);
  });
});
