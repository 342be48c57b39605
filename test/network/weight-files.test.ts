// Weight files a spec names: errors give the spec, the JSON path, the path as written and where it resolved to.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { encodeSafetensors } from '../../src/io/safetensors.js';
import { loadNetwork } from '../../src/network/load.js';
import { errorOf, FIXTURES, tempDir } from '../helpers.js';

function specIn(dir: string, layers: unknown[]): string {
  const file = path.join(dir, 'net.json');
  writeFileSync(file, JSON.stringify({ input: { channels: 3 }, layers }));
  return file;
}

const conv = (name: string | undefined, weight: unknown) => ({ type: 'conv2d', ...(name ? { name } : {}), out_channels: 2, kernel_size: 1, weight });

async function expectSpecError(file: string, code: string, message: string): Promise<void> {
  const error = await errorOf(() => loadNetwork(file));
  expect(error).toMatchObject({ code, exitCode: EXIT.usage });
  expect((error as Error).message).toBe(message);
}

describe('weight files', () => {
  test('a missing .npy', async () => {
    const dir = tempDir();
    const file = specIn(dir, [conv('conv1', { npy: 'weights/conv1.weight.npy' })]);
    await expectSpecError(file, 'file.missing', `${file}: layers[0] (conv2d "conv1").weight: weights/conv1.weight.npy (resolved to ${dir}/weights/conv1.weight.npy): no such file`);
  });

  test('an absolute path is shown once', async () => {
    const dir = tempDir();
    const file = specIn(dir, [conv(undefined, { npy: '/nowhere/w.npy' })]);
    await expectSpecError(file, 'file.missing', `${file}: layers[0] (conv2d).weight: /nowhere/w.npy: no such file`);
  });

  test('a missing safetensors file, and a missing tensor in each layer that names one', async () => {
    const dir = tempDir();
    const missing = specIn(dir, [conv('c', { safetensors: 'model.safetensors', tensor: 'w' })]);
    await expectSpecError(missing, 'file.missing', `${missing}: layers[0] (conv2d "c").weight: model.safetensors (resolved to ${dir}/model.safetensors): no such file`);
    writeFileSync(path.join(dir, 'model.safetensors'), encodeSafetensors([{ name: 'features.0.weight', shape: [2, 3, 1, 1], data: new Float32Array(6) }]));
    // The file is read once for both layers; the error names the layer that asks for the missing tensor.
    const second = specIn(dir, [conv('a', { safetensors: 'model.safetensors', tensor: 'features.0.weight' }), conv('b', { safetensors: 'model.safetensors', tensor: 'features.2.weight' })]);
    await expectSpecError(second, 'tensor.missing', `${second}: layers[1] (conv2d "b").weight: model.safetensors (resolved to ${dir}/model.safetensors): no tensor "features.2.weight" (did you mean "features.0.weight"?)`);
  });

  test('a PyTorch checkpoint named as .npy or safetensors', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'weights'));
    const pth = path.join(dir, 'weights', 'conv.pth');
    copyFileSync(path.join(FIXTURES, 'formats', 'conv.pth'), pth);
    const asNpy = specIn(dir, [conv('conv1', { npy: 'weights/conv.pth' })]);
    await expectSpecError(asNpy, 'tensor.format', `${asNpy}: layers[0] (conv2d "conv1").weight: weights/conv.pth (resolved to ${pth}) is a PyTorch checkpoint (zip), not a .npy file; convert it with \`cnnx import ${pth} --arch NAME -o net.json\``);
    const asSafetensors = specIn(dir, [conv('conv1', { safetensors: 'weights/conv.pth', tensor: 'weight' })]);
    await expectSpecError(asSafetensors, 'tensor.format', `${asSafetensors}: layers[0] (conv2d "conv1").weight: weights/conv.pth (resolved to ${pth}) is a PyTorch checkpoint (zip), not a safetensors file; convert it with \`cnnx import ${pth} --arch NAME -o net.json\``);
  });
});
