// The fuzz suite's cases and invariants: each case runs the real CLI in a fresh folder and is judged by its exit code, stderr and files.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { BIN, FIXTURES, ROOT, mulberry32 } from '../helpers.js';
import { baseSpecs, corruptImage, int, mutateNpy, mutateSafetensors, mutateSpec, pick, type BaseSpec, type Rng } from './generators.js';

/** The exit codes cnnx documents: a run the fuzzer does not signal may end with these only. */
export const ALLOWED_EXITS = new Set([0, 1, 2]);
/** A signalled run may also end with the signal's code. */
const SIGNAL_EXITS: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

/** What every case is built from: the repository's specs and a few valid images. */
export interface Material {
  readonly specs: readonly BaseSpec[];
  readonly images: readonly { name: string; bytes: Uint8Array }[];
  /** A small valid PNG input for spec cases. */
  readonly image: Uint8Array;
}

export async function loadMaterial(): Promise<Material> {
  // vgg16-features is left out: a legal mutation (a wide resize) makes it compute for minutes, which is slow, not hung.
  const specs = baseSpecs().filter((s) => !s.name.includes('vgg16'));
  const cat = sharp(path.join(FIXTURES, 'images', 'chelsea.png')).resize(24, 20);
  const png = await cat.clone().png().toBuffer();
  const images = [
    { name: 'small.png', bytes: png },
    { name: 'small.jpg', bytes: await cat.clone().jpeg().toBuffer() },
    { name: 'gray16.png', bytes: await cat.clone().toColourspace('grey16').png().toBuffer() },
    { name: 'small.webp', bytes: await cat.clone().webp().toBuffer() },
    { name: 'small.tif', bytes: await cat.clone().tiff().toBuffer() },
    { name: 'small.gif', bytes: await cat.clone().gif().toBuffer() },
    { name: 'truncated.jpg', bytes: readFileSync(path.join(FIXTURES, 'images', 'truncated.jpg')) },
  ];
  return { specs, images, image: png };
}

/** One run of the CLI: its files (written into the case folder) and arguments, with paths relative to the folder. */
export interface Case {
  readonly index: number;
  readonly what: string;
  readonly files: Readonly<Record<string, Uint8Array | string>>;
  readonly args: readonly string[];
  /** Output paths (relative) that must not exist when the run fails: the outputs of inputs that can fail. */
  readonly outputs: readonly string[];
  /** The run writes nothing (inspect). */
  readonly readOnly?: boolean;
  /** Signals sent during the run (`npm run fuzz -- --signals`): each after its delay from the start. */
  readonly signals?: readonly { readonly name: 'SIGINT' | 'SIGTERM'; readonly afterMs: number }[];
}

const SEED_SPEC = path.join(ROOT, 'examples', 'seed-convnet.json');

const weightSpec = (weight: unknown) => JSON.stringify({ input: { channels: 3 }, layers: [{ type: 'conv2d', out_channels: 2, kernel_size: 3, padding: 1, weight }, { type: 'relu' }] });

/** Case `index` of the run seeded `seed`: the same pair always makes the same case; with `signals`, some runs get a SIGINT or SIGTERM (or two) at a seeded moment. */
export function makeCase(material: Material, seed: number, index: number, signals = false): Case {
  const rng: Rng = mulberry32((seed * 0x9e3779b1 + index) >>> 0);
  const c = makeUnsignalledCase(material, rng, index);
  if (!signals || rng() < 0.7) return c;
  const name = pick(rng, ['SIGINT', 'SIGTERM'] as const);
  const first = int(rng, 1500);
  const sent = rng() < 0.5 ? [{ name, afterMs: first }] : [{ name, afterMs: first }, { name, afterMs: first + int(rng, 300) }];
  return { ...c, what: `${c.what} + ${sent.map((s) => `${s.name} at ${s.afterMs} ms`).join(', ')}`, signals: sent };
}

function makeUnsignalledCase(material: Material, rng: Rng, index: number): Case {
  const engine = ['--engine', pick(rng, ['fast', 'reference']), '--threads', '1', '-q'];
  const kind = int(rng, 10);
  if (kind < 4) {
    const base = pick(rng, material.specs);
    const { text, what } = mutateSpec(rng, base);
    if (rng() < 0.2) return { index, what: `inspect ${what}`, files: { 'net.json': text }, args: ['inspect', 'net.json'], outputs: [], readOnly: true };
    const npyInput = base.input !== null && rng() < 0.5;
    const input = npyInput ? 'in.npy' : 'in.png';
    const out = pick(rng, ['out/x.npy', 'out/x.npy', 'out/x.png']);
    const files: Record<string, Uint8Array | string> = { 'net.json': text, [input]: npyInput ? readFileSync(base.input!) : material.image };
    return { index, what, files, args: ['apply', 'net.json', input, '-o', out, ...engine], outputs: [out] };
  }
  if (kind < 5) {
    const { bytes, what } = mutateNpy(rng);
    return { index, what: `input ${what}`, files: { 'in.npy': bytes }, args: ['apply', SEED_SPEC, 'in.npy', '-o', 'out/x.npy', ...engine], outputs: ['out/x.npy'] };
  }
  if (kind < 6) {
    const { bytes, what } = mutateNpy(rng, [2, 3, 3, 3]);
    return { index, what: `weight ${what}`, files: { 'w.npy': bytes, 'net.json': weightSpec({ npy: 'w.npy' }), 'in.png': material.image }, args: ['apply', 'net.json', 'in.png', '-o', 'out/x.npy', ...engine], outputs: ['out/x.npy'] };
  }
  if (kind < 7) {
    const { bytes, what } = mutateSafetensors(rng, [2, 3, 3, 3]);
    const files = { 'w.safetensors': bytes, 'net.json': weightSpec({ safetensors: 'w.safetensors', tensor: 'w' }), 'in.png': material.image };
    return { index, what: `weight ${what}`, files, args: ['apply', 'net.json', 'in.png', '-o', 'out/x.npy', ...engine], outputs: ['out/x.npy'] };
  }
  const { bytes, what } = corruptImage(rng, material.images);
  if (rng() < 0.4) {
    // In a folder beside a good image: the bad one fails alone, the good one is written.
    const files = { 'in/a-bad.png': bytes, 'in/b-good.png': material.image };
    return { index, what: `folder with ${what}`, files, args: ['apply', SEED_SPEC, 'in', '-o', 'out/', ...engine], outputs: ['out/a-bad.npy'] };
  }
  const streamed = rng() < 0.3 ? ['--band-rows', '4'] : [];
  return { index, what: `image ${what}${streamed.length ? ' (streamed)' : ''}`, files: { 'in.img': bytes }, args: ['apply', SEED_SPEC, 'in.img', '-o', 'out/x.npy', ...engine, ...streamed], outputs: ['out/x.npy'] };
}

export interface Outcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Runs the CLI for `c` in `dir` (TMPDIR inside it), killing it after `timeoutMs`. */
export function runCase(c: Case, dir: string, timeoutMs: number): Promise<Outcome> {
  mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  for (const [name, content] of Object.entries(c.files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...c.args], {
      cwd: dir,
      env: { ...process.env, CI: 'true', TMPDIR: path.join(dir, 'tmp'), CNNX_DEBUG: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const err: Buffer[] = [];
    let size = 0;
    child.stderr.on('data', (d: Buffer) => {
      // Enough to judge; a flood of output is itself a failure, seen in the line count.
      if (size < 64 * 1024) err.push(d);
      size += d.length;
    });
    const signalTimers = (c.signals ?? []).map((s) => setTimeout(() => child.kill(s.name), s.afterMs));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const t of signalTimers) clearTimeout(t);
      resolve({ code, signal, stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
  });
}

/** Files under `dir` (relative paths), recursively. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => !e.isDirectory()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/**
 * The invariants, as a list of broken ones (empty: the case passed): the exit code is documented,
 * a failure is exactly one `cnnx:` line (notes aside) with no stack trace, nothing is left under a
 * failed output's name, no temp file is left anywhere, and the run ended in time.
 */
export function judge(c: Case, dir: string, outcome: Outcome): string[] {
  const broken: string[] = [];
  const signalled = c.signals?.[0] ? SIGNAL_EXITS[c.signals[0].name] : null;
  // Killed by the signal itself: only before cnnx installs its handlers (Node's default action).
  const interrupted = signalled !== null && (outcome.code === signalled || outcome.signal === c.signals![0].name);
  if (outcome.timedOut) broken.push('hung: killed after the per-run timeout');
  else if (!interrupted && (outcome.code === null || !ALLOWED_EXITS.has(outcome.code))) broken.push(`exit ${outcome.code ?? outcome.signal}, not one of 0, 1, 2${signalled ? `, ${signalled}` : ''}`);
  const lines = outcome.stderr.split('\n').filter((l) => l !== '');
  const stray = lines.filter((l) => !l.startsWith('cnnx: '));
  if (stray.length > 0) broken.push(`stderr lines not starting "cnnx: ": ${JSON.stringify(stray.slice(0, 3))}`);
  const errors = lines.filter((l) => !l.startsWith('cnnx: note: '));
  // An interrupted run says so and may sum up: the one-line rule is for failures.
  if (!outcome.timedOut && !interrupted && outcome.code !== 0 && errors.length !== 1) broken.push(`${errors.length} error lines, not 1`);
  if (outcome.code === 0 && errors.length !== 0) broken.push(`exit 0 with ${errors.length} error lines`);
  if (/internal error|\n\s+at |Maximum call stack/.test(outcome.stderr)) broken.push('an internal error or a stack trace');
  if (outcome.code !== 0) for (const out of c.outputs) if (existsSync(path.join(dir, out))) broken.push(`${out} exists after a failed run`);
  if (outcome.code === 0 && !c.readOnly && c.outputs.length === 1 && !c.args.includes('out/') && !existsSync(path.join(dir, c.outputs[0]))) broken.push(`exit 0 but ${c.outputs[0]} is missing`);
  const temps = [...filesUnder(path.join(dir, 'tmp')).map((f) => `tmp/${f}`), ...filesUnder(path.join(dir, 'out')).filter((f) => f.includes('.cnnx-tmp'))];
  if (temps.length > 0) broken.push(`temp files left: ${temps.slice(0, 3).join(', ')}`);
  return broken;
}

export interface Failure {
  readonly index: number;
  readonly what: string;
  readonly broken: readonly string[];
  readonly stderr: string;
  readonly dir: string;
}

/**
 * Runs cases `seed`/0, 1, 2... two at a time until `count` have run or `deadline` (ms since epoch) has
 * passed. A failing case's folder is kept (its files replay it); the others are removed.
 */
export async function fuzz(options: { seed: number; count?: number; deadline?: number; timeoutMs: number; parallel?: number; signals?: boolean; onCase?: (c: Case, broken: readonly string[], outcome: Outcome) => void }): Promise<{ ran: number; failures: Failure[] }> {
  const material = await loadMaterial();
  const root = path.join(os.tmpdir(), `cnnx-fuzz-${options.seed}-${process.pid}`);
  const failures: Failure[] = [];
  let next = 0;
  const more = () => (options.count === undefined || next < options.count) && (options.deadline === undefined || Date.now() < options.deadline);
  const lane = async () => {
    while (more()) {
      const c = makeCase(material, options.seed, next++, options.signals);
      const dir = path.join(root, `case-${c.index}`);
      const outcome = await runCase(c, dir, options.timeoutMs);
      const broken = judge(c, dir, outcome);
      options.onCase?.(c, broken, outcome);
      if (broken.length > 0) {
        writeFileSync(path.join(dir, 'REPLAY.txt'), `cnnx ${c.args.join(' ')}\n# ${c.what}\n# ${broken.join('\n# ')}\n${outcome.stderr}`);
        failures.push({ index: c.index, what: c.what, broken, stderr: outcome.stderr.slice(0, 500), dir });
      } else {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  };
  await Promise.all(Array.from({ length: options.parallel ?? 2 }, lane));
  if (failures.length === 0) rmSync(root, { recursive: true, force: true });
  return { ran: next, failures };
}
