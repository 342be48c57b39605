// Phase items (plan-parts.ts share / shareRanges): contiguous ranges that cover [0, n) exactly, one per thread count's worth.
import { describe, expect, it } from 'vitest';
import { share, shareRanges } from '../../src/engine/fast/plan-parts.js';
import { TID } from '../../src/engine/fast/protocol.js';

describe('phase items', () => {
  it('cut [0, n) into contiguous, non-empty ranges: one with one thread, at most 4 per thread otherwise, at most n', () => {
    for (const n of [0, 1, 2, 3, 7, 8, 9, 100, 513]) {
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
          expect(ranges.length).toBe(n === 0 ? 0 : threads === 1 ? 1 : Math.min(n, perThread * threads));
        }
      }
    }
  });

  it('make one item per range, with TID standing for the worker that takes it', () => {
    const phase = share(10, 2, (a, b) => [['f', 7, a, b, TID]]);
    expect(phase).toEqual(shareRanges(10, 2).map(([a, b]) => [['f', 7, a, b, TID]]));
    expect(phase.length).toBe(8);
  });
});
