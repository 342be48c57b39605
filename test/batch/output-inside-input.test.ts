// An output folder inside the input folder (`photos/ -o photos/feats/`): a re-run and --skip-existing do not read the features as inputs.
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers.js';
import { expectedNpy, listTree, PHOTOS, readJsonl, SEED } from './batch-helpers.js';

const CAT = path.join(PHOTOS, 'cat.png');
const ROCKET = path.join(PHOTOS, '2024', 'rocket.jpg');

describe('an output folder inside the input folder', () => {
  const dir = tempDir('cnnx-output-inside-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is not walked: a second run processes the photos again, --skip-existing skips them, a new photo is added', async () => {
    const photos = path.join(dir, 'photos');
    mkdirSync(path.join(photos, 'sub'), { recursive: true });
    copyFileSync(CAT, path.join(photos, 'cat.png'));
    const feats = path.join(photos, 'feats');
    const run = (...extra: string[]) => runCli(['apply', SEED, photos, '-o', `${feats}/`, '--engine', 'reference', ...extra]);

    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    expect(listTree(feats)).toEqual(['cat.npy']);

    const again = await run('--report', path.join(dir, 'again.jsonl'));
    expect(again.code, again.stderr).toBe(0);
    expect(readJsonl(path.join(dir, 'again.jsonl')).map((r) => [r.path, r.status])).toEqual([[path.join(photos, 'cat.png'), 'ok']]);

    copyFileSync(ROCKET, path.join(photos, 'sub', 'rocket.jpg'));
    const resumed = await run('--skip-existing', '--report', path.join(dir, 'resumed.jsonl'));
    expect(resumed.code, resumed.stderr).toBe(0);
    const records = readJsonl(path.join(dir, 'resumed.jsonl')).map((r) => [r.path, r.status]);
    expect(records).toEqual(expect.arrayContaining([[path.join(photos, 'cat.png'), 'skipped'], [path.join(photos, 'sub', 'rocket.jpg'), 'ok']]));
    expect(records).toHaveLength(2);
    expect(listTree(feats)).toEqual(['cat.npy', 'sub/rocket.npy']);
    expect(readFileSync(path.join(feats, 'sub', 'rocket.npy'))).toEqual(await expectedNpy(ROCKET));
  });

  it('is still walked when named as an input itself', async () => {
    const feats = path.join(dir, 'named');
    mkdirSync(feats, { recursive: true });
    copyFileSync(CAT, path.join(feats, 'cat.png'));
    const r = await runCli(['apply', SEED, feats, '-o', `${feats}/`, '--engine', 'reference']);
    expect(r.code, r.stderr).toBe(0);
    expect(listTree(feats)).toEqual(['cat.npy', 'cat.png']);
  });
});
