// Outputs named as promised: -o with an extension cnnx does not write, named files mirrored below their common folder, one format rule whatever the number of inputs.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { encodeNpy } from '../../src/io/npy.js';
import { runCli, tempDir } from '../helpers.js';
import { expectedNpy, listTree, PHOTOS, SEED } from '../batch/batch-helpers.js';

const CAT = path.join(PHOTOS, 'cat.png');
const ROCKET = path.join(PHOTOS, '2024', 'rocket.jpg');

describe('-o with an extension cnnx does not write', () => {
  test.each(['out.jpg', 'feat.npz', 'x.tiff'])('-o %s is a usage error listing the formats, and writes nothing', async (name) => {
    const dir = tempDir();
    const out = path.join(dir, name);
    const r = await runCli(['apply', SEED, CAT, '-o', out, '--engine', 'reference']);
    expect(r.code).toBe(2);
    const ext = path.extname(name);
    expect(r.stderr).toBe(`cnnx: -o ${out}: cnnx does not write ${ext} files; it writes .npy, .png, .safetensors files, or a folder (end the path with / for a folder: -o ${out}/)\n`);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('with a trailing slash it is a folder; a name without an extension is a folder too', async () => {
    const dir = tempDir();
    const slash = await runCli(['apply', SEED, CAT, '-o', `${path.join(dir, 'out.jpg')}/`, '--engine', 'reference']);
    expect(slash.code, slash.stderr).toBe(0);
    expect(listTree(path.join(dir, 'out.jpg'))).toEqual(['cat.npy']);
    const bare = await runCli(['apply', SEED, CAT, '-o', path.join(dir, 'feats'), '--engine', 'reference']);
    expect(bare.code, bare.stderr).toBe(0);
    expect(listTree(path.join(dir, 'feats'))).toEqual(['cat.npy']);
  });
});

describe('named files mirror their folders below the deepest one they share', () => {
  test('in/a.png in/sub/b.jpg -o r/ writes r/a.npy and r/sub/b.npy; two p.png in different folders no longer collide', async () => {
    const dir = tempDir();
    const files = [path.join(dir, 'in', 'a.png'), path.join(dir, 'in', 'sub', 'b.jpg'), path.join(dir, 'in', 'x', 'p.png'), path.join(dir, 'in', 'y', 'p.png')];
    for (const [i, f] of files.entries()) {
      mkdirSync(path.dirname(f), { recursive: true });
      writeFileSync(f, readFileSync(i === 1 ? ROCKET : CAT));
    }
    const out = path.join(dir, 'r');
    const r = await runCli(['apply', SEED, ...files, '-o', `${out}/`, '--engine', 'reference', '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(listTree(out)).toEqual(['a.npy', 'sub/b.npy', 'x/p.npy', 'y/p.npy']);
    expect(readFileSync(path.join(out, 'sub', 'b.npy')).equals(await expectedNpy(ROCKET))).toBe(true);
    expect(readFileSync(path.join(out, 'y', 'p.npy')).equals(await expectedNpy(CAT))).toBe(true);
  });

  test('one named file keeps its base name; --keep-ext keeps its extension too', async () => {
    const dir = tempDir();
    expect((await runCli(['apply', SEED, ROCKET, '-o', `${dir}/`, '--engine', 'reference'])).code).toBe(0);
    expect((await runCli(['apply', SEED, ROCKET, '-o', `${dir}/`, '--engine', 'reference', '--keep-ext', '--layer', 'conv1,pool2'])).code).toBe(0);
    expect(listTree(dir)).toEqual(['rocket.jpg.conv1.npy', 'rocket.jpg.pool2.npy', 'rocket.npy']);
  });
});

describe('the format does not change with the number of inputs', () => {
  test('one image or two, --layer all to a folder gives .npy files; --format png pictures; --format report is one index.html', async () => {
    const dir = tempDir();
    const layers = ['conv1', 'relu1', 'pool1', 'conv2', 'relu2', 'pool2'];
    const one = await runCli(['apply', SEED, CAT, '--layer', 'all', '-o', `${dir}/one/`, '--engine', 'reference']);
    expect(one.code, one.stderr).toBe(0);
    expect(listTree(`${dir}/one`)).toEqual(layers.map((l) => `cat.${l}.npy`).sort());
    const two = await runCli(['apply', SEED, CAT, ROCKET, '--layer', 'all', '-o', `${dir}/two/`, '--engine', 'reference']);
    expect(two.code, two.stderr).toBe(0);
    // cat.png and 2024/rocket.jpg mirror below the photos folder they share.
    expect(listTree(`${dir}/two`)).toEqual([...layers.map((l) => `cat.${l}.npy`), ...layers.map((l) => `2024/rocket.${l}.npy`)].sort());
    const png = await runCli(['apply', SEED, CAT, '--layer', 'conv1,pool2', '--format', 'png', '-o', `${dir}/png/`, '--engine', 'reference']);
    expect(png.code, png.stderr).toBe(0);
    expect(listTree(`${dir}/png`)).toEqual(['cat.conv1.png', 'cat.pool2.png']);
    const report = await runCli(['apply', SEED, CAT, '--layer', 'conv1,pool2', '--format', 'report', '-o', `${dir}/report/`, '--engine', 'reference']);
    expect(report.code, report.stderr).toBe(0);
    expect(listTree(`${dir}/report`)).toEqual(['index.html']);
  });

  test('--format report shows one input: several are a usage error suggesting --format png', async () => {
    const dir = tempDir();
    const r = await runCli(['apply', SEED, CAT, ROCKET, '--format', 'report', '-o', `${dir}/report/`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('cnnx: --format report shows one input (an index.html of its maps), but there are 2 inputs; use --format png for pictures of each\n');
    expect(existsSync(`${dir}/report`)).toBe(false);
    const stdout = await runCli(['apply', SEED, CAT, '--format', 'report', '-o', '-']);
    expect(stdout.code).toBe(2);
    expect(stdout.stderr).toMatch(/--format report writes to a folder/);
  });

  test('a report that would hold more values than a report can is refused before the network runs (exit 1, nothing written)', async () => {
    const dir = tempDir();
    // A 1x1 conv to 4096 channels on a 129x128 .npy: 4096 x 128 values over the 2^26 a report holds.
    const spec = path.join(dir, 'wide.json');
    writeFileSync(spec, JSON.stringify({ input: { channels: 1 }, layers: [{ type: 'conv2d', out_channels: 4096, kernel_size: 1, weight: { random: { seed: 1 } } }] }));
    const npy = path.join(dir, 'x.npy');
    writeFileSync(npy, encodeNpy([1, 129, 128], new Float32Array(129 * 128)));
    const r = await runCli(['apply', spec, npy, '--format', 'report', '-o', `${dir}/report/`]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(
      `cnnx: ${npy}: a report of 1 map would hold 67,633,152 values, more than the 67,108,864 values a report holds; the largest is layers[0] (4096x129x128) with 67,633,152 values: pick fewer layers (--layer) or a smaller input (input.resize)`,
    );
    expect(existsSync(`${dir}/report`)).toBe(false);
  });
});
