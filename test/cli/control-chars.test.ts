// File names holding line breaks or a NUL byte: every error and progress line stays one line, the name escaped.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { oneLine } from '../../src/errors.js';
import { runCli, tempDir } from '../helpers.js';
import { PHOTOS, SEED } from '../batch/batch-helpers.js';

describe('control characters in input names', () => {
  const dir = tempDir('cnnx-control-chars-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('oneLine escapes control characters as JSON does, DEL too, and leaves the rest alone', () => {
    expect(oneLine('a\nb\r\tc\u0000d\u001be\u007ff ünï \\n')).toBe('a\\nb\\r\\tc\\u0000d\\u001be\\u007ff ünï \\n');
  });

  it('a corrupt image named with a line break in a folder: one failure line, one verbose line, the report keeps the real name', async () => {
    const photos = path.join(dir, 'photos');
    mkdirSync(photos, { recursive: true });
    copyFileSync(path.join(PHOTOS, 'broken', 'truncated.jpg'), path.join(photos, 'bad\nname.jpg'));
    copyFileSync(path.join(PHOTOS, 'cat.png'), path.join(photos, 'good\r\nname.png'));
    const report = path.join(dir, 'run.jsonl');
    const res = await runCli(['apply', SEED, photos, '-o', `${dir}/out/`, '--engine', 'reference', '--report', report, '-v']);
    expect(res.code).toBe(1);
    const lines = res.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^cnnx: .*photos\/bad\\nname\.jpg: truncated image: /);
    expect(lines[1]).toMatch(/photos\/good\\r\\nname\.png -> .*out\/good\\r\\nname\.npy \(\d+ ms\)$/);
    expect(lines[2]).toMatch(/^cnnx: 1 processed, 0 skipped, 1 failed in /);
    const paths = readFileSync(report, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { path: string }).path);
    expect(paths.sort()).toEqual([path.join(photos, 'bad\nname.jpg'), path.join(photos, 'good\r\nname.png')]);
  });

  it('a missing file named with a line break, and a listed path holding a NUL byte: one line each', async () => {
    const missing = await runCli(['apply', SEED, 'no\nsuch.jpg', '-o', path.join(dir, 'x.npy'), '--engine', 'reference']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('cnnx: no\\nsuch.jpg: no such file\n');
    const list = path.join(dir, 'list.txt');
    writeFileSync(list, 'a\u0000b.png\n');
    const nul = await runCli(['apply', SEED, '--from-list', list, '-o', `${dir}/nul/`, '--engine', 'reference']);
    expect(nul.code).toBe(1);
    expect(nul.stderr).not.toContain('\u0000');
    expect(nul.stderr.split('\n')[0]).toBe('cnnx: a\\u0000b.png: no such file (the path holds a NUL byte)');
  });
});
