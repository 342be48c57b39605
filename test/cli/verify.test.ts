// `cnnx verify`: passes on a conformance case, fails with exact report lines on a perturbed expectation, and on a shape mismatch.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { encodeNpy, parseNpy } from '../../src/io/npy.js';
import { FIXTURES, runCli, tempDir } from '../helpers.js';

const CASE = path.join(FIXTURES, 'conformance', 'conv_k3');
const NET = path.join(CASE, 'net.json');
const INPUT = path.join(CASE, 'input.npy');
const EXPECTED = path.join(CASE, 'expected.npy');

describe('cnnx verify', () => {
  const dir = tempDir();
  const expected = parseNpy(readFileSync(EXPECTED), EXPECTED);

  test('passes on a conformance case (exit 0)', async () => {
    const r = await runCli(['verify', NET, INPUT, '--against', EXPECTED, '--engine', 'reference']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.toString().split('\n');
    expect(lines[0]).toBe(`verify: layers[0] (conv2d) output 4x10x13 on ${INPUT} against ${EXPECTED}`);
    expect(lines).toContain('tolerance: |cnnx - expected| <= 0.0001 * max(1, 1.9463) + 0.0001 * |expected|');
    expect(lines).toContain('over tolerance: 0 of 520 elements');
    expect(lines.at(-2)).toBe('PASS');
  });

  test('fails on a perturbed expectation with the worst coordinate (exit 1)', async () => {
    const data = expected.data.slice();
    const at = (c: number, y: number, x: number) => (c * 10 + y) * 13 + x;
    data[at(1, 2, 3)] = 5; // far off
    data[at(3, 9, 12)] += 0.001; // over tolerance, smaller
    data[at(0, 0, 0)] += 0.00005; // within tolerance
    const file = path.join(dir, 'perturbed.npy');
    writeFileSync(file, encodeNpy([1, 4, 10, 13], data));
    const r = await runCli(['verify', NET, INPUT, '--against', file, '--engine', 'reference']);
    expect(r.code).toBe(1);
    const cnnx = (i: number) => String(Number(expected.data[i].toPrecision(6)));
    expect(r.stdout.toString().split('\n').slice(1)).toEqual([
      `max abs error: ${(5 - expected.data[at(1, 2, 3)]).toPrecision(6).replace(/0+$/, '')} at (c=1, y=2, x=3): cnnx ${cnnx(at(1, 2, 3))}, expected 5`,
      expect.stringMatching(/^max rel error: \S+ at \(c=1, y=2, x=3\)/),
      expect.stringMatching(/^worst vs tolerance: \S+ x allowed at \(c=1, y=2, x=3\)/),
      'tolerance: |cnnx - expected| <= 0.0001 * max(1, 5) + 0.0001 * |expected|',
      'over tolerance: 2 of 520 elements',
      'FAIL: 2 of 520 elements over tolerance',
      '',
    ]);
    // Looser tolerances let the small one through.
    const loose = await runCli(['verify', NET, INPUT, '--against', file, '--engine', 'reference', '--atol', '1']);
    expect(loose.code).toBe(0);
  });

  test('a shape mismatch is a clear failure (exit 1)', async () => {
    const file = path.join(dir, 'cropped.npy');
    writeFileSync(file, encodeNpy([4, 10, 12], new Float32Array(4 * 10 * 12)));
    const r = await runCli(['verify', NET, INPUT, '--against', file, '--engine', 'reference']);
    expect(r.code).toBe(1);
    expect(r.stdout.toString().split('\n')[1]).toBe(`FAIL: shape mismatch: cnnx gives (4, 10, 13), ${file} is (4, 10, 12)`);
  });

  test('usage: a missing expected file or a bad tolerance is exit 2', async () => {
    const missing = await runCli(['verify', NET, INPUT, '--against', path.join(dir, 'nope.npy')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^cnnx: .*nope\.npy.*\n$/);
    const bad = await runCli(['verify', NET, INPUT, '--against', EXPECTED, '--atol', 'x']);
    expect(bad.code).toBe(2);
    const noAgainst = await runCli(['verify', NET, INPUT]);
    expect(noAgainst.code).toBe(2);
  });
});
