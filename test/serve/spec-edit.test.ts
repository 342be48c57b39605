// The spec edits behind the page's conv controls, and the rule on files a spec from the page may name.
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { CnnxError } from '../../src/errors.js';
import { checkNamedFiles, controlValue, convControls, namedFiles, pathText, setConvField } from '../../src/serve/spec-edit.js';

const nested = {
  input: { channels: 3 },
  layers: [
    { type: 'conv2d', name: 'stem', out_channels: 4, kernel_size: 7, stride: 2, padding: 3, weight: { random: { seed: 1 } } },
    { type: 'sequential', name: 'block', layers: [{ type: 'conv2d', out_channels: 4, kernel_size: [3, 1], padding_mode: 'reflect', weight: { npy: 'w.npy' } }] },
    { type: 'add', branches: [[{ type: 'conv2d', out_channels: 4, kernel_size: 1, kernels: ['sobel-x'] }], []] },
  ],
};

describe('convControls', () => {
  test('every conv2d, nested ones too, with its fields as written or their defaults', () => {
    const convs = convControls(nested);
    expect(convs.map((c) => [pathText(c.path), c.label, c.fixedKernel])).toEqual([
      ['layers[0]', 'stem', false],
      ['layers[1].layers[0]', 'layers[1].layers[0]', true],
      ['layers[2].branches[0][0]', 'layers[2].branches[0][0]', true],
    ]);
    expect(convs[0].values).toEqual({ kernel_size: 7, stride: 2, padding: 3, dilation: 1, padding_mode: 'zeros' });
    expect(convs[1].values).toEqual({ kernel_size: [3, 1], stride: 1, padding: 0, dilation: 1, padding_mode: 'reflect' });
  });
});

describe('controlValue', () => {
  test.each([
    ['kernel_size', '5', 5],
    ['stride', ' 2 , 1 ', [2, 1]],
    ['padding', '1,2,3,4', [1, 2, 3, 4]],
    ['padding', 'same', 'same'],
    ['padding_mode', 'circular', 'circular'],
  ] as const)('%s %j -> %j', (field, text, value) => {
    expect(controlValue(field, text)).toEqual(value);
  });

  test.each([
    ['kernel_size', '1,2,3,4', 'kernel_size: expected N or H,W, got "1,2,3,4"'],
    ['dilation', 'same', 'dilation: expected N or H,W, got "same"'],
    ['padding', '-1', 'padding: expected N, H,W, T,B,L,R, same or valid, got "-1"'],
    ['padding_mode', 'mirror', 'padding_mode: expected one of zeros, reflect, replicate, circular, symmetric, got "mirror"'],
  ] as const)('%s %j is refused', (field, text, message) => {
    expect(() => controlValue(field, text)).toThrow(message);
  });
});

test('setConvField changes a copy at the path, and only a conv2d', () => {
  const edited = setConvField(nested, ['layers', 1, 'layers', 0], 'stride', 2) as typeof nested;
  expect((edited.layers[1] as { layers: { stride?: number }[] }).layers[0].stride).toBe(2);
  expect((nested.layers[1] as { layers: { stride?: number }[] }).layers[0].stride).toBeUndefined();
  expect(() => setConvField(nested, ['layers', 1], 'stride', 2)).toThrow('layers[1]: no conv2d layer there');
  expect(() => setConvField(nested, ['layers', 9], 'stride', 2)).toThrow('layers[9]: no conv2d layer there');
});

test('a spec from the page may name only the files the spec file names', () => {
  const dir = '/models';
  const allowed = namedFiles(nested, dir);
  expect([...allowed]).toEqual([path.resolve(dir, 'w.npy')]);
  expect(() => checkNamedFiles(nested, dir, allowed, 'net.json')).not.toThrow();
  // The same file by another spelling is the same file.
  const respelled = structuredClone(nested);
  (respelled.layers[1] as { layers: { weight: unknown }[] }).layers[0].weight = { npy: './sub/../w.npy' };
  expect(() => checkNamedFiles(respelled, dir, allowed, 'net.json')).not.toThrow();
  for (const file of ['/etc/passwd', '../w.npy', 'other.npy']) {
    const other = structuredClone(nested);
    (other.layers[0] as Record<string, unknown>).bias = { safetensors: file, tensor: 'b' };
    let error: unknown;
    try {
      checkNamedFiles(other, dir, allowed, 'net.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CnnxError);
    expect((error as CnnxError).message).toBe(`net.json: layers[0].bias.safetensors: ${file}: a spec edited in the page may only name the files the spec file names; add it to the spec file instead`);
  }
});
