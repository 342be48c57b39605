// An output that would be renamed over one of the run's inputs is refused before any work: the input would be lost.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers.js';
import { PHOTOS, SEED } from './batch-helpers.js';

const CAT = path.join(PHOTOS, 'cat.png');

describe('outputs never replace inputs', () => {
  const dir = tempDir('cnnx-overwrite-input-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a folder of photos written as pictures into itself: exit 2, the photos untouched', async () => {
    const photos = path.join(dir, 'photos');
    mkdirSync(photos, { recursive: true });
    copyFileSync(CAT, path.join(photos, 'cat.png'));
    const res = await runCli(['apply', SEED, photos, '-o', `${photos}/`, '--format', 'png', '--engine', 'reference']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^cnnx: .*photos\/cat\.png: its output .*photos\/cat\.png would replace the input itself; give another output folder \(-o\), or use --keep-ext \(a\.png -> a\.png\.png\)\n$/);
    expect(readFileSync(path.join(photos, 'cat.png')).equals(readFileSync(CAT))).toBe(true);
    expect(readdirSync(photos)).toEqual(['cat.png']);
    // --keep-ext gives the pictures names of their own.
    const kept = await runCli(['apply', SEED, photos, '-o', `${photos}/`, '--format', 'png', '--engine', 'reference', '-q']);
    expect(kept.code).toBe(2);
    const ok = await runCli(['apply', SEED, photos, '-o', `${photos}/`, '--format', 'png', '--keep-ext', '--engine', 'reference', '-q']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readdirSync(photos).sort()).toEqual(['cat.png', 'cat.png.png']);
  });

  it('an output folder spelled through a symlink to the input folder: refused the same way, and its subfolder is not walked', async () => {
    const real = path.join(dir, 'linked');
    mkdirSync(real, { recursive: true });
    copyFileSync(CAT, path.join(real, 'cat.png'));
    const alias = path.join(dir, 'alias');
    symlinkSync(real, alias);
    const res = await runCli(['apply', SEED, real, '-o', `${alias}/`, '--format', 'png', '--engine', 'reference']);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(`cnnx: ${real}/cat.png: its output ${alias}/cat.png would replace the input itself; give another output folder (-o), or use --keep-ext (a.png -> a.png.png)\n`);
    expect(readFileSync(path.join(real, 'cat.png')).equals(readFileSync(CAT))).toBe(true);
    // Pictures in linked/feats/, written as alias/feats/: a re-run does not take them as inputs.
    for (let run = 0; run < 2; run++) {
      const again = await runCli(['apply', SEED, real, '-o', `${alias}/feats/`, '--format', 'png', '--engine', 'reference', '-q']);
      expect(again.code, again.stderr).toBe(0);
    }
    expect(readdirSync(path.join(real, 'feats'))).toEqual(['cat.png']);
    expect(existsSync(path.join(real, 'feats', 'feats'))).toBe(false);
  });

  it('one .npy input written to its own name, however the path is spelled: exit 2, the array untouched', async () => {
    const sub = path.join(dir, 'one');
    mkdirSync(sub, { recursive: true });
    const input = path.join(sub, 'x.npy');
    const made = await runCli(['apply', SEED, CAT, '--layer', 'input', '-o', input, '--engine', 'reference', '-q']);
    expect(made.code, made.stderr).toBe(0);
    const before = readFileSync(input);
    const res = await runCli(['apply', SEED, 'x.npy', '-o', './x.npy', '--engine', 'reference'], { cwd: sub });
    expect(res.code).toBe(2);
    expect(res.stderr).toBe('cnnx: x.npy: its output ./x.npy would replace the input itself; give another output name\n');
    expect(readFileSync(input).equals(before)).toBe(true);
  });

  it("another input's output landing on an input (a.png's out/a.npy over out/a.npy) is refused too", async () => {
    const mixed = path.join(dir, 'mixed');
    mkdirSync(path.join(mixed, 'out'), { recursive: true });
    copyFileSync(CAT, path.join(mixed, 'a.png'));
    const array = path.join(mixed, 'out', 'a.npy');
    const made = await runCli(['apply', SEED, CAT, '--layer', 'input', '-o', array, '--engine', 'reference', '-q']);
    expect(made.code, made.stderr).toBe(0);
    const before = readFileSync(array);
    // Named files mirror below their common folder, mixed/: a.png writes out/a.npy, out/a.npy writes out/out/a.npy.
    const res = await runCli(['apply', SEED, path.join(mixed, 'a.png'), array, '-o', `${path.join(mixed, 'out')}/`, '--engine', 'reference']);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(`cnnx: ${path.join(mixed, 'a.png')}: its output ${array} would replace the input ${array}; give another output folder (-o), or use --keep-ext (a.png -> a.png.png)\n`);
    expect(readFileSync(array).equals(before)).toBe(true);
    expect(readdirSync(path.join(mixed, 'out'))).toEqual(['a.npy']);
  });

  it('a --report log named like an input or an output is refused before any work', async () => {
    const sub = path.join(dir, 'report');
    mkdirSync(sub, { recursive: true });
    const photo = path.join(sub, 'cat.png');
    copyFileSync(CAT, photo);
    const overInput = await runCli(['apply', SEED, photo, '-o', path.join(sub, 'x.npy'), '--report', photo, '--engine', 'reference']);
    expect(overInput.code).toBe(2);
    expect(overInput.stderr).toBe(`cnnx: --report ${photo} would replace the input ${photo}; give the log another name\n`);
    expect(readFileSync(photo).equals(readFileSync(CAT))).toBe(true);
    const overOutput = await runCli(['apply', SEED, photo, '-o', `${sub}/out/`, '--report', `${sub}/out/cat.npy`, '--engine', 'reference']);
    expect(overOutput.code).toBe(2);
    expect(overOutput.stderr).toBe(`cnnx: --report ${sub}/out/cat.npy would replace ${photo}'s output ${sub}/out/cat.npy; give the log another name\n`);
    expect(readdirSync(sub)).toEqual(['cat.png']);
  });
});
