// --format embeddings through the CLI: parts read back by DuckDB, rows against single-image runs, order, shards, resuming after SIGKILL, failures, row lengths.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddingSink } from '../../src/batch/embedding-sink.js';
import { createEngine } from '../../src/engine/create.js';
import type { Engine } from '../../src/engine/engine.js';
import { createReferenceEngine } from '../../src/engine/reference.js';
import { readInput } from '../../src/io/image.js';
import { parseNpy } from '../../src/io/npy.js';
import { loadNetwork } from '../../src/network/load.js';
import { runNetwork, selectLayers } from '../../src/network/run.js';
import { BIN, FIXTURES, ROOT, runCli, tempDir } from '../helpers.js';
import { GOOD, PHOTOS, SEED } from './batch-helpers.js';

const GEM = path.join(FIXTURES, 'batch', 'seed-gem.json');
const DIM = 64;

interface PartRow {
  path: string;
  row: number;
  height: number;
  width: number;
  file: string;
}

let duck: DuckDBConnection;
let engine: Engine;
beforeAll(async () => {
  duck = await (await DuckDBInstance.create(':memory:')).connect();
  engine = await createEngine({ kind: 'fast', threads: 2 });
});
afterAll(async () => {
  duck.closeSync();
  await engine.close();
});

/** Every row of every part in `dir`, as DuckDB reads `DIR/*.parquet`, with the part's file name. */
async function readParts(dir: string): Promise<PartRow[]> {
  const reader = await duck.runAndReadAll(`SELECT path, "row", height, width, filename FROM read_parquet('${dir}/*.parquet', filename = true) ORDER BY filename, "row"`);
  return reader.getRowObjects().map((r) => ({ path: String(r.path), row: Number(r.row), height: Number(r.height), width: Number(r.width), file: path.basename(String(r.filename)) }));
}

/** Row `row` of the .npy beside parquet `file`. */
function npyRow(dir: string, file: string, row: number): Float32Array {
  const npy = parseNpy(readFileSync(path.join(dir, file.replace(/\.parquet$/, '.npy'))), file);
  expect(npy.descr).toBe('<f4');
  expect(npy.shape[1]).toBe(DIM);
  return npy.data.subarray(row * DIM, (row + 1) * DIM);
}

/** The single-image output of the descriptor layer for `file` (by default the fast engine, as the batch uses). */
async function single(file: string, using: Engine = engine): Promise<Float32Array> {
  const net = await loadNetwork(GEM);
  const input = await readInput(file, file, net.input);
  const [out] = await runNetwork(using, net, input, selectLayers(net, []), file);
  return out.tensor.data;
}

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('a folder with a truncated JPEG, a text file, a hidden file and an image too small', () => {
  const out = tempDir('cnnx-emb-tree-');
  let result: Awaited<ReturnType<typeof runCli>>;
  beforeAll(async () => {
    result = await runCli(['apply', GEM, PHOTOS, '-o', out, '--format', 'embeddings', '--report', path.join(tempDir('cnnx-emb-report-'), 'run.jsonl')]);
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('exits 1, names each failure, and writes one part holding one row per good photo', async () => {
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/truncated\.jpg: truncated image/);
    expect(result.stderr).toMatch(/tiny\.png: .*does not fit/);
    expect(result.stderr).toMatch(/4 processed, 2 skipped, 2 failed/);
    expect(readdirSync(out).sort()).toEqual(['part-00000.npy', 'part-00000.parquet']);
    const rows = await readParts(out);
    expect(rows.map((r) => path.relative(PHOTOS, r.path))).toEqual(Object.keys(GOOD).sort());
    expect(new Set(rows.map((r) => r.path)).size).toBe(rows.length);
    expect(rows.map((r) => r.row)).toEqual([0, 1, 2, 3]);
  });

  it('rows equal single-image runs of the same photos; height and width are the decoded input', async () => {
    for (const r of await readParts(out)) {
      expect(bytes(npyRow(out, r.file, r.row)).equals(bytes(await single(r.path))), r.path).toBe(true);
      const meta = await sharp(r.path).metadata();
      expect([r.height, r.width]).toEqual([meta.height, meta.width]);
    }
  });

  it('the .npy is what numpy.save writes: a (rows, D) float32 matrix, C order', () => {
    const npy = parseNpy(readFileSync(path.join(out, 'part-00000.npy')), 'part');
    expect(npy.shape).toEqual([4, DIM]);
    // The header is numpy's, byte for byte (npyHeader is checked against numpy in test/io/npy.test.ts).
    expect(readFileSync(path.join(out, 'part-00000.npy')).subarray(0, 128).toString('latin1')).toMatch(/^\x93NUMPY\x01\x00v\x00\{'descr': '<f4', 'fortran_order': False, 'shape': \(4, 64\), \} +\n/);
  });
});

describe('order, parts and shards', () => {
  const dir = tempDir('cnnx-emb-order-');
  const photos = path.join(dir, 'photos');
  const names: string[] = [];
  beforeAll(async () => {
    // Seven photos of different sizes (so rows differ), in two folders.
    const sources = Object.keys(GOOD).map((f) => path.join(PHOTOS, f));
    for (let i = 0; i < 7; i++) {
      const file = path.join(photos, i < 4 ? 'a' : 'b', `p${i}.png`);
      mkdirSync(path.dirname(file), { recursive: true });
      await sharp(sources[i % sources.length]).resize(20 + 3 * i, 24).png().toFile(file);
      names.push(file);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--part-rows 3: parts of 3, 3 and 1 rows, rows in input order across the parts', async () => {
    const out = path.join(dir, 'parts');
    const r = await runCli(['apply', GEM, photos, '-o', `${out}/`, '--format', 'embeddings', '--part-rows', '3']);
    expect(r.stderr).toMatch(/7 processed/);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['part-00000', 'part-00001', 'part-00002'].flatMap((p) => [`${p}.npy`, `${p}.parquet`]));
    const rows = await readParts(out);
    expect(rows.map((x) => x.path)).toEqual(names);
    expect(rows.map((x) => `${x.file}:${x.row}`)).toEqual(['0:0', '0:1', '0:2', '1:0', '1:1', '1:2', '2:0'].map((s) => `part-0000${s[0]}.parquet:${s.slice(2)}`));
    for (const x of rows) expect(bytes(npyRow(out, x.file, x.row)).equals(bytes(await single(x.path))), x.path).toBe(true);
  });

  it('--shard I/3 into one folder: names carry the shard, every input exactly once', async () => {
    const out = path.join(dir, 'shards');
    for (const i of [1, 2, 3]) {
      const r = await runCli(['apply', GEM, photos, '-o', `${out}/`, '--format', 'embeddings', '--shard', `${i}/3`, '-q']);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(readdirSync(out).sort()).toEqual(['01', '02', '03'].flatMap((s) => [`part-${s}-of-03-00000.npy`, `part-${s}-of-03-00000.parquet`]));
    const rows = await readParts(out);
    // Shards are contiguous slices of the sorted inputs, so the parts in name order are the input order.
    expect(rows.map((x) => x.path)).toEqual(names);
    for (const x of rows) expect(bytes(npyRow(out, x.file, x.row)).equals(bytes(await single(x.path))), x.path).toBe(true);
  });

  it('refuses what it cannot write as embeddings, before any work (exit 2)', async () => {
    const out = path.join(dir, 'refused');
    const cases: [string[], RegExp][] = [
      [['-o', path.join(dir, 'x.npy')], /--format embeddings writes to a folder: -o .*x\.npy is a \.npy file/],
      [['-o', '-'], /--format embeddings writes to a folder \(-o out\/\), not to stdout/],
      [['-o', `${out}/`, '--layer', 'gem', '--layer', 'descriptor'], /one layer per input as a row, but 2 layers were asked for/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['apply', GEM, photos, '--format', 'embeddings', ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const rows = await runCli(['apply', GEM, photos, '-o', `${out}/`, '--part-rows', '3']);
    expect(rows.code).toBe(2);
    expect(rows.stderr).toMatch(/--part-rows goes with --format embeddings/);
    expect(existsSync(out)).toBe(false);
  });

  it('a folder that already holds parts: an error without --skip-existing, and with it for another layer', async () => {
    const out = path.join(dir, 'again');
    expect((await runCli(['apply', GEM, photos, '-o', `${out}/`, '--format', 'embeddings', '-q'])).code).toBe(0);
    const again = await runCli(['apply', GEM, photos, '-o', `${out}/`, '--format', 'embeddings']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds parts of such a run \(part-00000\.parquet\): add --skip-existing to finish it/);
    const other = await runCli(['apply', GEM, photos, '-o', `${out}/`, '--format', 'embeddings', '--layer', 'gem', '--skip-existing']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/part-00000\.parquet holds rows of another network or layer \(layer "descriptor", .*this run: layer "gem"/);
    const done = await runCli(['apply', GEM, photos, '-o', `${out}/`, '--format', 'embeddings', '--skip-existing']);
    expect(done.code).toBe(0);
    expect(done.stderr).toMatch(/0 processed, 7 skipped/);
    expect(readdirSync(out).sort()).toEqual(['part-00000.npy', 'part-00000.parquet']);
  });
});

describe('rows of different lengths', () => {
  it('stop the run before the mismatched row is written, with a message suggesting a global pooling head', async () => {
    const out = tempDir('cnnx-emb-dim-');
    // The seed network keeps the map: 48x32 photos give 64x8x12 rows, the 32x32 one 64x8x8.
    const r = await runCli(['apply', SEED, PHOTOS, '-o', out, '--format', 'embeddings', '--jobs', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('astronaut.png: its pool2 output is 64x8x8 = 4096 values, but the rows of');
    expect(r.stderr).toMatch(/rocket\.jpg have 64x8x12 = 6144: every row of an embeddings matrix has the same length\. .*end the network with a global pooling head \(gem, or adaptive_avgpool2d with output_size 1\)/);
    expect(r.stderr).toMatch(/stopped \(rows of different lengths\)/);
    const rows = await readParts(out);
    expect(rows.map((x) => path.basename(x.path))).toEqual(['rocket.jpg']);
    expect(parseNpy(readFileSync(path.join(out, 'part-00000.npy')), 'p').shape).toEqual([1, 6144]);
    rmSync(out, { recursive: true, force: true });
  });
});

describe('resuming after SIGKILL', () => {
  const dir = tempDir('cnnx-emb-kill-');
  const photos = path.join(dir, 'photos');
  const COUNT = 90;
  const expected = new Map<string, Float32Array>();
  beforeAll(async () => {
    const sources: { file: string; row: Float32Array }[] = [];
    for (const [i, src] of Object.keys(GOOD).entries()) {
      const file = path.join(dir, `src${i}.png`);
      await sharp(path.join(PHOTOS, src)).resize(48, 48).png().toFile(file);
      sources.push({ file, row: await single(file, createReferenceEngine()) });
    }
    for (let i = 0; i < COUNT; i++) {
      const file = path.join(photos, `d${Math.floor(i / 30)}`, `p${String(i).padStart(3, '0')}.png`);
      mkdirSync(path.dirname(file), { recursive: true });
      const source = sources[i % sources.length];
      copyFileSync(source.file, file);
      expected.set(file, source.row);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a rerun with --skip-existing finishes the set with every input exactly once', async () => {
    const out = path.join(dir, 'emb');
    const args = ['apply', GEM, photos, '-o', `${out}/`, '--format', 'embeddings', '--part-rows', '7', '--jobs', '2', '--engine', 'reference'];
    const killed = await new Promise<{ signal: NodeJS.Signals | null; parts: number }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, CI: 'true' }, stdio: 'ignore' });
      let parts = 0;
      const timer = setInterval(() => {
        parts = existsSync(out) ? readdirSync(out).filter((f) => /^part-\d+\.parquet$/.test(f)).length : 0;
        if (parts >= 2) {
          clearInterval(timer);
          child.kill('SIGKILL');
        }
      }, 5);
      child.on('error', reject);
      child.on('close', (_code, signal) => {
        clearInterval(timer);
        resolve({ signal, parts });
      });
    });
    expect(killed.signal).toBe('SIGKILL');
    const before = await readParts(out);
    expect(before.length).toBeGreaterThanOrEqual(14);
    expect(before.length).toBeLessThan(COUNT);

    const rerun = await runCli([...args, '--skip-existing']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(new RegExp(`${COUNT - before.length} processed, ${before.length} skipped`));
    const rows = await readParts(out);
    expect(rows.map((x) => x.path).sort()).toEqual([...expected.keys()].sort());
    for (const x of rows) expect(bytes(npyRow(out, x.file, x.row)).equals(bytes(expected.get(x.path)!)), x.path).toBe(true);
    // New parts continue the numbering; nothing the killed run left (temp files, a lone .npy) remains.
    const files = readdirSync(out).sort();
    expect(files.every((f) => /^part-\d{5}\.(npy|parquet)$/.test(f)), files.join(' ')).toBe(true);
    expect(files.filter((f) => f.endsWith('.npy')).map((f) => f.replace('.npy', ''))).toEqual(files.filter((f) => f.endsWith('.parquet')).map((f) => f.replace('.parquet', '')));
  }, 180_000);
});

describe('the sink', () => {
  const dir = tempDir('cnnx-emb-sink-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes rows in input order whatever order they finish in; a skipped input leaves no row', async () => {
    const sink = new EmbeddingSink({
      dir, prefix: 'part-', firstSeq: 4, partRows: 2, partBytes: 2 ** 30, dim: null,
      identity: { specSha256: 'ab'.repeat(32), layer: 'x' }, metadata: {}, reorderLimit: 8,
    });
    const row = (i: number) => ({ name: `in${i}`, shape: { channels: 3, height: 1, width: 1 }, data: Float32Array.of(i, i + 0.5, -i), height: 10 + i, width: 20 + i });
    const adds = [sink.add(3, row(3)), sink.add(1, row(1)), sink.add(4, row(4))];
    sink.skip(2);
    adds.push(sink.add(0, row(0)));
    await Promise.all(adds);
    await sink.close();
    expect(sink.written).toEqual(['part-00004', 'part-00005']);
    const rows = await readParts(dir);
    expect(rows.map((r) => [r.file, r.row, r.path, r.height, r.width])).toEqual([
      ['part-00004.parquet', 0, 'in0', 10, 20],
      ['part-00004.parquet', 1, 'in1', 11, 21],
      ['part-00005.parquet', 0, 'in3', 13, 23],
      ['part-00005.parquet', 1, 'in4', 14, 24],
    ]);
    expect(parseNpy(readFileSync(path.join(dir, 'part-00005.npy')), 'p').data).toEqual(Float32Array.of(3, 3.5, -3, 4, 4.5, -4));
  });
});
