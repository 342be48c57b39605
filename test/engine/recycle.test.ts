// Engine.recycle: an output array handed back is overwritten by a later run's output of its length (no fresh pages), with
// the same bytes as a fresh array; views and arrays of other lengths are not taken. While idle after a run, the engine
// prepares the arrays the next run of the same outputs takes (from its second run on), unless spare ones are waiting,
// and nothing once closed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnginePool } from '../../src/batch/engine-pool.js';
import { FastEngine } from '../../src/engine/fast/index.js';
import type { Layer } from '../../src/network/types.js';
import { caseFor, mulberry32, sameBytes, wholeRun, type Case } from './fast-nets.js';
import { randomConv } from './routine-check.js';

/** Lets timers run: the engine prepares its next output arrays once this thread is idle. */
const idle = () => new Promise((resolve) => setTimeout(resolve, 20));

function convCase(seed: number, width: number): Case {
  const r = mulberry32(seed);
  const c = caseFor(r, [randomConv(r, { cin: 3, cout: 8, kernel: [3, 3] }), { type: 'relu', index: 1 } as Layer], { channels: 3, height: 20, width });
  if (!c) throw new Error('no case');
  return c;
}

/** The same network and shape on another input. */
function otherInput(c: Case, seed: number): Case {
  const r = mulberry32(seed);
  return { ...c, input: { ...c.input, data: Float32Array.from(c.input.data, () => r() * 2 - 1) } };
}

describe('Engine.recycle', () => {
  let engine: FastEngine;
  beforeAll(async () => {
    engine = await FastEngine.create(2);
  });
  afterAll(async () => {
    await engine.close();
  });

  it('reuses a recycled array for the next output of its length, with the bytes of a fresh run', async () => {
    const a = convCase(1, 24);
    const b = otherInput(a, 2);
    const first = await wholeRun(engine, a);
    const expected = (await wholeRun(engine, b)).data.slice();
    engine.recycle(first.data);
    const second = await wholeRun(engine, b);
    expect(second.data).toBe(first.data);
    expect(sameBytes(second.data, expected)).toBe(true);
    // Taken once: the next run gets another array.
    expect((await wholeRun(engine, b)).data).not.toBe(first.data);
  });

  it('leaves arrays of other lengths and views into larger buffers alone', async () => {
    const a = convCase(3, 24);
    const other = convCase(4, 28);
    expect(other.shapes.at(-1)).not.toEqual(a.shapes.at(-1));
    const out = await wholeRun(engine, a);
    engine.recycle(out.data);
    expect((await wholeRun(engine, other)).data).not.toBe(out.data);
    // Still kept for its own length.
    expect((await wholeRun(engine, a)).data).toBe(out.data);
    const n = out.data.length;
    const view = new Float32Array(new ArrayBuffer(4 * (n + 4)), 16, n);
    engine.recycle(view);
    expect((await wholeRun(engine, a)).data).not.toBe(view);
  });

  it('prepares the next output array while idle, which the next run takes, with the bytes of a fresh run', async () => {
    const fresh = await FastEngine.create(2);
    const held = fresh as unknown as { spare: Float32Array[]; prepared: Float32Array[] };
    try {
      const a = convCase(6, 24);
      const b = otherInput(a, 7);
      // A one-shot engine prepares nothing; from the second run on, the next run's array is made while idle.
      await wholeRun(fresh, a);
      await idle();
      expect(held.prepared).toEqual([]);
      const first = await wholeRun(fresh, a);
      await idle();
      expect(held.prepared.map((s) => s.length)).toEqual([first.data.length]);
      const prepared = held.prepared[0];
      expect(prepared).not.toBe(first.data);
      const second = await wholeRun(fresh, b);
      expect(second.data).toBe(prepared);
      expect(sameBytes(second.data, (await wholeRun(engine, b)).data)).toBe(true);
      // A recycled array is taken before the one prepared after the last run, which is kept, not made again.
      await idle();
      const again = held.prepared[0];
      fresh.recycle(first.data);
      expect((await wholeRun(fresh, a)).data).toBe(first.data);
      await idle();
      expect(held.prepared).toEqual([again]);
      // Outputs of another length: the arrays prepared for the old one are dropped.
      const other = await wholeRun(fresh, convCase(8, 28));
      await idle();
      expect(held.prepared.map((s) => s.length)).toEqual([other.data.length]);
    } finally {
      await fresh.close();
    }
    await idle();
    expect(held.prepared).toEqual([]);
    expect(held.spare).toEqual([]);
  });

  it('through an EnginePool: each array goes to one engine, in turn', async () => {
    const other = await FastEngine.create(1);
    const pool = new EnginePool([engine, other]);
    const a = convCase(5, 24);
    const x = await wholeRun(engine, a);
    const y = await wholeRun(other, a);
    pool.recycle(x.data);
    pool.recycle(y.data);
    const got = [(await wholeRun(engine, a)).data, (await wholeRun(other, a)).data];
    expect(got).toContain(x.data);
    expect(got).toContain(y.data);
    await other.close();
  });
});
