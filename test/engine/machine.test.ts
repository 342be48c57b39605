// The machine's caches (src/engine/fast/machine.ts): read from Linux sysfs, /proc/cpuinfo or CNNX_CACHE_SIZES, with
// safe defaults; the blocking derived from them changes which outputs are computed together, never their bytes.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FastEngine } from '../../src/engine/fast/index.js';
import { blocking, cacheSizes, cpuList, DEFAULT_CACHES, parseCacheOverride, parseCpuinfoCache, readSysfsCaches } from '../../src/engine/fast/machine.js';
import type { Layer } from '../../src/network/types.js';
import { tempDir } from '../helpers.js';
import { caseFor, mulberry32, sameBytes, wholeRun, type Case } from './fast-nets.js';
import { randomConv } from './routine-check.js';

/** A sysfs cpu directory with cpu0's caches given as [level, type, size, shared_cpu_list], and its SMT siblings. */
function fakeSysfs(caches: readonly [number, string, string, string][], siblings = '0'): string {
  const root = tempDir();
  mkdirSync(path.join(root, 'cpu0', 'topology'), { recursive: true });
  writeFileSync(path.join(root, 'cpu0', 'topology', 'thread_siblings_list'), `${siblings}\n`);
  caches.forEach(([level, type, size, shared], i) => {
    const dir = path.join(root, 'cpu0', 'cache', `index${i}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'level'), `${level}\n`);
    writeFileSync(path.join(dir, 'type'), `${type}\n`);
    writeFileSync(path.join(dir, 'size'), `${size}\n`);
    writeFileSync(path.join(dir, 'shared_cpu_list'), `${shared}\n`);
  });
  return root;
}

describe('machine: cache sizes', () => {
  afterEach(() => {
    delete process.env.CNNX_CACHE_SIZES;
  });

  it('reads Linux sysfs: L1d (not L1i), L2 per core (SMT siblings count once), L3 whole', () => {
    const root = fakeSysfs([[1, 'Data', '48K', '0-1'], [1, 'Instruction', '32K', '0-1'], [2, 'Unified', '2048K', '0-1'], [3, 'Unified', '32768K', '0-15']], '0-1');
    expect(readSysfsCaches(root)).toEqual({ l1d: 48 * 1024, l2: 2048 * 1024, l3: 32 * 1024 * 1024 });
    // An L2 shared by a cluster of 4 cores (no SMT) gives each a quarter.
    const cluster = fakeSysfs([[1, 'Data', '64K', '0'], [2, 'Unified', '4096K', '0-3']]);
    expect(readSysfsCaches(cluster)).toEqual({ l1d: 64 * 1024, l2: 1024 * 1024, l3: 0 });
    expect(readSysfsCaches(path.join(tempDir(), 'absent'))).toBeNull();
  });

  it("reads /proc/cpuinfo's one size: the L2 on AMD, the L3 on Intel, nothing elsewhere", () => {
    expect(parseCpuinfoCache('vendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\ncache size\t: 1024 KB\n')).toEqual({ l2: 1024 * 1024 });
    expect(parseCpuinfoCache('vendor_id\t: GenuineIntel\ncache size\t: 36608 KB\n')).toEqual({ l3: 36608 * 1024 });
    expect(parseCpuinfoCache('processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd\n')).toBeNull();
    expect(parseCpuinfoCache('vendor_id\t: AuthenticAMD\n')).toBeNull();
  });

  it('reads CPU lists and parses CNNX_CACHE_SIZES (bytes or K/M suffixes; invalid is ignored)', () => {
    expect(cpuList('0').length).toBe(1);
    expect(cpuList('0-3,8-11\n').length).toBe(8);
    expect(cpuList('0-3,8,10-11\n')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(cpuList('1')).toEqual([1]);
    expect(parseCacheOverride('48K,1M,32M')).toEqual({ l1d: 48 * 1024, l2: 1024 * 1024, l3: 32 * 1024 * 1024 });
    expect(parseCacheOverride('32768,524288')).toEqual({ l1d: 32768, l2: 524288, l3: 0 });
    expect(parseCacheOverride('big,1M')).toBeNull();
    process.env.CNNX_CACHE_SIZES = '64K,2M';
    expect(cacheSizes()).toEqual({ l1d: 64 * 1024, l2: 2 * 1024 * 1024, l3: 0, source: 'env' });
    process.env.CNNX_CACHE_SIZES = 'nonsense';
    expect(cacheSizes().source).not.toBe('env');
  });

  it('gives this machine positive sizes, and blocking budgets that follow them', () => {
    const c = cacheSizes();
    expect(c.l1d).toBeGreaterThan(0);
    expect(c.l2).toBeGreaterThan(0);
    expect(['sysfs', 'cpuinfo', 'default']).toContain(c.source);
    expect(blocking(DEFAULT_CACHES)).toEqual({ l1Chunk: 16 * 1024, l2Budget: 450 * 1024, l2Products: 256 * 1024, ownPadding: 128 * 1024, stripGroup: 256 * 1024, threadGap: 512 * 1024 });
    expect(blocking({ l1d: 32 * 1024, l2: 1024 * 1024, l3: 0, source: 'env' })).toEqual({ l1Chunk: 16 * 1024, l2Budget: 900 * 1024, l2Products: 512 * 1024, ownPadding: 256 * 1024, stripGroup: 512 * 1024, threadGap: 1024 * 1024 });
    // A huge L2 (an override) does not spread the arena without bound.
    expect(blocking({ l1d: 32 * 1024, l2: 64 << 20, l3: 0, source: 'env' }).threadGap).toBe(4 << 20);
  });
});

/** Convs whose routines block by the caches: 2-D Winograd chunks (L2), row-wise Winograd batches (L2), the direct routine's pooled column chunks (L1). */
function blockedCases(): Case[] {
  const r = mulberry32(18);
  const relu = (index: number): Layer => ({ type: 'relu', index });
  const pool = (index: number, k: number): Layer => ({ type: 'maxpool2d', index, kernelSize: [k, k], stride: [k, k], padding: [0, 0], dilation: [1, 1], ceilMode: false });
  const make = (layers: Layer[], channels: number, height: number, width: number): Case => {
    const c = caseFor(r, layers.map((l, index) => ({ ...l, index })), { channels, height, width });
    if (!c) throw new Error('no case');
    return c;
  };
  return [
    // winograd2d: 32 -> 64 channels on 68 x 200 (50 tiles a row), then a 2x2 pool.
    make([randomConv(r, { cin: 32, cout: 64, kernel: [3, 3] }), relu(1), pool(2, 2)], 32, 68, 200),
    // winograd1d: 5 x 3, on a narrow map (several rows per GEMM batch).
    make([randomConv(r, { cin: 16, cout: 24, kernel: [5, 3] }), relu(1)], 16, 41, 20),
    // direct with a fused pool: 2 x 5, 12 -> 8 channels, in L1 column chunks.
    make([randomConv(r, { cin: 12, cout: 8, kernel: [2, 5] }), relu(1), pool(2, 2)], 12, 30, 700),
  ];
}

describe('machine: blocking never changes results', () => {
  afterEach(() => {
    delete process.env.CNNX_CACHE_SIZES;
  });

  it('gives the same bytes for tiny, default and huge caches, on 1 and 2 threads', async () => {
    const cases = blockedCases();
    const outputs: Float32Array[][] = [];
    for (const setting of ['', '4K,16K', '48K,1M', '1M,64M,256M']) {
      if (setting) process.env.CNNX_CACHE_SIZES = setting;
      else delete process.env.CNNX_CACHE_SIZES;
      for (const threads of [1, 2]) {
        const engine = await FastEngine.create(threads);
        try {
          const outs: Float32Array[] = [];
          for (const c of cases) outs.push((await wholeRun(engine, c)).data);
          outputs.push(outs);
        } finally {
          await engine.close();
        }
      }
    }
    for (const outs of outputs.slice(1)) for (const [i, o] of outs.entries()) expect(sameBytes(o, outputs[0][i])).toBe(true);
  });
});
