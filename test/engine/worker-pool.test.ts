// The worker pool's runs: phases in order with the workers' own barrier between them (late workers joining where the others are), and failures that reject the run instead of leaving the other workers waiting at a barrier.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SharedHeap } from '../../src/engine/fast/memory.js';
import { PHASE_LISTS_KEPT, type Call, type Phase } from '../../src/engine/fast/protocol.js';
import { WorkerPool } from '../../src/engine/fast/worker-pool.js';
import { loadSimdModule } from '../../src/wasm/loader.js';

let heap: SharedHeap;
let pool: WorkerPool;

beforeAll(async () => {
  heap = new SharedHeap();
  pool = await WorkerPool.start(3, await loadSimdModule('plain'), heap.memory);
});

afterAll(async () => {
  await pool.close();
});

/**
 * A phase that copies `n` floats from src to dst in `items` pieces. The SIMD module exports no plain
 * copy, so pool_rows_f32 with a 1x1 max window does it (one channel, one row per piece); each piece
 * has its own scratch row, since pieces run at once on different workers.
 */
function copyPhase(src: number, dst: number, n: number, items: number, scratch: number): Phase {
  const per = Math.ceil(n / items);
  const phase: (readonly Call[])[] = [];
  for (let a = 0, i = 0; a < n; a += per, i++) {
    const len = Math.min(per, n - a);
    // pool_rows_f32(kind, src, channels, kh, w, plane, kw, sw, ow, dst, dplane, divisor, tmp)
    phase.push([['pool_rows_f32', 1, src + a * 4, 1, 1, len, len, 1, 1, len, dst + a * 4, len, 1, scratch + i * (per + 16) * 4]]);
  }
  return phase;
}

describe('worker pool', () => {
  it('runs a message of many phases in order: each phase reads what the previous one wrote, on 3 workers, however late each joins', async () => {
    const n = 4096;
    const bufs = Array.from({ length: 6 }, () => heap.alloc(n * 4));
    const scratch = heap.alloc(n * 4 + 7 * 64);
    const f = heap.floats;
    for (let i = 0; i < n; i++) f[(bufs[0] >> 2) + i] = i + 0.5;
    for (let b = 1; b < bufs.length; b++) f.fill(-1, bufs[b] >> 2, (bufs[b] >> 2) + n);
    // Buffer 0 -> 1 -> 2 -> ... -> 5, each hop a phase of 7 items: a phase that started early would copy -1s.
    const phases = bufs.slice(1).map((dst, i) => copyPhase(bufs[i], dst, n, 7, scratch));
    // Pauses of 0-3 ms let the workers fall asleep in between, so their messages wake them at different
    // times and late workers join phases the others have reached (a sleeping thread wakes in ~0.1-3 ms).
    for (let round = 0; round < 120; round++) {
      f.fill(-1, bufs[5] >> 2, (bufs[5] >> 2) + n);
      if (round % 3 !== 0) await new Promise((resolve) => setTimeout(resolve, round % 4));
      await pool.run(phases);
      const out = heap.floats.subarray(bufs[5] >> 2, (bufs[5] >> 2) + n);
      expect(out.every((v, i) => v === i + 0.5)).toBe(true);
    }
  });

  it('rejects a run whose item fails, on every phase position, and keeps working afterwards', async () => {
    const n = 256;
    const a = heap.alloc(n * 4);
    const b = heap.alloc(n * 4);
    const good = copyPhase(a, b, n, 5, heap.alloc(n * 4 + 5 * 64));
    const bad: Phase = [[['no_such_export', 1]], ...good];
    for (const phases of [[bad, good, good], [good, bad, good], [good, good, bad]]) {
      await expect(pool.run(phases)).rejects.toThrow(/fast engine worker/);
    }
    await expect(pool.run([good, good])).resolves.toBeUndefined();
  });

  it('times each worker\'s share when asked: in items, at barriers, waking; summed over run messages until taken', async () => {
    const n = 1 << 18;
    const bufs = Array.from({ length: 4 }, () => heap.alloc(n * 4));
    const scratch = heap.alloc(n * 4 + 13 * 64);
    const phases = bufs.slice(1).map((dst, i) => copyPhase(bufs[i], dst, n, 12, scratch));
    await pool.run(phases);
    expect(pool.takeTimes()).toEqual([0, 1, 2].map(() => ({ wake: 0, busy: 0, wait: 0 })));
    pool.timed = true;
    try {
      await pool.run(phases);
      const once = pool.takeTimes();
      expect(once).toHaveLength(3);
      for (const t of once) for (const ms of [t.wake, t.busy, t.wait]) expect(ms).toBeGreaterThanOrEqual(0);
      // 3 phases of 12 items copying 1 MiB each: some worker spent time in items.
      expect(once.some((t) => t.busy > 0)).toBe(true);
      expect(pool.takeTimes().every((t) => t.wake === 0 && t.busy === 0 && t.wait === 0)).toBe(true);
      await pool.run(phases);
      await pool.run(phases);
      expect(pool.takeTimes().reduce((a, t) => a + t.busy, 0)).toBeGreaterThan(0);
    } finally {
      pool.timed = false;
    }
    await pool.run(phases);
    expect(pool.takeTimes().every((t) => t.busy === 0)).toBe(true);
  });

  it('runs the lists it kept and the ones it dropped alike: more lists than the workers keep, in turn, each run again', async () => {
    const n = 512;
    const lists = PHASE_LISTS_KEPT + 3;
    const src = heap.alloc(n * 4);
    const dsts = Array.from({ length: lists }, () => heap.alloc(n * 4));
    const scratch = heap.alloc(n * 4 + 7 * 64);
    const f = heap.floats;
    for (let i = 0; i < n; i++) f[(src >> 2) + i] = i * 3 + 1;
    // Each list copies src into a destination of its own; runs of a list after the workers dropped it send it again.
    const phases = dsts.map((dst) => [copyPhase(src, dst, n, 3, scratch)]);
    for (const order of [[...phases.keys()], [...phases.keys()].reverse(), [0, 0, lists - 1, 1, lists - 1]]) {
      for (const k of order) {
        heap.floats.fill(-1, dsts[k] >> 2, (dsts[k] >> 2) + n);
        await pool.run(phases[k]);
        expect(heap.floats.subarray(dsts[k] >> 2, (dsts[k] >> 2) + n).every((v, i) => v === i * 3 + 1), `list ${k}`).toBe(true);
      }
    }
  });
});
