// How long workers spin at a barrier before they sleep: long while every worker the process runs has a core of its own, short once they outnumber the cores (a spinning worker would take a core from one still working).
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { SharedHeap } from '../../src/engine/fast/memory.js';
import { nextSpin, type Call, type Phase, type ToWorker } from '../../src/engine/fast/protocol.js';
import { barrierSpinMs, WorkerPool } from '../../src/engine/fast/worker-pool.js';
import { loadSimdModule } from '../../src/wasm/loader.js';

describe('barrier spin', () => {
  it('is longer while the workers have a core each than when they outnumber the cores', () => {
    expect(barrierSpinMs(2, 2)).toBeGreaterThan(barrierSpinMs(3, 2));
    expect(barrierSpinMs(1, 8)).toBe(barrierSpinMs(8, 8));
    expect(barrierSpinMs(9, 8)).toBe(barrierSpinMs(3, 2));
    expect(barrierSpinMs(3, 2)).toBeGreaterThan(0);
  });

  it('backs off when the others keep not arriving within it, and grows back when they do', () => {
    let spin = Infinity;
    const trace: number[] = [];
    for (const inTime of [false, false, false, false, true, true, true, true]) trace.push((spin = nextSpin(Math.min(5, spin), 5, inTime)));
    expect(trace).toEqual([2.5, 1.25, 1, 1, 2, 4, 5, 5]);
    // A message's spin below 1 ms is kept as it is.
    expect(nextSpin(0.5, 0.5, false)).toBe(0.5);
  });

  it('goes out with every run, counting the workers of every pool the process has started and not closed', async () => {
    const module = await loadSimdModule('plain');
    const heap = new SharedHeap();
    const solo = await WorkerPool.start(1, module, heap.memory);
    const sent: number[] = [];
    const worker = (solo as unknown as { workers: { postMessage(m: ToWorker): void }[] }).workers[0];
    const post = worker.postMessage.bind(worker);
    worker.postMessage = (m: ToWorker) => {
      if (m.type === 'run') sent.push(m.spin);
      post(m);
    };
    // Two phases (one barrier) of one item each: pool_rows_f32 with a 1x1 window copies 16 floats.
    const a = heap.alloc(64);
    const b = heap.alloc(64);
    const tmp = heap.alloc(256);
    const copy = (src: number, dst: number): Phase => [[['pool_rows_f32', 1, src, 1, 1, 16, 16, 1, 1, 16, dst, 16, 1, tmp] as Call]];
    const phases = [copy(a, b), copy(b, a)];
    const cores = availableParallelism();
    try {
      await solo.run(phases);
      const crowd = await WorkerPool.start(cores, module, new SharedHeap().memory);
      await solo.run(phases);
      await crowd.close();
      await solo.run(phases);
    } finally {
      await solo.close();
    }
    expect(sent).toEqual([barrierSpinMs(1, cores), barrierSpinMs(1 + cores, cores), barrierSpinMs(1, cores)]);
    expect(sent[0]).toBeGreaterThan(sent[1]);
  });
});
