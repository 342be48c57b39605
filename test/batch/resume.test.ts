// Interrupted runs: SIGINT mid-way then --skip-existing completes the set; a second signal exits at once; never a partial or temp file.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli, tempDir } from '../helpers.js';
import { expectedNpy, listTree, PHOTOS, SEED } from './batch-helpers.js';

const COUNT = 120;
const SOURCES = ['cat.png', '2024/rocket.jpg', '2024/summer/astronaut.png', '2024/summer/coffee.webp'];

interface Spawned {
  code: number | null;
  stderr: string;
}

/** Starts the CLI, sends `signals` once `ready()` holds (polled), and resolves with its exit. */
function runAndInterrupt(args: string[], ready: () => boolean, signals: NodeJS.Signals[]): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setInterval(() => {
      if (!ready()) return;
      clearInterval(timer);
      for (const signal of signals) child.kill(signal);
    }, 10);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ code, stderr });
    });
  });
}

describe('interrupted batch runs', () => {
  const dir = tempDir('cnnx-batch-resume-');
  const photos = path.join(dir, 'photos');
  const expected = new Map<string, Buffer>();
  const inputs: string[] = [];

  beforeAll(async () => {
    // COUNT small copies of the fixture photos in nested folders (small, so the reference engine is quick).
    const small: string[] = [];
    for (const [i, src] of SOURCES.entries()) {
      const file = path.join(dir, `src${i}${path.extname(src)}`);
      await sharp(path.join(PHOTOS, src)).resize(24, 24).toFile(file);
      small.push(file);
      expected.set(file, await expectedNpy(file));
    }
    for (let i = 0; i < COUNT; i++) {
      const folder = path.join(photos, `d${Math.floor(i / 30)}`);
      mkdirSync(folder, { recursive: true });
      const src = small[i % small.length];
      const name = path.join(folder, `p${String(i).padStart(3, '0')}${path.extname(src)}`);
      copyFileSync(src, name);
      inputs.push(src);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Every output present is complete and right; returns how many there are. */
  function checkOutputs(out: string): number {
    const files = existsSync(out) ? listTree(out) : [];
    expect(files.filter((f) => path.basename(f).startsWith('.')), 'temp files left').toEqual([]);
    for (const f of files) {
      const i = Number(/p(\d+)\.npy$/.exec(f)![1]);
      expect(readFileSync(path.join(out, f)).equals(expected.get(inputs[i])!), f).toBe(true);
    }
    return files.length;
  }

  it('SIGINT mid-way exits 130 with a summary; --skip-existing then completes the set', async () => {
    const out = path.join(dir, 'feats');
    const args = ['apply', SEED, photos, '-o', `${out}/`, '--engine', 'reference', '--jobs', '2'];
    const first = await runAndInterrupt(args, () => existsSync(out) && listTree(out).length >= 5, ['SIGINT']);
    expect(first.code, first.stderr).toBe(130);
    expect(first.stderr).toMatch(/interrupted by SIGINT, \d+ not started$/m);
    const partial = checkOutputs(out);
    expect(partial).toBeGreaterThanOrEqual(5);
    expect(partial).toBeLessThan(COUNT);

    const report = path.join(dir, 'resume.jsonl');
    const second = await runCli([...args, '--skip-existing', '--report', report]);
    expect(second.code, second.stderr).toBe(0);
    expect(checkOutputs(out)).toBe(COUNT);
    expect(second.stderr).toMatch(new RegExp(`^cnnx: ${COUNT - partial} processed, ${partial} skipped, 0 failed`, 'm'));
    const skipped = readFileSync(report, 'utf8').split('\n').filter((l) => l.includes('"output exists"'));
    expect(skipped.length).toBe(partial);
  });

  it('a second SIGTERM exits at once with 143, leaving only complete files and no temps', async () => {
    const out = path.join(dir, 'feats2');
    const args = ['apply', SEED, photos, '-o', `${out}/`, '--engine', 'reference', '--report', path.join(dir, 'r2.jsonl')];
    const run = await runAndInterrupt(args, () => existsSync(out) && listTree(out).length >= 2, ['SIGTERM', 'SIGTERM']);
    expect(run.code, run.stderr).toBe(143);
    expect(checkOutputs(out)).toBeLessThan(COUNT);
    expect(listTree(dir).filter((f) => path.basename(f).startsWith('.cnnx-tmp-'))).toEqual([]);
  });
});
