// `--layer input`: the resized, normalised tensor the first layer sees, through apply (npy, png, safetensors), verify and the library.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { createEngine } from '../../src/engine/create.js';
import { readInput } from '../../src/io/image.js';
import { parseNpy } from '../../src/io/npy.js';
import { parseSafetensors } from '../../src/io/safetensors.js';
import { parseNetwork } from '../../src/network/load.js';
import { runNetwork, selectLayers } from '../../src/network/run.js';
import { INPUT } from '../../src/network/types.js';
import { FIXTURES, runCli, tempDir } from '../helpers.js';

// The classic ImageNet preprocessing at a small scale, against torchvision's tensor for it (fixtures/resize).
const PHOTO = path.join(FIXTURES, 'images', 'chelsea.png');
const EXPECTED = path.join(FIXTURES, 'resize', 'expected', 'chelsea-64-crop56.npy');
const SPEC = {
  name: 'li',
  input: { channels: 3, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: { shorter_side: 64, center_crop: 56 } },
  layers: [
    { type: 'conv2d', name: 'conv1', out_channels: 2, kernel_size: 3, weight: { random: { seed: 1 } } },
    { type: 'relu', name: 'relu1' },
  ],
};

const dir = tempDir();
const net = path.join(dir, 'net.json');
writeFileSync(net, JSON.stringify(SPEC));
const expected = parseNpy(readFileSync(EXPECTED), EXPECTED);

describe('selecting the input', () => {
  test('"input" is the INPUT node, in the order asked; a typo suggests it', async () => {
    const parsed = await parseNetwork(SPEC, { file: 'net.json', dir, hash: '0' });
    expect(selectLayers(parsed, ['input'])).toEqual([{ label: 'input', node: INPUT }]);
    expect(selectLayers(parsed, ['relu1', 'input', 'conv1']).map((s) => s.node)).toEqual([1, INPUT, 0]);
    expect(() => selectLayers(parsed, ['inptu'])).toThrow('net.json has no layer named "inptu" (did you mean "input"?); names: conv1, relu1');
  });

  test('runNetwork returns the input tensor itself beside the layers', async () => {
    const parsed = await parseNetwork(SPEC, { file: 'net.json', dir, hash: '0' });
    const input = await readInput(PHOTO, 'chelsea.png', parsed.input);
    const engine = await createEngine({ kind: 'reference' });
    try {
      const [first, relu] = await runNetwork(engine, parsed, input, selectLayers(parsed, ['input', 'relu1']), 'chelsea.png');
      expect([first.label, first.layer, first.tensor]).toEqual(['input', null, input]);
      expect([relu.label, relu.layer?.index, relu.tensor.channels]).toEqual(['relu1', 1, 2]);
    } finally {
      await engine.close();
    }
  });
});

describe('cnnx apply and verify with --layer input', () => {
  test('-o x.npy is torchvision\'s Resize + CenterCrop + ToTensor + Normalize, exactly', async () => {
    const out = path.join(dir, 'input.npy');
    const r = await runCli(['apply', net, PHOTO, '--layer', 'input', '-o', out]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const got = parseNpy(readFileSync(out), out);
    expect(got.shape).toEqual([3, 56, 56]);
    expect(Array.from(got.data)).toEqual(Array.from(expected.data));
  });

  test('safetensors holds the input beside the layers; png draws it', async () => {
    const st = path.join(dir, 'both.safetensors');
    const png = path.join(dir, 'input.png');
    expect((await runCli(['apply', net, PHOTO, '--layer', 'input,relu1', '-o', st])).code).toBe(0);
    expect((await runCli(['apply', net, PHOTO, '--layer', 'input', '-o', png])).code).toBe(0);
    const file = parseSafetensors(readFileSync(st), st);
    expect(file.tensorNames().map((name) => [name, file.tensor(name).shape])).toEqual([['input', [3, 56, 56]], ['relu1', [2, 54, 54]]]);
    expect(Array.from(file.tensor('input').data)).toEqual(Array.from(expected.data));
    expect(JSON.parse(file.metadata.layers)[0]).toEqual({ name: 'input', index: INPUT, type: 'input', shape: [3, 56, 56] });
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
  });

  test('verify --layer input passes against torchvision\'s tensor', async () => {
    const r = await runCli(['verify', net, PHOTO, '--layer', 'input', '--against', EXPECTED]);
    expect(r.code).toBe(0);
    const lines = r.stdout.toString().split('\n');
    expect(lines[0]).toBe(`verify: input tensor 3x56x56 on ${PHOTO} against ${EXPECTED}`);
    expect(lines).toContain('over tolerance: 0 of 9408 elements');
  });

  test('the tensor --layer input writes, applied as a .npy, gives the photo\'s outputs byte for byte', async () => {
    const x = path.join(dir, 'x.npy');
    const fromPhoto = path.join(dir, 'from-photo.npy');
    const fromNpy = path.join(dir, 'from-npy.npy');
    expect((await runCli(['apply', net, PHOTO, '--layer', 'input', '-o', x])).code).toBe(0);
    expect((await runCli(['apply', net, PHOTO, '-o', fromPhoto])).code).toBe(0);
    // The .npy is neither resized (56x56 stays, below the spec's shorter_side 64) nor normalised again.
    expect((await runCli(['apply', net, x, '-o', fromNpy])).code).toBe(0);
    expect(parseNpy(readFileSync(fromNpy), fromNpy).shape).toEqual([2, 54, 54]);
    expect(readFileSync(fromNpy).equals(readFileSync(fromPhoto))).toBe(true);
  });

  test('where refuses --layer input (the input is where every receptive field lies)', async () => {
    const r = await runCli(['where', net, '--layer', 'input', '--pixel', '0,0']);
    expect([r.code, r.stderr]).toEqual([2, 'cnnx: where needs a layer, not the input: every input pixel is its own receptive field\n']);
  });
});
