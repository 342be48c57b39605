// Phase items (plan-parts.ts share / shareRanges): contiguous ranges that cover [0, n) exactly; guided ones fall in size, so threads that take them in order finish close together.
import { describe, expect, it } from 'vitest';
import { share, shareRanges } from '../../src/engine/fast/plan-parts.js';
import { TID } from '../../src/engine/fast/protocol.js';

/** The time the last of `threads` equally fast threads finishes when each takes the next item as soon as it is free; `cost` per unit. */
function finish(ranges: [number, number][], threads: number, cost: (unit: number) => number = () => 1): number {
  const free = new Array(threads).fill(0);
  for (const [a, b] of ranges) {
    const t = free.indexOf(Math.min(...free));
    for (let u = a; u < b; u++) free[t] += cost(u);
  }
  return Math.max(...free);
}

const SIZES = [0, 1, 2, 3, 7, 8, 9, 10, 14, 43, 56, 100, 128, 513, 2052, 100000];

describe('phase items', () => {
  it('cut [0, n) into contiguous, non-empty ranges: one with one thread, min(n, threads) equal ones one per thread', () => {
    for (const n of SIZES) {
      for (const threads of [1, 2, 3, 8]) {
        for (const split of ['guided', 'one-per-thread'] as const) {
          const ranges = shareRanges(n, threads, split);
          let next = 0;
          for (const [a, b] of ranges) {
            expect(a).toBe(next);
            expect(b).toBeGreaterThan(a);
            next = b;
          }
          expect(next).toBe(n);
          if (n === 0) expect(ranges).toEqual([]);
          else if (threads === 1) expect(ranges).toEqual([[0, n]]);
          else if (split === 'one-per-thread') {
            expect(ranges.length).toBe(Math.min(n, threads));
            const sizes = ranges.map(([a, b]) => b - a);
            expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
          }
        }
      }
    }
  });

  it('guided: sizes never grow, none below 1 / (16 x threads) of n but the last, about 6 per thread on big phases', () => {
    for (const n of SIZES.filter((n) => n > 0)) {
      for (const threads of [2, 3, 8]) {
        const sizes = shareRanges(n, threads).map(([a, b]) => b - a);
        for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeLessThanOrEqual(sizes[i - 1]);
        for (const s of sizes.slice(0, -1)) expect(s).toBeGreaterThanOrEqual(Math.ceil(n / (16 * threads)));
        expect(sizes[0]).toBe(Math.ceil(n / (2 * threads)));
        expect(sizes.length).toBeLessThanOrEqual(16 * threads);
        if (n >= 1000) expect(sizes.length / threads).toBeGreaterThan(4);
        if (n >= 1000) expect(sizes.length / threads).toBeLessThan(9);
      }
    }
  });

  it('guided: equally fast threads taking items in order finish within the last item of each other', () => {
    for (const n of SIZES.filter((n) => n >= 2)) {
      for (const threads of [2, 3]) {
        const ranges = shareRanges(n, threads);
        const last = Math.max(...ranges.slice(-threads).map(([a, b]) => b - a));
        expect(finish(ranges, threads)).toBeLessThanOrEqual(Math.ceil(n / threads) + last);
      }
    }
    // VGG's 56x56 layers: 14 GEMM batches on 2 threads end level (4 3 2 2 1 1 1), where 8 items of 1 or 2 could leave a thread 2 batches behind.
    expect(shareRanges(14, 2).map(([a, b]) => b - a)).toEqual([4, 3, 2, 2, 1, 1, 1]);
    expect(finish(shareRanges(14, 2), 2)).toBe(7);
    // Units of two sizes (tile rows of 5 and 6 in one map): the threads still end within a small item.
    const cost = (u: number) => (u % 3 === 0 ? 1.2 : 1);
    const total = Array.from({ length: 128 }, (_, u) => cost(u)).reduce((a, b) => a + b, 0);
    expect(finish(shareRanges(128, 2), 2, cost)).toBeLessThan(total / 2 + 4 * 1.2);
  });

  it('make one item per range, with TID standing for the worker that takes it', () => {
    const phase = share(9, 2, (a, b) => [['f', 7, a, b, TID]]);
    expect(phase).toEqual(shareRanges(9, 2).map(([a, b]) => [['f', 7, a, b, TID]]));
    expect(phase.length).toBe(shareRanges(9, 2).length);
    expect(share(9, 2, (a, b) => [['f', a, b]], 'one-per-thread')).toEqual([[['f', 0, 4]], [['f', 4, 9]]]);
  });
});
