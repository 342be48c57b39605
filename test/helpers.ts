// Shared test helpers: running the built CLI as a user would, temp folders, the conformance rule on two arrays, and the fast engine's memory model.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineModel } from '../src/engine/engine.js';
import { compareArrays, describeFailure } from '../src/verify/compare.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(ROOT, 'bin', 'cnnx.js');
export const FIXTURES = path.join(ROOT, 'fixtures');

/** The fast engine's memory model on 2 threads, for the band planner's functions (src/stream/band-plan.ts). */
export const FAST: EngineModel = { kind: 'fast', threads: 2 };

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

/** Folders made by tempDir in this test file; test/setup.ts removes them after the file's tests. */
const madeDirs: string[] = [];

/** A new empty folder in the system temp folder, removed after the test file (test/setup.ts). */
export function tempDir(prefix = 'cnnx-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  madeDirs.push(dir);
  return dir;
}

/** Removes every folder tempDir made (vitest runs each test file in its own module graph, so these are this file's). */
export function removeTempDirs(): void {
  for (const dir of madeDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * The conformance rule (src/verify/compare.ts) on `actual` against `expected` of `shape`.
 * Returns null when it holds, else a message naming the first element over tolerance.
 */
export function compareWithTolerance(actual: Float32Array, expected: Float32Array, shape: readonly number[]): string | null {
  const actualShape = actual.length === expected.length ? shape : [actual.length];
  return describeFailure(compareArrays({ shape: actualShape, data: actual }, { shape, data: expected }));
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

/** What `fn` throws or rejects with (undefined when it does not), for asserting code, exit code and message. */
export async function errorOf(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
