// The check on gen_arch.py's full-size models, run only when CNNX_GEN_ARCH names its output folder (it lives outside the repository).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import { importAndCompare } from './helpers.js';

const root = process.env.CNNX_GEN_ARCH;
const cases = root ? readdirSync(root).filter((d) => !d.includes('.')).sort() : [];

describe.skipIf(!root)('gen_arch.py models: cnnx import of each form, then cnnx apply --engine reference, as a user runs them', () => {
  describe.each(cases)('%s', (name) => {
    const dir = path.join(root ?? '', name);
    const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { arch: string; backbone_layer: string; tap: string };
    it.each(['model.pth', 'model.safetensors', 'model.onnx'])('%s', async (form) => {
      const pairs = [[meta.backbone_layer, 'expected.npy'], [meta.tap, `tap_${meta.tap}.npy`]] as const;
      await importAndCompare(dir, form, form.endsWith('.onnx') ? [] : ['--arch', meta.arch], pairs, 'reference');
    }, 600_000);
  });
});
