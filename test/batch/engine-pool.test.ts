// The batch engine pool: at most one caller per engine, everyone served, and one engine per core only when it helps.
import { expect, test } from 'vitest';
import { createEnginePool, EnginePool } from '../../src/batch/engine-pool.js';
import type { Engine } from '../../src/engine/engine.js';

function fakeEngine(): Engine & { busy: number; peak: number; closed: boolean } {
  return {
    kind: 'reference',
    busy: 0,
    peak: 0,
    closed: false,
    async run() {
      return [];
    },
    async close() {
      this.closed = true;
    },
  };
}

test('two engines serve five callers, never two at once on one engine', async () => {
  const engines = [fakeEngine(), fakeEngine()];
  const pool = new EnginePool(engines);
  let running = 0;
  let peakRunning = 0;
  const order: number[] = [];
  await Promise.all(
    [0, 1, 2, 3, 4].map((i) =>
      pool.use(async (engine) => {
        const e = engine as ReturnType<typeof fakeEngine>;
        e.busy++;
        e.peak = Math.max(e.peak, e.busy);
        running++;
        peakRunning = Math.max(peakRunning, running);
        await new Promise((r) => setTimeout(r, 5 + i));
        running--;
        e.busy--;
        order.push(i);
      }),
    ),
  );
  expect(order.sort()).toEqual([0, 1, 2, 3, 4]);
  expect(peakRunning).toBe(2);
  expect(engines.map((e) => e.peak)).toEqual([1, 1]);
  await pool.close();
  expect(engines.every((e) => e.closed)).toBe(true);
});

test('one engine for one image, an explicit --threads or the reference engine; one per core otherwise', async () => {
  const sizes = async (kind: 'fast' | 'reference', threads: number | undefined, images: number) => {
    const pool = await createEnginePool(kind, { threads, images, cores: 2 });
    const size = pool.size;
    // What memory budgets count per run: the threads of an engine, whose work buffers are a slot a thread.
    const each = pool.threads;
    await pool.close();
    return [size, each];
  };
  expect((await sizes('fast', undefined, 1))[0]).toBe(1);
  expect(await sizes('fast', 3, 1)).toEqual([1, 3]);
  expect(await sizes('fast', 2, 10)).toEqual([1, 2]);
  expect(await sizes('reference', undefined, 10)).toEqual([1, 1]);
  expect(await sizes('fast', undefined, 10)).toEqual([2, 1]);
});
