// Full-size torchvision backbones whose deep maps depend on the image (scripts/torchvision-live.py), run only when
// CNNX_LIVE names the script's output folder (it lives outside the repository): both engines against PyTorch.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import { importAndCompare } from './helpers.js';

const root = process.env.CNNX_LIVE;
const cases = root ? readdirSync(root).filter((d) => !d.includes('.')).sort() : [];

describe.skipIf(!root)('scripts/torchvision-live.py models: cnnx import, then cnnx apply with each engine', () => {
  describe.each(cases)('%s', (name) => {
    const dir = path.join(root ?? '', name);
    const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { arch: string; layer: string; tap: string };
    it.each(['fast', 'reference'] as const)('%s engine: the backbone and the tap within the tolerance', async (engine) => {
      await importAndCompare(dir, 'model.pth', ['--arch', meta.arch], [[meta.layer, 'out.npy'], [meta.tap, 'tap.npy']], engine);
    }, 900_000);
  });
});
