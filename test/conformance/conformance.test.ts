// Every PyTorch-computed case in fixtures/conformance, through the CLI (a spawned process) and through the library API.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { createEngine } from '../../src/engine/create.js';
import { CnnxError } from '../../src/errors.js';
import { readInput } from '../../src/io/image.js';
import { parseNpy } from '../../src/io/npy.js';
import { runNetwork, selectLayers } from '../../src/network/run.js';
import { loadNetwork } from '../../src/network/load.js';
import { compareWithTolerance, FIXTURES, runCli, tempDir } from '../helpers.js';

/** The cases of one folder: fixtures/conformance (single layers and stacks) or fixtures/branches (add, concat, groups). */
function casesIn(folder: string) {
  const root = path.join(FIXTURES, folder);
  return readdirSync(root)
    .filter((name) => existsSync(path.join(root, name, 'net.json')))
    .sort()
    .map((name) => {
      const dir = path.join(root, name);
      const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { args?: string[]; error?: string };
      const input = ['input.npy', 'input.png'].map((f) => path.join(dir, f)).find(existsSync) as string;
      return { name: `${folder}/${name}`, dir, meta, input, net: path.join(dir, 'net.json'), expected: path.join(dir, 'expected.npy'), branching: folder === 'branches' };
    });
}

const cases = [...casesIn('conformance'), ...casesIn('branches')];
const numeric = cases.filter((c) => !c.meta.error);
const errors = cases.filter((c) => c.meta.error);

test('the suite has every case', () => {
  expect(cases.filter((c) => !c.branching).length).toBe(92);
  expect(errors.filter((c) => !c.branching).length).toBe(11);
  expect(cases.filter((c) => c.branching).length).toBe(14);
  expect(errors.filter((c) => c.branching).length).toBe(3);
});

describe.each(['fast', 'reference'] as const)('CLI, %s engine', (engine) => {
  test.concurrent.each(numeric.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const out = path.join(tempDir(), 'out.npy');
    const result = await runCli(['apply', c.net, c.input, '-o', out, '--engine', engine, ...(c.meta.args ?? [])]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const actual = parseNpy(readFileSync(out), out);
    const expected = parseNpy(readFileSync(c.expected), c.expected);
    expect(actual.descr).toBe('<f4');
    expect(actual.shape).toEqual(expected.shape);
    expect(compareWithTolerance(actual.data, expected.data, expected.shape)).toBeNull();
  });
});

describe('CLI error cases', () => {
  test.concurrent.each(errors.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const dir = tempDir();
    const out = path.join(dir, 'out.npy');
    const result = await runCli(['apply', c.net, c.input, '-o', out, ...(c.meta.args ?? [])]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(c.meta.error as string);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^cnnx: /);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('library API, reference engine', () => {
  test.each(numeric.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const net = await loadNetwork(c.net);
    const args = c.meta.args ?? [];
    const layerArg = args.indexOf('--layer');
    const indices = selectLayers(net, layerArg >= 0 ? [args[layerArg + 1]] : []);
    const engine = await createEngine({ kind: 'reference' });
    const input = await readInput(c.input, c.input, net.input);
    const [output] = await runNetwork(engine, net, input, indices, c.input);
    const expected = parseNpy(readFileSync(c.expected), c.expected);
    expect([output.tensor.channels, output.tensor.height, output.tensor.width]).toEqual(expected.shape);
    expect(compareWithTolerance(output.tensor.data, expected.data, expected.shape)).toBeNull();
  });

  test.each(errors.map((c) => [c.name, c] as const))('%s fails with a CnnxError naming the place', async (_name, c) => {
    const attempt = async () => {
      const net = await loadNetwork(c.net);
      const engine = await createEngine({ kind: 'reference' });
      const input = await readInput(c.input, c.input, net.input);
      await runNetwork(engine, net, input, selectLayers(net, []), c.input);
    };
    const error = await attempt().then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(CnnxError);
    expect((error as CnnxError).message).toContain(c.meta.error as string);
  });
});
