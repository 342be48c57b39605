// input.resize against torchvision: Resize (+ CenterCrop) + ToTensor (+ Normalize) tensors made by fixtures/resize/generate.py.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { readInput } from '../../src/io/image.js';
import { parseNpy } from '../../src/io/npy.js';
import { parseInput } from '../../src/network/input.js';
import { ObjectReader } from '../../src/network/reader.js';

const DIR = path.join(import.meta.dirname, '../../fixtures/resize');

interface Case {
  readonly name: string;
  readonly image: string;
  readonly channels: number;
  readonly resize: Record<string, unknown>;
  readonly mean?: number[];
  readonly std?: number[];
  readonly shape: number[];
}

const cases = JSON.parse(readFileSync(path.join(DIR, 'cases.json'), 'utf8')) as Case[];

describe('input.resize equals torchvision on PIL images', () => {
  test.each(cases)('$name', async (c) => {
    const { name: _name, image, shape: _shape, ...input } = c;
    const spec = parseInput(new ObjectReader('cases.json', 'input', input));
    const t = await readInput(path.join(DIR, 'images', image), image, spec);
    const expected = parseNpy(readFileSync(path.join(DIR, 'expected', `${c.name}.npy`)), c.name);
    expect([t.channels, t.height, t.width]).toEqual(expected.shape);
    let worst = 0;
    let differing = 0;
    for (let i = 0; i < expected.data.length; i++) {
      const d = Math.abs(t.data[i] - expected.data[i]);
      if (d > 0) differing++;
      worst = Math.max(worst, d);
    }
    expect({ worst, differing }).toEqual({ worst: 0, differing: 0 });
  });
});
