// A file met twice (a folder given twice, `find DIR -print0` listing DIR and its files) is counted once.
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers.js';
import { PHOTOS, readJsonl, SEED } from './batch-helpers.js';

/** `find PHOTOS -print0`: the folder itself, then every entry below it. */
function findPrint0(): string {
  const entries = readdirSync(PHOTOS, { recursive: true }) as string[];
  return [PHOTOS, ...entries.map((e) => path.join(PHOTOS, e))].join('\0') + '\0';
}

function tally(report: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of readJsonl(report)) counts[`${r.status} ${r.path}`] = (counts[`${r.status} ${r.path}`] ?? 0) + 1;
  return counts;
}

describe('skipped files are counted once', () => {
  const dir = tempDir('cnnx-skipped-once-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a folder walk, the folder given twice, and find -print0 of it give one record per file and the same summary', async () => {
    const walk = await runCli(['apply', SEED, PHOTOS, '-o', `${dir}/a/`, '--engine', 'reference', '--report', `${dir}/a.jsonl`]);
    const twice = await runCli(['apply', SEED, PHOTOS, `${PHOTOS}/`, '-o', `${dir}/b/`, '--engine', 'reference', '--report', `${dir}/b.jsonl`]);
    const listed = await runCli(['apply', SEED, '--from-list', '-', '-0', '-o', `${dir}/c/`, '--engine', 'reference', '--report', `${dir}/c.jsonl`], { input: Buffer.from(findPrint0()) });
    const summary = (stderr: string): string => stderr.trimEnd().split('\n').at(-1)!.replace(/ in .*$/, '');
    expect(summary(walk.stderr)).toMatch(/^cnnx: \d+ processed, [1-9]\d* skipped, \d+ failed$/);
    for (const run of [twice, listed]) {
      expect(run.code).toBe(walk.code);
      expect(summary(run.stderr)).toBe(summary(walk.stderr));
    }
    const expected = tally(`${dir}/a.jsonl`);
    expect(Object.values(expected).every((n) => n === 1)).toBe(true);
    const normalise = (counts: Record<string, number>): Record<string, number> =>
      Object.fromEntries(Object.entries(counts).map(([k, n]) => [k.replace(`${PHOTOS}/`, `${PHOTOS}${path.sep}`).replace(/\/\//g, '/'), n]));
    expect(normalise(tally(`${dir}/b.jsonl`))).toEqual(normalise(expected));
    expect(normalise(tally(`${dir}/c.jsonl`))).toEqual(normalise(expected));
  });
});
