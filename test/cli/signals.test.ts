// SIGINT/SIGTERM at random moments (seeded) of real runs: from start-up to the report's rename, no .cnnx-tmp-* is ever left, here or in the temp folder, and the exit code is the signal's.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, FIXTURES, mulberry32, ROOT, tempDir } from '../helpers.js';

const SEED = path.join(ROOT, 'examples', 'seed-convnet.json');
const SEED_NUMBER = 21;
const RUNS = 14;

interface Mode {
  readonly name: string;
  /** The arguments after `apply SEED`, for a run in `dir`. */
  args(dir: string): string[];
}

/** Every path below `dir` whose name starts with .cnnx-tmp-. */
function tempsIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.name.startsWith('.cnnx-tmp-'))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly ms: number;
  /** When each signal was sent (ms from the spawn), as the timers actually fired. */
  readonly sentAt: number[];
}

/** Runs the CLI in `dir` (TMPDIR=dir/tmp), sending `signals` after `delays` ms (each from the moment the previous one was sent). */
function runWithSignals(args: string[], dir: string, signals: readonly NodeJS.Signals[], delays: readonly number[]): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, CI: 'true', TMPDIR: path.join(dir, 'tmp') }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const sentAt: number[] = [];
    let timer: NodeJS.Timeout | undefined;
    const send = (i: number): void => {
      if (i >= signals.length) return;
      timer = setTimeout(() => {
        child.kill(signals[i]);
        sentAt.push(performance.now() - started);
        send(i + 1);
      }, delays[i]);
    };
    send(0);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, ms: performance.now() - started, sentAt });
    });
  });
}

/**
 * Two signals sent closer than this may both be pending before the process next runs, and the
 * kernel then delivers the lower-numbered one (SIGINT) first: either may be the first cnnx sees.
 */
const TOGETHER_MS = 50;

describe('signals at random moments', () => {
  const root = tempDir('cnnx-test-signals-');
  const photos = path.join(root, 'photos');
  const big = path.join(root, 'big.png');
  const modes: Mode[] = [
    { name: 'folder with --report', args: (dir) => [photos, '-o', path.join(dir, 'out') + '/', '--report', path.join(dir, 'run.jsonl'), '--engine', 'reference'] },
    { name: 'streamed (--band-rows 8) with --report', args: (dir) => [big, '-o', path.join(dir, 'out', 'big.npy'), '--band-rows', '8', '--report', path.join(dir, 'run.jsonl')] },
    { name: 'embeddings with --report', args: (dir) => [photos, '-o', path.join(dir, 'emb') + '/', '--format', 'embeddings', '--report', path.join(dir, 'run.jsonl'), '--engine', 'reference'] },
  ];
  /** How long a run of each mode takes without signals (ms): signals land between 0 and a bit past it. */
  const spans = new Map<string, number>();

  beforeAll(async () => {
    mkdirSync(photos);
    const small = path.join(root, 'small.png');
    await sharp(path.join(FIXTURES, 'images', 'chelsea.png')).resize(32, 24).toFile(small);
    for (let i = 0; i < 16; i++) copyFileSync(small, path.join(photos, `p${String(i).padStart(2, '0')}.png`));
    await sharp(path.join(FIXTURES, 'images', 'chelsea.png')).resize(160, 120).toFile(big);
    for (const mode of modes) {
      const dir = tempDir('cnnx-test-signals-');
      mkdirSync(path.join(dir, 'tmp'));
      const r = await runWithSignals(['apply', SEED, ...mode.args(dir)], dir, [], []);
      expect(r.code, r.stderr).toBe(0);
      spans.set(mode.name, r.ms);
    }
  }, 300_000);

  it(`${RUNS} runs (seed ${SEED_NUMBER}): no temp file is ever left, the report is whole, the exit code is the first signal's`, async () => {
    const random = mulberry32(SEED_NUMBER);
    const seen = new Set<string>();
    for (let i = 0; i < RUNS; i++) {
      const mode = modes[i % modes.length];
      const dir = tempDir('cnnx-test-signals-');
      mkdirSync(path.join(dir, 'tmp'));
      const first: NodeJS.Signals = random() < 0.5 ? 'SIGINT' : 'SIGTERM';
      const signals: NodeJS.Signals[] = random() < 0.35 ? [first, random() < 0.5 ? 'SIGINT' : 'SIGTERM'] : [first];
      const delays = [Math.round(random() * 1.2 * spans.get(mode.name)!), Math.round(random() * 200)];
      const what = `run ${i} (${mode.name}, ${signals.join('+')} at ${delays.slice(0, signals.length).join('+')} ms)`;
      const r = await runWithSignals(['apply', SEED, ...mode.args(dir)], dir, signals, delays);

      expect(tempsIn(dir), what).toEqual([]);
      const together = r.sentAt.length === 2 && r.sentAt[1] - r.sentAt[0] < TOGETHER_MS;
      const firsts = together ? signals : [first];
      if (r.signal !== null) {
        // Before Node runs cnnx's code, a signal's default action ends it: no temp can exist yet.
        expect(firsts, what).toContain(r.signal);
        expect(r.stderr, what).toBe('');
        seen.add('killed before start-up');
      } else {
        const expected = firsts.map((s) => (s === 'SIGINT' ? 130 : 143));
        expect([0, ...expected], `${what}: ${r.stderr}`).toContain(r.code);
        seen.add(r.code === 0 ? 'finished first' : 'interrupted');
        expect(r.stderr, what).not.toMatch(/internal error|\n\s+at /);
      }
      const report = path.join(dir, 'run.jsonl');
      if (existsSync(report)) {
        for (const line of readFileSync(report, 'utf8').split('\n').filter(Boolean)) expect(() => JSON.parse(line), `${what}: ${line}`).not.toThrow();
      }
    }
    // The seed spreads the signals over start-up, the run and the end: most runs are interrupted.
    expect(seen.has('interrupted')).toBe(true);
  }, 900_000);
});

describe('one long image and a single signal', () => {
  // The reference engine computes on the main thread: the grace timer fires at the first layer boundary past GRACE_MS.
  it(`stops once the grace period (GRACE_MS) is over, with the signal's exit code and no temp file`, async () => {
    const dir = tempDir('cnnx-test-signals-');
    mkdirSync(path.join(dir, 'tmp'));
    // The reference engine on a 3-megapixel photo: minutes of work, far past the grace period.
    const photo = path.join(dir, 'large.png');
    await sharp(path.join(FIXTURES, 'images', 'chelsea.png')).resize(2000, 1500).toFile(photo);
    const args = ['apply', SEED, photo, '-o', path.join(dir, 'out.npy'), '--engine', 'reference'];
    // The first signal comes once the run is under way: after the start-up a plain run of a tiny image takes.
    const r = await runWithSignals(args, dir, ['SIGTERM'], [3000]);
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toMatch(/did not finish within \d+ s: stopped\n$/);
    expect(existsSync(path.join(dir, 'out.npy'))).toBe(false);
    expect(tempsIn(dir)).toEqual([]);
  }, 300_000);
});
