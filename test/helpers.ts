// Shared test helpers: running the built CLI as a user would, temp folders, and the conformance tolerance.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(ROOT, 'bin', 'cnnx.js');
export const FIXTURES = path.join(ROOT, 'fixtures');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs `cnnx ARGS...` (the built dist/, through bin/cnnx.js) in a child process. */
export function runCli(args: readonly string[], options: { input?: Uint8Array; cwd?: string; env?: NodeJS.ProcessEnv; nodeArgs?: readonly string[] } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, CI: 'true', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.end(options.input ?? undefined);
  });
}

export function tempDir(prefix = 'cnnx-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * The conformance rule: |out - expected| <= 1e-4 * max(1, max|expected|) + 1e-4 * |expected|.
 * Returns null when it holds, else a message naming the first bad element.
 */
export function compareWithTolerance(actual: Float32Array, expected: Float32Array, shape: readonly number[]): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} != ${expected.length}`;
  let maxAbs = 0;
  for (const v of expected) maxAbs = Math.max(maxAbs, Math.abs(v));
  const base = 1e-4 * Math.max(1, maxAbs);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (!(Math.abs(a - e) <= base + 1e-4 * Math.abs(e))) {
      const [, h, w] = shape.length === 3 ? shape : [1, 1, expected.length];
      const c = Math.floor(i / (h * w));
      const y = Math.floor((i % (h * w)) / w);
      const x = i % w;
      return `c=${c} y=${y} x=${x}: expected ${e}, got ${a}`;
    }
  }
  return null;
}

/** mulberry32: a small seeded generator of uniform [0, 1) values, so a failing random case replays. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
