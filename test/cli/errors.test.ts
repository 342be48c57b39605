// Every failure mode of `cnnx apply` through the CLI: one line naming the place, the documented exit code, nothing written.
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { encodeSafetensors } from '../../src/io/safetensors.js';
import { FIXTURES, ROOT, runCli, tempDir } from '../helpers.js';

const CAT = path.join(FIXTURES, 'images', 'chelsea.png');

function spec(dir: string, layers: unknown[], extra: Record<string, unknown> = {}): string {
  const file = path.join(dir, 'net.json');
  writeFileSync(file, JSON.stringify({ input: { channels: 3 }, layers, ...extra }));
  return file;
}

/** Runs apply into an empty output folder and checks the one-line error, the exit code and that nothing was written. */
async function expectFailure(args: string[], out: string, code: number, message: string): Promise<void> {
  const result = await runCli(['apply', ...args, '-o', out]);
  expect(result.stderr).toContain(message);
  expect(result.stderr).toMatch(/^cnnx: /);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.code).toBe(code);
  expect(result.stdout.length).toBe(0);
  const outDir = out.endsWith('/') ? out : path.dirname(out);
  expect(readdirSync(outDir)).toEqual([]);
}

describe('spec errors exit 2 before any image is decoded', () => {
  test('JSON syntax', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'net.json');
    writeFileSync(file, '{"input": {"channels": 3}, "layers": [{"type": "relu"},]}');
    const out = tempDir();
    await expectFailure([file, CAT], path.join(out, 'x.npy'), 2, `${file}:1:`);
  });

  test('unknown key with a suggestion', async () => {
    const dir = tempDir();
    await expectFailure([spec(dir, [{ type: 'maxpool2d', kernel_size: 2, strid: 2 }]), CAT], path.join(tempDir(), 'x.npy'), 2, 'layers[0] (maxpool2d).strid: unknown key (did you mean "stride"?)');
  });

  test('a tensor missing from a safetensors file', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'w.safetensors'), encodeSafetensors([{ name: 'features.0.weight', shape: [2, 3, 1, 1], data: new Float32Array(6) }]));
    const file = spec(dir, [{ type: 'conv2d', out_channels: 2, kernel_size: 1, weight: { safetensors: 'w.safetensors', tensor: 'features.0.weigth' } }]);
    await expectFailure([file, CAT], path.join(tempDir(), 'x.npy'), 2, `${file}: layers[0] (conv2d).weight: w.safetensors (resolved to ${dir}/w.safetensors): no tensor "features.0.weigth" (did you mean "features.0.weight"?)`);
  });

  test('an unknown --layer name', async () => {
    const dir = tempDir();
    await expectFailure([spec(dir, [{ type: 'relu', name: 'act' }]), CAT, '--layer', 'atc'], path.join(tempDir(), 'x.npy'), 2, 'has no layer named "atc" (did you mean "act"?)');
  });

  test('two inputs that would write the same output', async () => {
    const dir = tempDir();
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    mkdirSync(a);
    mkdirSync(b);
    for (const d of [a, b]) copyFileSync(path.join(FIXTURES, 'images', 'chelsea.png'), path.join(d, 'cat.png'));
    const out = tempDir();
    // Two folders mirror to the same names (named files would mirror below their common folder instead).
    await expectFailure([spec(dir, [{ type: 'relu' }]), a, b], `${out}/`, 2, 'would both be written to');
  });
});

describe('input errors exit 1', () => {
  test('a truncated JPEG', async () => {
    const dir = tempDir();
    await expectFailure([spec(dir, [{ type: 'relu' }]), path.join(FIXTURES, 'images', 'truncated.jpg')], path.join(tempDir(), 'x.npy'), 1, 'truncated.jpg: truncated image');
  });

  test('a file that is not an image', async () => {
    const dir = tempDir();
    const text = path.join(dir, 'notes.txt');
    writeFileSync(text, 'hello');
    await expectFailure([spec(dir, [{ type: 'relu' }]), text], path.join(tempDir(), 'x.npy'), 1, 'notes.txt: not an image cnnx can read');
  });

  test('a missing input', async () => {
    const dir = tempDir();
    await expectFailure([spec(dir, [{ type: 'relu' }]), path.join(dir, 'nope.png')], path.join(tempDir(), 'x.npy'), 1, 'nope.png: no such file');
  });

  test('an image the network shrinks to nothing', async () => {
    const dir = tempDir();
    const file = spec(dir, [{ type: 'maxpool2d', kernel_size: 512 }]);
    await expectFailure([file, CAT], path.join(tempDir(), 'x.npy'), 1, 'layers[0] (maxpool2d): the 512x512 window does not fit the input 300x451');
  });
});

describe('files in the wrong place say what they are', () => {
  const FORMATS = path.join(FIXTURES, 'formats');

  /** Runs `cnnx ARGS` in `cwd` and checks the whole of stderr (one line), the exit code and an empty stdout. */
  async function expectLine(args: string[], cwd: string, code: number, line: string): Promise<void> {
    const result = await runCli(args, { cwd });
    expect(result.stderr).toBe(`cnnx: ${line}\n`);
    expect(result.code).toBe(code);
    expect(result.stdout.length).toBe(0);
  }

  test('weights named relative to the spec: the spec, the JSON path and the resolved path', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'weights'));
    writeFileSync(path.join(dir, 'net.json'), JSON.stringify({ input: { channels: 3 }, layers: [{ type: 'conv2d', name: 'conv1', out_channels: 2, kernel_size: 1, weight: { npy: 'weights/conv1.weight.npy' } }] }));
    await expectLine(['apply', 'net.json', CAT, '-o', 'x.npy'], dir, 2, `net.json: layers[0] (conv2d "conv1").weight: weights/conv1.weight.npy (resolved to ${dir}/weights/conv1.weight.npy): no such file`);
    copyFileSync(path.join(FORMATS, 'conv.pth'), path.join(dir, 'weights', 'conv1.weight.npy'));
    const pth = path.join(dir, 'weights', 'conv1.weight.npy');
    await expectLine(['apply', 'net.json', CAT, '-o', 'x.npy'], dir, 2, `net.json: layers[0] (conv2d "conv1").weight: weights/conv1.weight.npy (resolved to ${pth}) is a PyTorch checkpoint (zip), not a .npy file; convert it with \`cnnx import ${pth} --arch NAME -o net.json\``);
    expect(readdirSync(dir).sort()).toEqual(['net.json', 'weights']);
  });

  test('an image given as the spec: the spec comes first', async () => {
    const dir = tempDir();
    copyFileSync(CAT, path.join(dir, 'photo.png'));
    copyFileSync(path.join(ROOT, 'examples', 'edges.json'), path.join(dir, 'net.json'));
    await expectLine(['apply', 'photo.png', 'net.json', '-o', 'x.npy'], dir, 2, 'photo.png is a PNG image, not a network spec (JSON); the spec comes first: cnnx apply NET INPUT... -o OUT');
    await expectLine(['verify', 'photo.png', 'net.json', '--against', 'x.npy'], dir, 2, 'photo.png is a PNG image, not a network spec (JSON); the spec comes first: cnnx verify NET INPUT --against EXPECTED.npy');
    await expectLine(['inspect', 'photo.png'], dir, 2, 'photo.png is a PNG image, not a network spec (JSON)');
  });

  test('a checkpoint or an ONNX model given as the spec', async () => {
    const dir = tempDir();
    copyFileSync(path.join(FORMATS, 'conv.onnx'), path.join(dir, 'model.onnx'));
    copyFileSync(path.join(FORMATS, 'conv-legacy.pth'), path.join(dir, 'model.pth'));
    await expectLine(['inspect', 'model.onnx'], dir, 2, 'model.onnx is an ONNX model, not a network spec (JSON); convert it with `cnnx import model.onnx -o net.json`');
    await expectLine(['apply', 'model.pth', CAT, '-o', 'x.npy'], dir, 2, 'model.pth is a Python pickle (a PyTorch checkpoint from before 1.6?), not a network spec (JSON); convert it with `cnnx import model.pth --arch NAME -o net.json`');
  });

  test('a spec or a checkpoint given as an input fails that input (exit 1)', async () => {
    const dir = tempDir();
    copyFileSync(path.join(ROOT, 'examples', 'edges.json'), path.join(dir, 'net.json'));
    copyFileSync(path.join(FORMATS, 'conv.pth'), path.join(dir, 'conv.pth'));
    await expectLine(['apply', 'net.json', 'net.json', '-o', 'x.npy'], dir, 1, 'net.json is a JSON file (a network spec?), not an image or .npy input; a spec comes first, inputs after it');
    await expectLine(['apply', 'net.json', 'conv.pth', '-o', 'x.npy'], dir, 1, 'conv.pth is a PyTorch checkpoint (zip), not an image or .npy input; convert it with `cnnx import conv.pth --arch NAME -o net.json`');
  });
});
