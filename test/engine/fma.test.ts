// Fused multiply-adds: the relaxed-SIMD build of the module (build/cnnx-fma.wasm), used where the runtime
// validates relaxed SIMD. On Node 20 that takes --experimental-wasm-relaxed-simd, so these tests run the
// CLI in child processes with that flag (or without it where the runtime has relaxed SIMD on by default).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, test } from 'vitest';
import { createFastEngine } from '../../src/engine/fast/index.js';
import { parseNpy } from '../../src/io/npy.js';
import { hasRelaxedSimd } from '../../src/wasm/features.js';
import { compareWithTolerance, FIXTURES, ROOT, runCli, tempDir } from '../helpers.js';

/** Node arguments that turn relaxed SIMD on: none where it is on by default (Node >= 22). */
const FMA_NODE_ARGS = hasRelaxedSimd() ? [] : ['--experimental-wasm-relaxed-simd'];
const PHOTO = path.join(FIXTURES, 'images', 'chelsea.png');

async function apply(net: string, extra: readonly string[], nodeArgs: readonly string[]): Promise<Float32Array> {
  const out = path.join(tempDir(), 'out.npy');
  const result = await runCli(['apply', net, PHOTO, '-o', out, '-q', ...extra], { nodeArgs });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return parseNpy(readFileSync(out), out).data;
}

describe('fused multiply-adds', () => {
  it('are used by default only where the runtime validates relaxed SIMD, and refused where it does not', async () => {
    if (hasRelaxedSimd()) {
      const engine = await createFastEngine({ threads: 1 });
      await engine.close();
    } else {
      await expect(createFastEngine({ threads: 1, fma: true })).rejects.toThrow(/options\.fma: this Node\.js does not validate relaxed SIMD/);
    }
  });

  it.each(['seed-convnet', 'edges'])('%s: bit-identical for 1, 2 and 3 threads; differ from multiply-then-add in the last bits only; --no-fma gives the plain bytes', async (name) => {
    const net = path.join(ROOT, 'examples', `${name}.json`);
    const fused = await Promise.all([1, 2, 3].map((t) => apply(net, ['--threads', String(t)], FMA_NODE_ARGS)));
    expect(Buffer.from(fused[1].buffer).equals(Buffer.from(fused[0].buffer))).toBe(true);
    expect(Buffer.from(fused[2].buffer).equals(Buffer.from(fused[0].buffer))).toBe(true);
    const plain = await apply(net, ['--threads', '2', '--no-fma'], FMA_NODE_ARGS);
    const plainHere = await apply(net, ['--threads', '2', '--no-fma'], []);
    expect(Buffer.from(plain.buffer).equals(Buffer.from(plainHere.buffer))).toBe(true);
    // The fused build really ran: some outputs round differently, none by more than the conformance rule allows.
    expect(Buffer.from(fused[0].buffer).equals(Buffer.from(plain.buffer))).toBe(false);
    const reference = await apply(net, ['--engine', 'reference'], []);
    expect(compareWithTolerance(fused[0], reference, [fused[0].length])).toBeNull();
  });
});

const CASES_DIR = path.join(FIXTURES, 'conformance');
const numeric = readdirSync(CASES_DIR)
  .filter((name) => existsSync(path.join(CASES_DIR, name, 'net.json')))
  .map((name) => ({ name, dir: path.join(CASES_DIR, name) }))
  .map((c) => ({ ...c, meta: JSON.parse(readFileSync(path.join(c.dir, 'meta.json'), 'utf8')) as { args?: string[]; error?: string } }))
  .filter((c) => !c.meta.error)
  .sort((a, b) => a.name.localeCompare(b.name));

describe('CLI, fast engine with fused multiply-adds: the PyTorch conformance cases', () => {
  test.concurrent.each(numeric.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const input = ['input.npy', 'input.png'].map((f) => path.join(c.dir, f)).find(existsSync) as string;
    const out = path.join(tempDir(), 'out.npy');
    const result = await runCli(['apply', path.join(c.dir, 'net.json'), input, '-o', out, ...(c.meta.args ?? [])], { nodeArgs: FMA_NODE_ARGS });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const actual = parseNpy(readFileSync(out), out);
    const expected = parseNpy(readFileSync(path.join(c.dir, 'expected.npy')), c.dir);
    expect(actual.shape).toEqual(expected.shape);
    expect(compareWithTolerance(actual.data, expected.data, expected.shape)).toBeNull();
  });
});
