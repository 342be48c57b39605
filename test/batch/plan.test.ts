// Planning checks before any work (collisions, output kinds), safetensors metadata, and the small pure helpers.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPathList } from '../../src/batch/list.js';
import { formatDuration, Progress, progressStyle } from '../../src/batch/progress.js';
import { commonFolder, looksLikeInput } from '../../src/batch/walk.js';
import { parseSafetensors } from '../../src/io/safetensors.js';
import { sha256 } from '../../src/network/load.js';
import { runCli, tempDir } from '../helpers.js';
import { expectedNpy, listTree, PHOTOS, SEED } from './batch-helpers.js';

const CAT = path.join(PHOTOS, 'cat.png');

describe('planning', () => {
  const dir = tempDir('cnnx-batch-plan-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('two folders holding the same name are an error before any work (exit 2, nothing written)', async () => {
    for (const sub of ['a', 'b']) {
      mkdirSync(path.join(dir, sub), { recursive: true });
      writeFileSync(path.join(dir, sub, 'x.png'), readFileSync(CAT));
    }
    const out = path.join(dir, 'out');
    const res = await runCli(['apply', SEED, path.join(dir, 'a'), path.join(dir, 'b'), '-o', `${out}/`, '--engine', 'reference']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^cnnx: .*a\/x\.png and .*b\/x\.png would both be written to .*out\/x\.npy; rename one, or pass their common folder instead\n$/);
    expect(existsSync(out)).toBe(false);
  });

  it('layer names holding path separators (imported ONNX names, hostile specs) stay inside the output folder', async () => {
    const spec = path.join(dir, 'names.json');
    writeFileSync(spec, JSON.stringify({ input: { channels: 3 }, layers: [
      { type: 'relu', name: '../../escaped' },
      { type: 'relu', name: '/layer4/layer4.1/Relu' },
    ] }));
    const out = path.join(dir, 'names-out');
    const res = await runCli(['apply', spec, CAT, '--layer', 'all', '--format', 'npy', '-o', `${out}/`, '--engine', 'reference', '-q']);
    expect(res.code, res.stderr).toBe(0);
    expect(listTree(out).sort()).toEqual(['cat..._.._escaped.npy', 'cat._layer4_layer4.1_Relu.npy']);
    expect(existsSync(path.join(dir, 'escaped.npy'))).toBe(false);
  });

  it('a .png and a .jpg of the same name in one folder collide too, and --keep-ext keeps them apart', async () => {
    const photos = path.join(dir, 'same');
    mkdirSync(photos, { recursive: true });
    writeFileSync(path.join(photos, 'x.png'), readFileSync(CAT));
    writeFileSync(path.join(photos, 'x.jpg'), readFileSync(path.join(PHOTOS, '2024', 'rocket.jpg')));
    const res = await runCli(['apply', SEED, photos, '-o', `${dir}/same-out/`, '--engine', 'reference']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/x\.jpg and .*x\.png would both be written to .*x\.npy; use --keep-ext \(a\.jpg -> a\.jpg\.npy\) or rename one/);
    const kept = await runCli(['apply', SEED, photos, '-o', `${dir}/same-out/`, '--engine', 'reference', '--keep-ext', '-q']);
    expect(kept.code, kept.stderr).toBe(0);
    expect(listTree(`${dir}/same-out`)).toEqual(['x.jpg.npy', 'x.png.npy']);
    expect(readFileSync(`${dir}/same-out/x.png.npy`).equals(await expectedNpy(CAT))).toBe(true);
  });

  it('writes every requested layer of an image into one safetensors file with the spec name and hash', async () => {
    const out = path.join(dir, 'st');
    const res = await runCli(['apply', SEED, PHOTOS, '-o', `${out}/`, '--format', 'safetensors', '--layer', 'conv1', '--layer', 'pool2', '--engine', 'reference', '-q']);
    expect(res.code).toBe(1); // the fixture tree's two bad images
    expect(listTree(out)).toContain('cat.safetensors');
    const file = parseSafetensors(readFileSync(path.join(out, 'cat.safetensors')), 'cat.safetensors');
    expect(file.tensorNames()).toEqual(['conv1', 'pool2']);
    const meta = file.metadata;
    expect(meta).toMatchObject({ spec_name: 'seed-convnet', spec_sha256: sha256(readFileSync(SEED)), producer: 'cnnx', cnnx_version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(JSON.parse(meta.layers)).toEqual([
      { name: 'conv1', index: 0, type: 'conv2d', shape: [32, 32, 48] },
      { name: 'pool2', index: 5, type: 'maxpool2d', shape: [64, 8, 12] },
    ]);
    const pool2 = file.tensor('pool2');
    const expected = await expectedNpy(CAT);
    expect(Buffer.from(pool2.data.buffer, pool2.data.byteOffset, pool2.data.byteLength).equals(expected.subarray(expected.length - pool2.data.byteLength))).toBe(true);
  });

  it('-o FILE with a folder of inputs, and --from-list with an input "-" too, are usage errors', async () => {
    const one = await runCli(['apply', SEED, PHOTOS, '-o', path.join(dir, 'one.npy')]);
    expect(one.code).toBe(2);
    expect(one.stderr).toMatch(/is one file but there are \d+ inputs \(from a folder or list\)/);
    const both = await runCli(['apply', SEED, '-', '--from-list', '-', '-o', `${dir}/both/`], { input: Buffer.from('') });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/stdin can be read once/);
  });
});

describe('helpers', () => {
  it('commonFolder finds the deepest shared folder', () => {
    expect(commonFolder(['/a/b/c', '/a/b/d', '/a/b'])).toBe('/a/b');
    expect(commonFolder(['/a/b', '/c'])).toBe('/');
  });

  it('readPathList splits lines (CRLF too) or NULs and drops empty entries', async () => {
    const dir = tempDir('cnnx-batch-list-unit-');
    writeFileSync(path.join(dir, 'l.txt'), 'a b.png\r\nc\n\n');
    writeFileSync(path.join(dir, 'z.txt'), 'a\nb.png\0c\0');
    expect(await readPathList(path.join(dir, 'l.txt'), false)).toEqual(['a b.png', 'c']);
    expect(await readPathList(path.join(dir, 'z.txt'), true)).toEqual(['a\nb.png', 'c']);
    await expect(readPathList(path.join(dir, 'none.txt'), false)).rejects.toThrow(/--from-list .*none\.txt: no such file/);
    rmSync(dir, { recursive: true });
  });

  it('recognises images by content, not name', () => {
    expect(looksLikeInput(readFileSync(CAT).subarray(0, 16))).toBe(true);
    expect(looksLikeInput(Buffer.from('hello world, not an image'))).toBe(false);
    expect(looksLikeInput(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBe(true);
  });

  it('shows progress only on a terminal, without --quiet or CI; a plain line when the terminal reports 0 columns', () => {
    expect(progressStyle(false, {}, true, 80)).toBe('spinner');
    expect(progressStyle(true, {}, true, 80)).toBe('none');
    expect(progressStyle(false, { CI: 'true' }, true, 80)).toBe('none');
    expect(progressStyle(false, {}, false, 80)).toBe('none');
    expect(progressStyle(false, {}, true, 0)).toBe('line');
    expect(progressStyle(true, {}, true, 0)).toBe('none');
  });

  it('opens with ora on a terminal that reports its width, and without ora falls back to the plain line', async () => {
    let written = '';
    const stream = { isTTY: true, columns: 80, write: (text: string) => (written += text), cursorTo: () => true, clearLine: () => true, moveCursor: () => true };
    const spinning = await Progress.open({ total: 2, quiet: false, verbose: false, skipped: 0, stream, env: {} });
    spinning.stop();
    // ora drew the counts (animated on a terminal, one plain line when it sees CI), never the plain line's clear.
    expect(written).toContain('0/2 · 0.0 images/s');
    expect(written).not.toContain('\r\x1b[K');
    written = '';
    const plain = new Progress({ total: 2, quiet: false, verbose: false, skipped: 0, stream, env: {} });
    plain.stop();
    expect(written).toBe('\r\x1b[K0/2 · 0.0 images/s · ETA ? · 0 failed\r\x1b[K');
  });

  it('draws the plain line in place, keeps logged lines whole, and clears it at the end', () => {
    let written = '';
    const stream = { isTTY: true, columns: 0, write: (text: string) => (written += text) };
    const progress = new Progress({ total: 2, quiet: false, verbose: false, skipped: 0, stream, env: {} });
    expect(written).toBe('\r\x1b[K0/2 · 0.0 images/s · ETA ? · 0 failed');
    progress.record({ path: 'a.png', output: null, status: 'failed', error: 'a.png: truncated image', ms: 1 });
    // The failure replaces the progress line, which is drawn again below it.
    expect(written).toMatch(/^\r\x1b\[K0\/2 [^\n]*\r\x1b\[Kcnnx: a\.png: truncated image\n\r\x1b\[K1\/2 · [\d.]+ images\/s · ETA \S+ · 1 failed$/);
    progress.stop();
    expect(written.endsWith('\r\x1b[K')).toBe(true);
    // No cursor movement beyond the line itself: no ora, no multi-line clearing.
    expect(written.replace(/\r\x1b\[K/g, '')).not.toMatch(/\x1b/);
  });

  it('prints a failure once when the inputs after it fail with the same line (a shared part that cannot be written)', () => {
    let written = '';
    const stream = { isTTY: false, write: (text: string) => (written += text) };
    const progress = new Progress({ total: 5, quiet: true, verbose: false, skipped: 0, stream, env: {} });
    const fail = (path: string, error: string) => progress.record({ path, output: null, status: 'failed', error, ms: 1 });
    const full = 'emb/part-00000.npy: cannot write: no space left on device';
    fail('a.png', full);
    fail('b.png', full);
    fail('c.png', 'c.png: truncated image');
    fail('d.png', full);
    fail('e.png', full);
    expect(written.split('\n').filter(Boolean)).toEqual([`cnnx: ${full}`, 'cnnx: c.png: truncated image', `cnnx: ${full}`]);
    expect(progress.counts.failed).toBe(5);
  });

  it('formats ETAs', () => {
    expect([formatDuration(5), formatDuration(75), formatDuration(3700)]).toEqual(['5s', '1m15s', '1h01m']);
  });
});
