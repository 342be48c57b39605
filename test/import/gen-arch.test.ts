// The check on gen_arch.py's full-size models, run only when CNNX_GEN_ARCH names its output folder (it lives outside the repository).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers.js';
import { importMismatch, npy } from './helpers.js';

const root = process.env.CNNX_GEN_ARCH;
const cases = root ? readdirSync(root).filter((d) => !d.includes('.')).sort() : [];

describe.skipIf(!root)('gen_arch.py models: cnnx import of each form, then cnnx apply --engine reference, as a user runs them', () => {
  describe.each(cases)('%s', (name) => {
    const dir = path.join(root ?? '', name);
    const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { arch: string; backbone_layer: string; tap: string };
    it.each(['model.pth', 'model.safetensors', 'model.onnx'])('%s', async (form) => {
      const net = path.join(tempDir(), 'net.json');
      const imported = await runCli(['import', path.join(dir, form), ...(form.endsWith('.onnx') ? [] : ['--arch', meta.arch]), '-o', net]);
      expect(imported.code, imported.stderr).toBe(0);
      for (const [layer, expected] of [[meta.backbone_layer, 'expected.npy'], [meta.tap, `tap_${meta.tap}.npy`]]) {
        const out = path.join(path.dirname(net), `${layer}.npy`);
        const applied = await runCli(['apply', net, path.join(dir, 'input.npy'), '--layer', layer, '-o', out, '--engine', 'reference', '-q']);
        expect(applied.code, applied.stderr).toBe(0);
        expect(importMismatch(await npy(out), await npy(path.join(dir, expected))), layer).toBeNull();
      }
    }, 600_000);
  });
});
