// Every imported spec of cases.ts, groups included, evaluated by the test-side tree evaluator against PyTorch: the structure and
// weights of branching imports are checked today; end-to-end.test.ts runs them through cnnx's engines once groups load.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { archByName, importCheckpoint } from '../../src/import/arch-import.js';
import { importOnnx } from '../../src/import/onnx-import.js';
import { decodeOnnxModel } from '../../src/import/onnx-model.js';
import { WeightStore } from '../../src/import/spec-tree.js';
import { writeImported } from '../../src/import/write.js';
import { tempDir } from '../helpers.js';
import { CASES, type Case } from './cases.js';
import { fixture, importMismatch, npy } from './helpers.js';
import { evaluateTree } from './tree-oracle.js';

/** The case's spec written by the library (no flattening of groups), as the command would with groups available. */
async function importCase(c: Case): Promise<string> {
  const out = path.join(tempDir(), 'net.json');
  const store = new WeightStore('net.safetensors');
  const option = (flag: string): string | undefined => (c.args.includes(flag) ? c.args[c.args.indexOf(flag) + 1] : undefined);
  const file = fixture(c.dir, c.model);
  const arch = option('--arch');
  const imported = arch
    ? await importCheckpoint(file, c.model, archByName(arch), store)
    : importOnnx(decodeOnnxModel(readFileSync(file), c.model), store, { until: option('--until'), prefix: option('--prefix') });
  await writeImported(out, { name: 'net', input: { channels: imported.channels }, layers: imported.layers }, store, {});
  return out;
}

describe.each(CASES)('tree of $dir/$model $args', (c) => {
  it('evaluates to PyTorch\'s outputs', async () => {
    const spec = await importCase(c);
    const names = Object.keys(c.compare);
    const outputs = await evaluateTree(spec, fixture(c.dir, 'input.npy'), names);
    for (const name of names) {
      expect(outputs.has(name), name).toBe(true);
      expect(importMismatch(outputs.get(name)!, await npy(fixture(c.dir, c.compare[name]))), name).toBeNull();
    }
  });
});
