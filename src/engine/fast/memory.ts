// The one shared WebAssembly.Memory of the fast engine and a bump allocator over it.
import { MAX_PAGES } from '../../wasm/loader.js';
import { index32 } from './address.js';
import { EngineMemoryError } from '../engine.js';
import { MEMORY } from './layout.js';
import { blocking } from './machine.js';

const PAGE = 65536;
/** Bytes kept free at address 0 (see MEMORY in src/wasm/layout.json: static data, the workers' barrier and work counters). */
const RESERVED: number = MEMORY.RESERVED;
/** The workers' barrier between the phases of one run message, then one work counter per phase (see MEMORY). */
export const BARRIER = MEMORY.BARRIER;
export const WORK_COUNTERS = MEMORY.WORK_COUNTERS;
/** Phases one run message may carry: as many counters as the reserved page holds. */
export const MAX_PHASES_PER_RUN = Math.floor((RESERVED - WORK_COUNTERS) / 64);

/** Bytes one allocation of `bytes` takes, on the heap (SharedHeap.alloc) or in an arena: the slack after them, then up to the next 64-byte boundary (the top stays 64-byte aligned). */
export function allocSpan(bytes: number): number {
  return align(bytes + 256, 64);
}

/** The exports of the SIMD module that the main thread calls itself (the packers), rather than the workers. */
export interface MainThreadSimd {
  winograd_filters_f32(src: number, ocg: number, icg: number, scales: number, tile: number, dst: number, panel: number, tmp: number): void;
  conv_weights_f32(src: number, ocg: number, k: number, scales: number, dst: number): void;
}

export class SharedHeap {
  readonly memory: WebAssembly.Memory;
  /** Bytes the heap may grow to: the memory's 4 GiB, or less (a test's small engine). */
  readonly limit: number;
  /**
   * The SIMD module instantiated on this thread over this memory (FastEngine.create sets it): the packers of
   * Winograd and GEMM weights run on it. A heap without it (tests of the packers) packs in JavaScript, the reference.
   */
  simd?: MainThreadSimd;
  private top = RESERVED;
  private f32?: Float32Array;
  private i32?: Int32Array;
  private u8?: Uint8Array;

  constructor(limit = MAX_PAGES * PAGE) {
    this.memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
    this.limit = Math.min(limit, MAX_PAGES * PAGE);
  }

  /** Allocates `bytes` (64-byte aligned, plus 256 bytes of slack the micro-kernels may over-read), growing the memory. */
  alloc(bytes: number): number {
    const at = this.top;
    this.top = at + allocSpan(bytes);
    this.ensure(this.top);
    return at;
  }

  /** Whether an allocation of `bytes` would stay within the limit. */
  fits(bytes: number): boolean {
    return this.top + allocSpan(bytes) <= this.limit;
  }

  /** Grows the memory so that addresses below `end` exist. */
  ensure(end: number): void {
    if (end > this.limit) throw new EngineMemoryError(end, this.limit);
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      try {
        this.memory.grow(pages);
      } catch {
        // The system would not give the memory, below the 4 GiB maximum.
        throw new EngineMemoryError(end, have);
      }
      this.f32 = this.i32 = undefined;
    }
  }

  /** Current top of the heap (the next allocation's address). */
  get mark(): number {
    return this.top;
  }

  /** Frees everything allocated at or above `mark` (an earlier value of `this.mark`). */
  release(mark: number): void {
    this.top = mark;
  }

  /** A Float32Array over the whole memory (re-created after growth). */
  get floats(): Float32Array {
    if (!this.f32 || this.f32.buffer.byteLength !== this.memory.buffer.byteLength) this.f32 = new Float32Array(this.memory.buffer);
    return this.f32;
  }

  /** A view of the `n` floats at byte address `ptr`. */
  floatsAt(ptr: number, n: number): Float32Array {
    return this.floats.subarray(index32(ptr), index32(ptr) + n);
  }

  /** A Uint8Array over the whole memory (re-created after growth). */
  get bytes(): Uint8Array {
    if (!this.u8 || this.u8.buffer.byteLength !== this.memory.buffer.byteLength) this.u8 = new Uint8Array(this.memory.buffer);
    return this.u8;
  }

  get ints(): Int32Array {
    if (!this.i32 || this.i32.buffer.byteLength !== this.memory.buffer.byteLength) this.i32 = new Int32Array(this.memory.buffer);
    return this.i32;
  }

  /** Copies `values` to a new allocation and returns its address. */
  putF32(values: ArrayLike<number>): number {
    const at = this.alloc(values.length * 4);
    this.floats.set(values, index32(at));
    return at;
  }

  putI32(values: ArrayLike<number>): number {
    const at = this.alloc(values.length * 4);
    this.ints.set(values, index32(at));
    return at;
  }
}

export function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** Per-thread buffers (ArenaAllocator.allocPerThread): thread t's at ptr + t * stride, the whole span from base. */
export interface ThreadSlots {
  readonly ptr: number;
  readonly stride: number;
  readonly base: number;
  readonly span: number;
}

/**
 * First-fit placement of a plan's buffers inside one arena at the top of the heap, reusing the
 * space of buffers whose last use has passed (steps run in order, so a buffer freed after step s
 * can hold step s + 1's data). The heap's top moves only in `finish`.
 */
export class ArenaAllocator {
  readonly base: number;
  private size = 0;
  /** Free ranges [start, end) relative to base, sorted, coalesced. */
  private free: [number, number][] = [];
  /** Ranges [start, end) relative to base that run-time buffers were placed in (usedBytes). */
  private readonly used: [number, number][] = [];

  constructor(private readonly heap: SharedHeap) {
    this.base = heap.mark;
  }

  /** Space for a buffer written at run time; `release` it after the last step that uses it. */
  alloc(bytes: number): number {
    const at = this.place(bytes);
    this.use(at, bytes);
    return at;
  }

  /** First fit of `bytes` (and their slack) in a freed range, else at the end. */
  private place(bytes: number): number {
    const need = allocSpan(bytes);
    for (let i = 0; i < this.free.length; i++) {
      const [s, e] = this.free[i];
      if (e - s >= need) {
        if (e - s === need) this.free.splice(i, 1);
        else this.free[i] = [s + need, e];
        return this.base + s;
      }
    }
    return this.extend(need, true);
  }

  /** Notes that a buffer of `bytes` at `at` is written at run time (usedBytes). */
  private use(at: number, bytes: number): void {
    const s = at - this.base;
    this.used.push([s, s + allocSpan(bytes)]);
  }

  /**
   * Bytes of the arena some buffer occupies at some time: its size less the gaps around per-thread
   * slots that no later buffer took. Nothing writes a gap, so only these bytes are ever resident.
   */
  get usedBytes(): number {
    const ranges = [...this.used].sort((a, b) => a[0] - b[0]);
    let total = 0;
    let end = 0;
    for (const [s, e] of ranges) {
      if (e > end) total += e - Math.max(s, end);
      end = Math.max(end, e);
    }
    return total;
  }

  /**
   * Space for data written at plan time (descriptors, offset tables). It comes from fresh space,
   * never from a freed range: an earlier step's run-time buffer there would overwrite it.
   */
  private allocPermanent(bytes: number): number {
    const at = this.extend(allocSpan(bytes), false);
    this.use(at, bytes);
    return at;
  }

  private extend(need: number, mergeFree: boolean): number {
    // Extend, merging a free range that ends at the current size.
    let start = this.size;
    const last = this.free[this.free.length - 1];
    if (mergeFree && last && last[1] === this.size) {
      start = last[0];
      this.free.pop();
    }
    this.size = start + need;
    this.heap.ensure(this.base + this.size);
    return this.base + start;
  }

  /**
   * One buffer of `bytes` per thread: thread t's at `ptr + t * stride`. With more than one thread the
   * buffers are one L2 apart (blocking().threadGap), and as far from their neighbours in the arena:
   * a core streaming through the end of its buffer sets the CPU's prefetchers running on into what
   * follows, and when that is another thread's scratch, which that thread writes all the time, the
   * two cores keep taking the same lines from each other. The gaps are address space only: nothing
   * writes them, so they take no memory until a later buffer is placed there.
   */
  allocPerThread(bytes: number, threads: number): ThreadSlots {
    const gap = threads > 1 ? align(blocking().threadGap, 64) : 0;
    const stride = align(bytes, 64) + gap;
    const span = gap + stride * threads;
    const base = this.place(span);
    for (let t = 0; t < threads; t++) this.use(base + gap + t * stride, bytes);
    return { ptr: base + gap, stride, base, span };
  }

  releasePerThread(slots: ThreadSlots): void {
    this.release(slots.base, slots.span);
  }

  release(addr: number, bytes: number): void {
    const s = addr - this.base;
    const e = s + allocSpan(bytes);
    this.free.push([s, e]);
    this.free.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const r of this.free) {
      const top = merged[merged.length - 1];
      if (top && top[1] >= r[0]) top[1] = Math.max(top[1], r[1]);
      else merged.push([r[0], r[1]]);
    }
    this.free = merged;
  }

  putI32(values: ArrayLike<number>): number {
    const at = this.allocPermanent(values.length * 4);
    this.heap.ints.set(values, index32(at));
    return at;
  }

  putF32(values: ArrayLike<number>): number {
    const at = this.allocPermanent(values.length * 4);
    this.heap.floats.set(values, index32(at));
    return at;
  }

  /** Moves the heap's top past the arena; returns the arena's size in bytes. */
  finish(): number {
    this.heap.alloc(Math.max(0, this.size - 256));
    return this.size;
  }
}
