// --shard I/N: slices cover the sorted inputs exactly once, as a property and through the CLI.
import { rmSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseShard, shardRange } from '../../src/batch/shard.js';
import { runCli, tempDir } from '../helpers.js';
import { PHOTOS, readJsonl, SEED } from './batch-helpers.js';

describe('shardRange', () => {
  it('every item lands in exactly one shard, in order, sizes within one of each other', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 300 }), fc.integer({ min: 1, max: 40 }), (items, count) => {
        const slices = Array.from({ length: count }, (_, i) => items.slice(...shardRange(items.length, { index: i + 1, count })));
        expect(slices.flat()).toEqual(items);
        const sizes = slices.map((s) => s.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('parses I/N numbered from 1 and refuses the rest', () => {
    expect(parseShard('2/5')).toEqual({ index: 2, count: 5 });
    for (const bad of ['0/3', '4/3', '1/0', '1', 'a/b', '-1/2', '1/2/3']) expect(() => parseShard(bad), bad).toThrow(/I\/N/);
  });
});

describe('cnnx apply --shard', () => {
  const dir = tempDir('cnnx-batch-shard-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('three shards of the fixture tree process every input exactly once', async () => {
    const runs = await Promise.all(
      [1, 2, 3].map((i) =>
        runCli(['apply', SEED, PHOTOS, '-o', `${path.join(dir, 'out')}/`, '--engine', 'reference', '--shard', `${i}/3`, '--report', path.join(dir, `r${i}.jsonl`), '-q']),
      ),
    );
    const seen = [1, 2, 3].flatMap((i) => readJsonl(path.join(dir, `r${i}.jsonl`)).filter((r) => r.status === 'ok' || r.status === 'failed').map((r) => r.path as string));
    const all = ['2024/rocket.jpg', '2024/summer/astronaut.png', '2024/summer/coffee.webp', 'broken/truncated.jpg', 'cat.png', 'tiny.png'];
    expect(seen.map((p) => path.relative(PHOTOS, p)).sort()).toEqual(all);
    expect(new Set(seen).size).toBe(seen.length);
    // Exit codes follow each shard's own failures.
    expect(runs.map((r) => r.code)).toContain(1);
    expect(runs.every((r) => r.code === 0 || r.code === 1)).toBe(true);
  });

  it('refuses a malformed shard as a usage error', async () => {
    const res = await runCli(['apply', SEED, PHOTOS, '-o', `${dir}/x/`, '--shard', '3/2']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--shard.*I\/N/);
  });
});
