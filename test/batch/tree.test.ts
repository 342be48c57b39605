// A folder run over fixtures/batch: mirrored names, outputs equal to single-image runs, failures listed, report and summary.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, type CliResult } from '../helpers.js';
import { expectedNpy, GOOD, listTree, PHOTOS, readJsonl, SEED } from './batch-helpers.js';

describe('cnnx apply on a folder tree', () => {
  const dir = tempDir('cnnx-batch-tree-');
  const out = path.join(dir, 'feats');
  const report = path.join(dir, 'report.jsonl');
  let run: CliResult;

  beforeAll(async () => {
    run = await runCli(['apply', SEED, PHOTOS, '-o', `${out}/`, '--engine', 'reference', '--report', report, '--jobs', '3']);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the good images under mirrored names, nothing else, and exits 1', () => {
    expect(run.code, run.stderr).toBe(1);
    expect(listTree(out)).toEqual(Object.values(GOOD).sort());
    expect(run.stdout.length).toBe(0);
  });

  it('writes the same bytes as single-image runs', async () => {
    for (const [input, output] of Object.entries(GOOD)) {
      const expected = await expectedNpy(path.join(PHOTOS, input));
      expect(readFileSync(path.join(out, output)).equals(expected), output).toBe(true);
    }
  });

  it('names each bad input on one line and counts everything in the summary', () => {
    const lines = run.stderr.trim().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^cnnx: .*broken\/truncated\.jpg: truncated image/));
    expect(lines).toContainEqual(expect.stringMatching(/^cnnx: .*photos\/tiny\.png: .*pool1.*does not fit the input 1x1/));
    expect(lines.at(-1)).toMatch(/^cnnx: 4 processed, 2 skipped, 2 failed in [\d.]+ s \([\d.]+ images\/s\)$/);
    expect(run.stderr).not.toMatch(/\bat .*\.js:\d+/); // no stack trace
  });

  it('reports one JSON line per input with path, output, status, error and ms', () => {
    const records = readJsonl(report);
    const byName = new Map(records.map((r) => [path.relative(PHOTOS, r.path as string), r]));
    expect([...byName.keys()].sort()).toEqual(['.hidden.png', ...Object.keys(GOOD), 'broken/truncated.jpg', 'notes.txt', 'tiny.png'].sort());
    for (const [input, output] of Object.entries(GOOD)) {
      const r = byName.get(input)!;
      expect(r).toMatchObject({ status: 'ok', error: null, output: path.join(out, output) });
      expect(typeof r.ms).toBe('number');
    }
    expect(byName.get('broken/truncated.jpg'), JSON.stringify(records)).toMatchObject({ status: 'failed', error: expect.stringMatching(/truncated\.jpg: truncated image/) });
    expect(byName.get('tiny.png')).toMatchObject({ status: 'failed', error: expect.stringContaining('tiny.png') });
    expect(byName.get('notes.txt')).toMatchObject({ status: 'skipped', error: 'not an image', output: null });
    expect(byName.get('.hidden.png')).toMatchObject({ status: 'skipped', error: 'hidden' });
  });

  it('--fail-fast stops taking inputs after the first failure', async () => {
    const dest = path.join(dir, 'ff');
    const res = await runCli(['apply', SEED, PHOTOS, '-o', `${dest}/`, '--engine', 'reference', '--fail-fast', '--jobs', '1']);
    expect(res.code, res.stderr).toBe(1);
    expect(existsSync(dest), res.stderr).toBe(true);
    // Sorted order: 2024/... (3 good), broken/truncated.jpg fails, cat.png and tiny.png are never started.
    expect(listTree(dest)).toEqual(['2024/rocket.npy', '2024/summer/astronaut.npy', '2024/summer/coffee.npy']);
    expect(res.stderr).toMatch(/stopped \(fail-fast\), 2 not started/);
  });

  it('--no-recursive takes only the top folder; --max-pixels refuses big images clearly', async () => {
    const dest = path.join(dir, 'flat');
    const res = await runCli(['apply', SEED, PHOTOS, '-o', `${dest}/`, '--engine', 'reference', '--no-recursive', '--max-pixels', '1000', '-q']);
    expect(res.code).toBe(1);
    expect(existsSync(dest) ? listTree(dest) : []).toEqual([]); // cat.png is 48x32 = 1536 pixels
    expect(res.stderr).toMatch(/^cnnx: .*cat\.png: is 48x32 \(1,536 pixels\), over the pixel limit of 1,000 \(--max-pixels\)$/m);
    expect(res.stderr).not.toMatch(/2024/);
  });
});
