// Full-size torchvision backbones whose deep maps depend on the image (scripts/torchvision-live.py), run only when
// CNNX_LIVE names the script's output folder (it lives outside the repository): both engines against PyTorch.
import { describe, it } from 'vitest';
import { importAndCompare, outsideCases } from './helpers.js';

const root = process.env.CNNX_LIVE;
const cases = outsideCases<{ arch: string; layer: string; tap: string }>(root);

describe.skipIf(!root)('scripts/torchvision-live.py models: cnnx import, then cnnx apply with each engine', () => {
  describe.each(cases)('$name', ({ dir, meta }) => {
    it.each(['fast', 'reference'] as const)('%s engine: the backbone and the tap within the tolerance', async (engine) => {
      await importAndCompare(dir, 'model.pth', ['--arch', meta.arch], [[meta.layer, 'out.npy'], [meta.tap, 'tap.npy']], engine);
    }, 900_000);
  });
});
