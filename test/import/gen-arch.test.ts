// The check on gen_arch.py's full-size models, run only when CNNX_GEN_ARCH names its output folder (it lives outside the repository).
import { describe, it } from 'vitest';
import { importAndCompare, outsideCases } from './helpers.js';

const root = process.env.CNNX_GEN_ARCH;
const cases = outsideCases<{ arch: string; backbone_layer: string; tap: string }>(root);

describe.skipIf(!root)('gen_arch.py models: cnnx import of each form, then cnnx apply --engine reference, as a user runs them', () => {
  describe.each(cases)('$name', ({ dir, meta }) => {
    it.each(['model.pth', 'model.safetensors', 'model.onnx'])('%s', async (form) => {
      const pairs = [[meta.backbone_layer, 'expected.npy'], [meta.tap, `tap_${meta.tap}.npy`]] as const;
      await importAndCompare(dir, form, form.endsWith('.onnx') ? [] : ['--arch', meta.arch], pairs, 'reference');
    }, 600_000);
  });
});
