// Every failure mode of `cnnx apply` through the CLI: one line naming the place, the documented exit code, nothing written.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { encodeSafetensors } from '../../src/io/safetensors.js';
import { FIXTURES, runCli, tempDir } from '../helpers.js';

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
    await expectFailure([file, CAT], path.join(tempDir(), 'x.npy'), 2, 'w.safetensors: no tensor "features.0.weigth" (did you mean "features.0.weight"?)');
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
    for (const d of [a, b]) writeFileSync(path.join(d, 'cat.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
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
