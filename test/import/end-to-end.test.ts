// `cnnx import` then both engines, against PyTorch's outputs of the same small models (fixtures/import/generate.py), at the last layer and inside.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers.js';
import { CASES } from './cases.js';
import { fastRunsBranches, fixture, importMismatch, npy, onnxModel, runSpec } from './helpers.js';

/** The fast engine runs branching networks once its planner walks a graph; the reference engine runs them now. */
const fastBranches = await fastRunsBranches();

describe.each(CASES)('import $dir/$model $args', (c) => {
  let spec = '';
  beforeAll(async () => {
    spec = path.join(tempDir(), 'net.json');
    // The default input block (ImageNet's with --arch) leaves the normalised .npy inputs as they are.
    const result = await runCli(['import', fixture(c.dir, c.model), ...c.args, '-o', spec]);
    expect(result.stderr).toMatch(/net.json: \d+ layers/);
    expect(result.code).toBe(0);
    expect(existsSync(path.join(path.dirname(spec), 'net.safetensors'))).toBe(true);
  });

  const check = async (engine: 'reference' | 'fast'): Promise<void> => {
    const names = Object.keys(c.compare);
    const outputs = await runSpec(spec, fixture(c.dir, 'input.npy'), names, engine);
    for (const name of names) expect(importMismatch(outputs.get(name)!, await npy(fixture(c.dir, c.compare[name]))), name).toBeNull();
  };
  it('reference engine: PyTorch\'s outputs at the last layer and inside', () => check('reference'));
  it.skipIf(c.branching && !fastBranches)('fast engine: the same', () => check('fast'));
});

describe('LRN', () => {
  it('an ONNX LRN node computes torch.nn.LocalResponseNorm, with both engines', async () => {
    const params = JSON.parse(readFileSync(fixture('lrn', 'params.json'), 'utf8')) as { size: number; alpha: number; beta: number; k: number };
    const dir = tempDir();
    const model = path.join(dir, 'lrn.onnx');
    writeFileSync(model, onnxModel({ channels: 7, nodes: [{ op: 'LRN', inputs: ['input'], name: '/lrn/LRN', attrs: { size: params.size, alpha: { float: params.alpha }, beta: { float: params.beta }, bias: { float: params.k } } }] }));
    const out = path.join(dir, 'lrn.json');
    expect((await runCli(['import', model, '-o', out])).code).toBe(0);
    for (const engine of ['reference', 'fast'] as const) {
      const outputs = await runSpec(out, fixture('lrn', 'input.npy'), ['lrn'], engine);
      expect(importMismatch(outputs.get('lrn')!, await npy(fixture('lrn', 'expected.npy'))), engine).toBeNull();
    }
  });
});
