// Fused multiply-adds: the relaxed-SIMD build of the module (build/cnnx-fma.wasm), the fast engine's default on
// every supported Node.js. Node 20 (V8 11.3) validates relaxed SIMD only under --experimental-wasm-relaxed-simd,
// which the engine turns on while it compiles the module (src/wasm/features.ts): these tests check that a plain `node` gets the
// same bytes as one started with the flag, and that --no-fma (the multiply-then-add build) still conforms.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { describe, expect, it, test } from 'vitest';
import type { FastEngine } from '../../src/engine/fast/engine.js';
import { createFastEngine } from '../../src/engine/fast/index.js';
import { parseNpy } from '../../src/io/npy.js';
import { compileRelaxed, hasRelaxedSimd, relaxedSimdAvailable } from '../../src/wasm/features.js';
import { WASM_URLS } from '../../src/wasm/loader.js';
import { compareWithTolerance, FIXTURES, ROOT, runCli, tempDir } from '../helpers.js';

/** Node 20's V8, whose relaxed SIMD is behind a flag. */
const FLAGGED = /^11\.3\./.test(process.versions.v8);
const PHOTO = path.join(FIXTURES, 'images', 'chelsea.png');

async function apply(net: string, extra: readonly string[], nodeArgs: readonly string[] = []): Promise<Float32Array> {
  const out = path.join(tempDir(), 'out.npy');
  const result = await runCli(['apply', net, PHOTO, '-o', out, '-q', ...extra], { nodeArgs });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return parseNpy(readFileSync(out), out).data;
}

const same = (a: Float32Array, b: Float32Array): boolean => Buffer.from(a.buffer).equals(Buffer.from(b.buffer));

describe('fused multiply-adds', () => {
  it('are the default, and fma: false picks the multiply-then-add build', async () => {
    const fused = (await createFastEngine({ threads: 1, debug: false })) as FastEngine;
    expect(fused.fma).toBe(true);
    expect(relaxedSimdAvailable()).toBe(true);
    // Node 20: the flag was on while the module compiled and is off again (every flag changes the hash
    // V8 checks its code caches against: with it on, worker threads start tens of ms slower).
    expect(hasRelaxedSimd()).toBe(!FLAGGED);
    await fused.close();
    const plain = (await createFastEngine({ threads: 1, fma: false, debug: false })) as FastEngine;
    expect(plain.fma).toBe(false);
    await plain.close();
  });

  it.runIf(FLAGGED)('a compile whose flag another thread turns off under it is run again, with the flag left on', async () => {
    const bytes = new Uint8Array(readFileSync(WASM_URLS.fma));
    try {
      const compiling = compileRelaxed(bytes);
      // What another thread's compileRelaxed does when its own compile ends: the first compile then fails to validate.
      v8.setFlagsFromString('--no-experimental-wasm-relaxed-simd');
      const module = await compiling;
      expect(WebAssembly.Module.exports(module).map((e) => e.name)).toContain('f32_gemm_ukernel_4x8');
    } finally {
      v8.setFlagsFromString('--no-experimental-wasm-relaxed-simd');
    }
  });

  it.each(['seed-convnet', 'edges'])('%s: bit-identical for 1, 2 and 3 threads and to a node started with the V8 flag; --no-fma differs in the last bits only', async (name) => {
    const net = path.join(ROOT, 'examples', `${name}.json`);
    const fused = await Promise.all([1, 2, 3].map((t) => apply(net, ['--threads', String(t)])));
    expect(same(fused[1], fused[0])).toBe(true);
    expect(same(fused[2], fused[0])).toBe(true);
    if (FLAGGED) expect(same(await apply(net, ['--threads', '2'], ['--experimental-wasm-relaxed-simd']), fused[0])).toBe(true);
    // The fused build really ran: some outputs round differently, none by more than the conformance rule allows.
    const plain = await apply(net, ['--threads', '2', '--no-fma']);
    expect(same(fused[0], plain)).toBe(false);
    const reference = await apply(net, ['--engine', 'reference']);
    expect(compareWithTolerance(fused[0], reference, [fused[0].length])).toBeNull();
    expect(compareWithTolerance(plain, reference, [plain.length])).toBeNull();
  });
});

const CASES_DIR = path.join(FIXTURES, 'conformance');
const numeric = readdirSync(CASES_DIR)
  .filter((name) => existsSync(path.join(CASES_DIR, name, 'net.json')))
  .map((name) => ({ name, dir: path.join(CASES_DIR, name) }))
  .map((c) => ({ ...c, meta: JSON.parse(readFileSync(path.join(c.dir, 'meta.json'), 'utf8')) as { args?: string[]; error?: string } }))
  .filter((c) => !c.meta.error)
  .sort((a, b) => a.name.localeCompare(b.name));

describe('CLI, fast engine multiplying, then adding (--no-fma): the PyTorch conformance cases', () => {
  test.concurrent.each(numeric.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const input = ['input.npy', 'input.png'].map((f) => path.join(c.dir, f)).find(existsSync) as string;
    const out = path.join(tempDir(), 'out.npy');
    const result = await runCli(['apply', path.join(c.dir, 'net.json'), input, '-o', out, '--no-fma', ...(c.meta.args ?? [])]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const actual = parseNpy(readFileSync(out), out);
    const expected = parseNpy(readFileSync(path.join(c.dir, 'expected.npy')), c.dir);
    expect(actual.shape).toEqual(expected.shape);
    expect(compareWithTolerance(actual.data, expected.data, expected.shape)).toBeNull();
  });
});
