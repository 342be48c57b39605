// Where the benchmarks keep what they measured: bench/results/<name>-<date>.json, with the host, date, Node version and load average.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The machine a result was measured on: CPU, cores, caches (as the fast engine reads them), Node and V8, load average now. */
export async function hostInfo() {
  let caches = null;
  try {
    const { cacheSizes } = await import(pathToFileURL(path.join(ROOT, 'dist', 'engine', 'fast', 'machine.js')).href);
    caches = cacheSizes();
  } catch {
    // dist/ not built: the caches stay unknown.
  }
  return {
    hostname: os.hostname(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    caches,
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
    v8: process.versions.v8,
    loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}

/** Writes `result` with the host and date to bench/results/<name>-<date>.json; returns the path relative to the package root. */
export async function saveResults(name, result) {
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString();
  const file = path.join(dir, `${name}-${date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ name, date, host: await hostInfo(), command: ['node', path.relative(ROOT, process.argv[1] ?? ''), ...process.argv.slice(2)].join(' '), ...result }, null, 2)}\n`);
  return path.relative(ROOT, file);
}
