// `cnnx import` then both engines, against PyTorch's outputs of the same small models (fixtures/import/generate.py), at the last layer and inside.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers.js';
import { CASES } from './cases.js';
import { canLoadGroups, fixture, importMismatch, npy, runSpec } from './helpers.js';

/** Branching networks (add, concat, sequential groups, relu6...) load once main has the branching-networks change. */
const groups = await canLoadGroups();

describe.each(CASES)('import $dir/$model $args', (c) => {
  it.skipIf(c.branching && !groups)('matches PyTorch with both engines, at the last layer and inside', async () => {
    const out = path.join(tempDir(), 'net.json');
    const result = await runCli(['import', fixture(c.dir, c.model), ...c.args, '--preset', 'none', '-o', out]);
    expect(result.stderr).toMatch(/net.json: \d+ layers/);
    expect(result.code).toBe(0);
    expect(existsSync(path.join(path.dirname(out), 'net.safetensors'))).toBe(true);
    const names = Object.keys(c.compare);
    for (const engine of ['reference', 'fast'] as const) {
      const outputs = await runSpec(out, fixture(c.dir, 'input.npy'), names, engine);
      for (const name of names) {
        const mismatch = importMismatch(outputs.get(name)!, await npy(fixture(c.dir, c.compare[name])));
        expect(mismatch, `${engine} ${name}`).toBeNull();
      }
    }
  });
});

describe('LRN', () => {
  it.skipIf(!groups)('an ONNX LRN node computes torch.nn.LocalResponseNorm', async () => {
    const { onnxModel } = await import('./helpers.js');
    const { readFileSync, writeFileSync } = await import('node:fs');
    const params = JSON.parse(readFileSync(fixture('lrn', 'params.json'), 'utf8')) as { size: number; alpha: number; beta: number; k: number };
    const dir = tempDir();
    const model = path.join(dir, 'lrn.onnx');
    writeFileSync(model, onnxModel({ channels: 7, nodes: [{ op: 'LRN', inputs: ['input'], name: '/lrn/LRN', attrs: { size: params.size, alpha: { float: params.alpha }, beta: { float: params.beta }, bias: { float: params.k } } }] }));
    const out = path.join(dir, 'lrn.json');
    expect((await runCli(['import', model, '-o', out])).code).toBe(0);
    for (const engine of ['reference', 'fast'] as const) {
      const outputs = await runSpec(out, fixture('lrn', 'input.npy'), ['lrn'], engine);
      expect(importMismatch(outputs.get('lrn')!, await npy(fixture('lrn', 'expected.npy')))).toBeNull();
    }
  });
});
