// Phase items (plan-parts.ts share / shareRanges): contiguous ranges that cover [0, n) exactly, a few per thread, of equal size when few units make each.
import { describe, expect, it } from 'vitest';
import { share, shareRanges } from '../../src/engine/fast/plan-parts.js';
import { TID } from '../../src/engine/fast/protocol.js';

describe('phase items', () => {
  it('cut [0, n) into contiguous, non-empty ranges: one with one thread, else perThread per thread or up to twice that to make them equal', () => {
    for (const n of [0, 1, 2, 3, 7, 8, 9, 10, 14, 56, 100, 513, 2052]) {
      for (const threads of [1, 2, 3]) {
        for (const perThread of [1, 4]) {
          const ranges = shareRanges(n, threads, perThread);
          let next = 0;
          for (const [a, b] of ranges) {
            expect(a).toBe(next);
            expect(b).toBeGreaterThan(a);
            next = b;
          }
          expect(next).toBe(n);
          const want = Math.min(n, perThread * threads);
          if (n === 0 || threads === 1) expect(ranges.length).toBe(n === 0 ? 0 : 1);
          else if (ranges.length !== want) {
            // More items only to make them equal and a multiple of the threads.
            expect(ranges.length).toBeLessThanOrEqual(2 * want);
            expect(ranges.length % threads).toBe(0);
            expect(new Set(ranges.map(([a, b]) => b - a)).size).toBe(1);
          }
        }
      }
    }
  });

  it('give equal items when a few units make each: 14 GEMM batches on 2 threads are 14 items, not 8 of 1 or 2', () => {
    expect(shareRanges(14, 2)).toEqual(Array.from({ length: 14 }, (_, i) => [i, i + 1]));
    expect(shareRanges(10, 2).length).toBe(10);
    // 14 on 3 threads: no equal count in 12..24 that 3 divides, so 12 as asked.
    expect(shareRanges(14, 3).length).toBe(12);
    expect(shareRanges(56, 2).map(([a, b]) => b - a)).toEqual(Array(8).fill(7));
    // Many units per item: unequal items then differ by one unit in hundreds, so the count stays.
    expect(shareRanges(2052, 2).length).toBe(8);
    for (const n of [13, 7, 2]) expect(shareRanges(n, 2).length).toBe(Math.min(n, 8));
  });

  it('make one item per range, with TID standing for the worker that takes it', () => {
    const phase = share(9, 2, (a, b) => [['f', 7, a, b, TID]]);
    expect(phase).toEqual(shareRanges(9, 2).map(([a, b]) => [['f', 7, a, b, TID]]));
    expect(phase.length).toBe(8);
  });
});
