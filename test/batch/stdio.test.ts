// Pipelines: stdin in, stdout out (payload only), and --from-list from stdin with spaces and unicode in paths.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers.js';
import { expectedNpy, listTree, PHOTOS, SEED } from './batch-helpers.js';
import { encodeNpy, parseNpy } from '../../src/io/npy.js';

const CAT = path.join(PHOTOS, 'cat.png');

describe('stdin and stdout', () => {
  it('reads an image from stdin and writes only the .npy to stdout', async () => {
    const res = await runCli(['apply', SEED, '-', '-o', '-', '--engine', 'reference'], { input: readFileSync(CAT) });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.equals(await expectedNpy(CAT))).toBe(true);
    expect(res.stderr).toBe('');
  });

  it('reads a (3, H, W) float32 .npy from stdin like an image', async () => {
    // Three channels of a conv1 output make a float input with negative and large values.
    const array = parseNpy(await expectedNpy(CAT, ['conv1']), 'conv1');
    const npy = Buffer.from(encodeNpy([3, 32, 48], array.data.slice(0, 3 * 32 * 48)));
    const res = await runCli(['apply', SEED, '-', '-o', '-', '--engine', 'reference'], { input: npy });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.equals(await expectedNpy(npy))).toBe(true);
  });

  it('writes a PNG to stdout with --format png, and safetensors with every layer', async () => {
    const png = await runCli(['apply', SEED, CAT, '-o', '-', '--format', 'png', '--engine', 'reference']);
    expect(png.code, png.stderr).toBe(0);
    expect([...png.stdout.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    const st = await runCli(['apply', SEED, CAT, '-o', '-', '--format', 'safetensors', '--layer', 'all', '--engine', 'reference']);
    expect(st.code, st.stderr).toBe(0);
    const { parseSafetensors } = await import('../../src/io/safetensors.js');
    expect(parseSafetensors(st.stdout, 'stdout').tensorNames()).toEqual(['conv1', 'relu1', 'pool1', 'conv2', 'relu2', 'pool2']);
  });

  it('refuses -o - for several inputs, and two layers as one .npy (exit 2, nothing on stdout)', async () => {
    const many = await runCli(['apply', SEED, PHOTOS, '-o', '-', '--engine', 'reference']);
    expect(many.code).toBe(2);
    expect(many.stderr).toMatch(/^cnnx: -o - writes one input to stdout/);
    const layers = await runCli(['apply', SEED, CAT, '-o', '-', '--layer', 'conv1,conv2', '--engine', 'reference']);
    expect(layers.code).toBe(2);
    expect(layers.stdout.length + many.stdout.length).toBe(0);
  });
});

describe('--from-list', () => {
  const dir = tempDir('cnnx-batch-list-');
  const names = ['my photos/a cat.png', 'my photos/ünïcødé/猫 の 写真.png', 'my photos/ünïcødé/new\tline?.png'];

  beforeAll(() => {
    for (const name of names) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), readFileSync(CAT));
    }
    writeFileSync(path.join(dir, 'my photos', 'readme.txt'), 'not an image\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads NUL-separated paths from stdin (find -print0) and mirrors them under the output folder', async () => {
    const list = [...names, 'my photos/readme.txt'].map((n) => path.join(dir, n)).join('\0') + '\0';
    const out = path.join(dir, 'out0');
    const res = await runCli(['apply', SEED, '--from-list', '-', '-0', '-o', `${out}/`, '--engine', 'reference'], { input: Buffer.from(list) });
    expect(res.code, res.stderr).toBe(0);
    expect(listTree(out)).toEqual(['a cat.npy', 'ünïcødé/new\tline?.npy', 'ünïcødé/猫 の 写真.npy'].sort());
    const expected = await expectedNpy(CAT);
    for (const f of listTree(out)) expect(readFileSync(path.join(out, f)).equals(expected)).toBe(true);
    expect(res.stderr).toMatch(/^cnnx: 3 processed, 1 skipped, 0 failed/m);
  });

  it('reads one path per line from a file, relative paths included; a missing one fails by name', async () => {
    const listFile = path.join(dir, 'list.txt');
    writeFileSync(listFile, `${names[0]}\r\n${names[1]}\n\nmy photos/missing.png\n`);
    const out = path.join(dir, 'out1');
    const res = await runCli(['apply', SEED, '--from-list', listFile, '-o', `${out}/`, '--engine', 'reference'], { cwd: dir });
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toMatch(/^cnnx: my photos\/missing\.png: no such file$/m);
    expect(listTree(out)).toEqual(['a cat.npy', 'ünïcødé/猫 の 写真.npy']);
  });
});
