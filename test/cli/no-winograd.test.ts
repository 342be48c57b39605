// `--no-winograd`: the fast engine's direct convolutions put a NaN input's NaN outputs where the reference engine
// (and PyTorch) does; Winograd, the default, would spread it over the input's tile, and a note says so once per run.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { encodeNpy, parseNpy } from '../../src/io/npy.js';
import { FIXTURES, runCli, tempDir } from '../helpers.js';

const CASE = path.join(FIXTURES, 'conformance', 'conv_k3');
const NET = path.join(CASE, 'net.json');

describe('cnnx apply --no-winograd', () => {
  test('puts NaN outputs exactly where the reference engine does, for apply and verify', async () => {
    const dir = tempDir();
    const input = parseNpy(readFileSync(path.join(CASE, 'input.npy')), 'input.npy');
    const data = input.data.slice();
    data[4 * input.shape[2] + 5] = NaN;
    const file = path.join(dir, 'nan.npy');
    writeFileSync(file, encodeNpy(input.shape, data));
    const outputs: boolean[][] = [];
    for (const args of [['--engine', 'reference'], ['--no-winograd', '--threads', '2']]) {
      const out = path.join(dir, `${args[0]}.npy`);
      const r = await runCli(['apply', NET, file, '-o', out, ...args]);
      // No note: neither engine spreads the NaN.
      expect(r.stderr.toString()).toBe('');
      expect(r.code).toBe(0);
      outputs.push(Array.from(parseNpy(readFileSync(out), out).data, (v) => Number.isNaN(v)));
    }
    expect(outputs[0].filter(Boolean).length).toBe(9 * 4);
    expect(outputs[1]).toEqual(outputs[0]);
    const reference = path.join(dir, '--engine.npy');
    const verify = await runCli(['verify', NET, file, '--against', reference, '--no-winograd']);
    expect(verify.code).toBe(0);
    expect(verify.stdout.toString()).toContain('PASS');
  });

  test('by default, the first .npy input holding NaN or infinity gets a one-line note pointing to --no-winograd', async () => {
    const dir = tempDir();
    const input = parseNpy(readFileSync(path.join(CASE, 'input.npy')), 'input.npy');
    const clean = path.join(dir, 'a.npy');
    writeFileSync(clean, encodeNpy(input.shape, input.data));
    for (const [name, bad] of [['b.npy', NaN], ['c.npy', -Infinity]] as const) {
      const data = input.data.slice();
      data[7] = bad;
      writeFileSync(path.join(dir, name), encodeNpy(input.shape, data));
    }
    const r = await runCli(['apply', NET, clean, path.join(dir, 'b.npy'), path.join(dir, 'c.npy'), '-o', path.join(dir, 'out') + '/', '-q']);
    expect(r.code).toBe(0);
    const lines = r.stderr.toString().split('\n').filter(Boolean);
    expect(lines).toEqual([expect.stringMatching(/^cnnx: note: \S+[bc]\.npy holds NaN or infinite values; .*--no-winograd keeps them/)]);
  });

  test('no note when no conv the selected outputs need runs by Winograd: 1x1 convs, pools, the input alone', async () => {
    const dir = tempDir();
    const spec = path.join(dir, 'net.json');
    const layers = [
      { type: 'conv2d', name: 'mix', out_channels: 4, kernel_size: 1, weight: { random: { seed: 1 } } },
      { type: 'maxpool2d', name: 'pool', kernel_size: 2 },
      // 3x3 from 4 channels to 4: winograd2d_small.
      { type: 'conv2d', name: 'smooth', out_channels: 4, kernel_size: 3, padding: 1, weight: { random: { seed: 2 } } },
    ];
    writeFileSync(spec, JSON.stringify({ input: { channels: 3 }, layers }));
    const data = new Float32Array(3 * 16 * 16);
    data[7] = NaN;
    const file = path.join(dir, 'nan.npy');
    writeFileSync(file, encodeNpy([3, 16, 16], data));
    for (const layer of ['mix', 'pool', 'input']) {
      const r = await runCli(['apply', spec, file, '-o', path.join(dir, `${layer}.npy`), '--layer', layer]);
      expect(r.stderr.toString(), layer).toBe('');
      expect(r.code).toBe(0);
    }
    const r = await runCli(['apply', spec, file, '-o', path.join(dir, 'smooth.npy'), '--layer', 'smooth']);
    expect(r.stderr.toString()).toBe(`cnnx: note: ${file} holds NaN or infinite values; Winograd convolutions turn each one's whole tile NaN (4x4 or 6x6 outputs, or 4 along a row), --no-winograd keeps them to the outputs whose window holds them, as PyTorch does\n`);
    expect(r.code).toBe(0);
  });
});
