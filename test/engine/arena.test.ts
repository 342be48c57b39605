// ArenaAllocator (src/engine/fast/memory.ts): per-thread scratch slots are disjoint, sized, one L2 apart from each other and from their neighbours, and released whole.
import { describe, expect, it } from 'vitest';
import { blocking } from '../../src/engine/fast/machine.js';
import { allocSpan as taken, ArenaAllocator, SharedHeap } from '../../src/engine/fast/memory.js';

describe('per-thread slots', () => {
  it('give each thread its own 64-byte aligned buffer of at least the asked bytes, one L2 apart, none touching the buffers around them', () => {
    const gap = blocking().threadGap;
    expect(gap).toBeGreaterThan(0);
    for (const threads of [2, 3, 8]) {
      for (const bytes of [1, 100, 4096, 70592, 1 << 20]) {
        const arena = new ArenaAllocator(new SharedHeap());
        const before = arena.alloc(1000);
        const slots = arena.allocPerThread(bytes, threads);
        const after = arena.alloc(1000);
        expect(slots.ptr % 64).toBe(0);
        expect(slots.stride % 64).toBe(0);
        expect(slots.stride).toBeGreaterThanOrEqual(bytes + gap);
        // The first slot starts a gap after the buffer before it; the last ends a gap before the next buffer.
        expect(slots.ptr - (before + taken(1000))).toBeGreaterThanOrEqual(gap);
        const lastEnd = slots.ptr + (threads - 1) * slots.stride + bytes;
        expect(after - lastEnd).toBeGreaterThanOrEqual(gap);
        expect(slots.base + taken(slots.span)).toBeLessThanOrEqual(after);
      }
    }
  });

  it('pack slots tight on one thread, and release the whole span for later buffers', () => {
    const arena = new ArenaAllocator(new SharedHeap());
    const one = arena.allocPerThread(1000, 1);
    expect(one.ptr).toBe(one.base);
    expect(one.stride).toBe(1024);
    const two = arena.allocPerThread(5000, 2);
    arena.releasePerThread(two);
    // The freed span takes a buffer as large as it was, at its start.
    expect(arena.alloc(two.span)).toBe(two.base);
  });

  it('count as used only the bytes buffers occupy, not the gaps no buffer took', () => {
    const gap = blocking().threadGap;
    const arena = new ArenaAllocator(new SharedHeap());
    arena.alloc(1000);
    const slots = arena.allocPerThread(5000, 2);
    expect(arena.usedBytes).toBe(taken(1000) + 2 * taken(5000));
    expect(arena.finish()).toBeGreaterThanOrEqual(taken(1000) + 3 * gap + 2 * 5000);
    // A later buffer placed in the freed span counts once, wherever it overlaps the slots.
    arena.releasePerThread(slots);
    arena.alloc(slots.span);
    expect(arena.usedBytes).toBe(taken(1000) + taken(slots.span));
  });
});
