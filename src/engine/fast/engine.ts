// FastEngine: runs a network band through SIMD routines on a worker pool sharing one WebAssembly.Memory.
import type { Band } from '../band.js';
import { closedEngine, EngineMemoryError, type Engine, type NodeRows } from '../engine.js';
import { wholeMapRows } from '../run.js';
import { PixelTensor } from '../pixels.js';
import { tensor, type Shape } from '../tensor.js';
import type { Network } from '../../network/types.js';
import { relaxedSimdAvailable } from '../../wasm/features.js';
import { debugFromEnv, instantiateHere, loadSimdModule } from '../../wasm/loader.js';
import { index32 } from './address.js';
import { SharedHeap, type MainThreadSimd } from './memory.js';
import { fullShapes, makePlan } from './plan.js';
import { routineFor } from './routines/index.js';
import { hasPacks, type PackCache } from './pack-cache.js';
import type { Algorithm, Plan, Step } from './plan-types.js';
import type { Phase } from './protocol.js';
import { WorkerPool, type ThreadShare } from './worker-pool.js';
import { yieldToEventLoop } from '../yield.js';

/** Wall time of one step of the last run (a layer, or a conv with the layers fused into it). */
export interface StepTiming {
  readonly label: string;
  readonly first: number;
  readonly last: number;
  readonly ms: number;
  /** Wall time of each phase (padding, Winograd input transform, compute), for wasm steps. */
  readonly phases: readonly number[];
}

export class FastEngine implements Engine {
  readonly kind = 'fast' as const;
  readonly threads: number;
  readonly algorithm: Algorithm;
  /** The micro-kernels fuse multiply-adds (build/cnnx-fma.wasm); false: multiply, then add. */
  readonly fma: boolean;
  /** The routines check their preconditions (build/cnnx-debug.wasm, which multiplies, then adds). */
  readonly debug: boolean;
  /**
   * When true, `lastTimings` is filled by each run: the workers run it as any other run and note when
   * each phase ended, so a step's time is what it costs in a run (costs nothing measurable).
   */
  profile = false;
  lastTimings: StepTiming[] = [];
  /** Per worker, its time in the last run: waking, in items, at barriers; filled while `timeThreads` is set. */
  lastThreadTimes: ThreadShare[] = [];
  private readonly heap: SharedHeap;
  private readonly pool: WorkerPool;
  private packs: PackCache = new WeakMap();
  /** The heap's top before any pack: where dropping every pack returns it. */
  private readonly packBase: number;
  private readonly netIds = new WeakMap<Network, number>();
  private plan: { key: string; plan: Plan } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Per plan: runs of consecutive SIMD phases (for one thread merged into one call list), and the JS steps between them. */
  private readonly segments = new WeakMap<Plan, Segment[]>();
  /** The same, never merged (a profiled run times every phase). */
  private readonly phaseSegments = new WeakMap<Plan, Segment[]>();
  /** Output arrays handed back by `recycle`, reused for outputs of their length (a few: one run's outputs). */
  private spare: Float32Array[] = [];
  /** Arrays made while idle for the last run's outputs (schedulePrepare): one run's worth at most. */
  private prepared: Float32Array[] = [];
  /** The pending preparation of the next run's output arrays (schedulePrepare). */
  private prepareTimer: ReturnType<typeof setTimeout> | undefined;
  /** Runs so far: a one-shot engine (a CLI call on one image) prepares nothing. */
  private runs = 0;
  private closed = false;

  private constructor(threads: number, algorithm: Algorithm, fma: boolean, debug: boolean, heap: SharedHeap, pool: WorkerPool) {
    this.threads = threads;
    this.algorithm = algorithm;
    this.fma = fma;
    this.debug = debug;
    this.heap = heap;
    this.packBase = heap.mark;
    this.pool = pool;
  }

  /**
   * fma: fused multiply-adds unless false, wherever relaxed SIMD can validate (Node.js >= 22, and Node 20
   * under its V8 flag: see relaxedSimdAvailable). debug: the build with asserts on, by default when
   * CNNX_WASM_DEBUG=1; it has no fused multiply-adds, so it overrides fma. heapLimit: bytes the heap may
   * grow to, below the memory's 4 GiB (tests of what happens when it is full).
   */
  static async create(threads: number, algorithm: Algorithm = 'auto', fma?: boolean, debug = debugFromEnv(), heapLimit?: number): Promise<FastEngine> {
    const fused = !debug && fma !== false && relaxedSimdAvailable();
    const module = await loadSimdModule(debug ? 'debug' : fused ? 'fma' : 'plain');
    const heap = new SharedHeap(heapLimit);
    heap.simd = instantiateHere(module, heap.memory) as unknown as MainThreadSimd;
    const pool = await WorkerPool.start(threads, module, heap.memory);
    return new FastEngine(threads, algorithm, fused, debug, heap, pool);
  }

  run(net: Network, input: Band, rows: NodeRows, outputs: readonly number[]): Promise<Band[]> {
    // Runs are serialised: they share the arena.
    const result = this.queue.then(() => this.runNow(net, input, rows, outputs));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Heap bytes this engine would pack for `net`'s convs on an input of `input`'s size (each conv's
   * routine, as it will be chosen), leaving out convs whose weights it has packed (they are resident,
   * whichever Network object they came in: a streamed image's stages share them, see pack-cache.ts).
   */
  weightBytes(net: Network, input: Shape): number {
    const shapes = fullShapes(net, input);
    return net.layers.reduce((sum, layer, i) => (layer.type === 'conv2d' && !hasPacks(this.packs, layer) ? sum + routineFor(layer, this.algorithm, shapes[i]).packedBytes(layer, shapes[i]) : sum), 0);
  }

  /**
   * Whether a Winograd routine runs one of the convs `outputs` need on an input of `input`'s size (the
   * planner's choice: routineFor, on the rows a whole-map run computes; bands pick the same routines).
   */
  spreadsNonFinite(net: Network, input: Shape, outputs: readonly number[]): boolean {
    const shapes = fullShapes(net, input);
    const rows = wholeMapRows(net, shapes, outputs, input.height);
    return net.layers.some((layer, i) => layer.type === 'conv2d' && rows[i] !== null && routineFor(layer, this.algorithm, shapes[i]).winograd === true);
  }

  private planFor(net: Network, input: Band, rows: NodeRows, outputs: readonly number[]): Plan {
    let id = this.netIds.get(net);
    if (id === undefined) this.netIds.set(net, (id = nextNetId++));
    const t = input.tensor;
    const last = Math.max(...outputs);
    const key = `${id}|${t.channels}x${t.height}x${t.width}${t instanceof PixelTensor ? `|pixels ${t.have}` : ''}|${input.y0}|${input.fullHeight}|${rows.slice(0, last + 1).map((r) => (r ? `${r.start}:${r.end}` : '-')).join(',')}|${outputs.join(',')}`;
    if (this.plan?.key === key) return this.plan.plan;
    // One plan at a time: its arena sits at the top of the heap and is reused by the next plan.
    if (this.plan) this.heap.release(this.plan.plan.arenaMark);
    this.plan = undefined;
    const make = () => makePlan({ heap: this.heap, threads: this.threads, packs: this.packs, algorithm: this.algorithm }, net, input, rows, outputs);
    const packed = this.heap.mark;
    let plan: Plan;
    try {
      plan = make();
    } catch (error) {
      // Full, with earlier packs below (other networks': a spec loaded again, or edited in cnnx serve): the
      // heap never frees a pack on its own, so drop them all and pack this network alone.
      if (!(error instanceof EngineMemoryError) || packed === this.packBase) throw error;
      this.heap.release(this.packBase);
      this.packs = new WeakMap();
      plan = make();
    }
    this.plan = { key, plan };
    return plan;
  }

  /** Bytes of the last run's arena that its maps and work buffers occupy (above the packed weights); 0 before any run. */
  get arenaBytes(): number {
    return this.plan?.plan.arenaBytes ?? 0;
  }

  /** Bytes of the WebAssembly memory in use: the reserved page, every packed weight and the last run's arena. */
  get heapBytes(): number {
    return this.heap.mark;
  }

  /** Workers time their share of each run into `lastThreadTimes` (two clock reads per item and barrier). */
  get timeThreads(): boolean {
    return this.pool.timed;
  }

  set timeThreads(on: boolean) {
    this.pool.timed = on;
  }

  private async runNow(net: Network, input: Band, rows: NodeRows, outputs: readonly number[]): Promise<Band[]> {
    if (this.closed) throw closedEngine();
    if (outputs.length === 0) return [];
    const plan = this.planFor(net, input, rows, outputs);
    this.copyInput(plan, input);
    if (this.pool.timed) this.pool.takeTimes();
    try {
      return await this.compute(plan);
    } finally {
      if (this.pool.timed) this.lastThreadTimes = this.pool.takeTimes();
    }
  }

  /** Runs the plan's steps and reads its outputs; profiling, times each step (see `profile`). */
  private async compute(plan: Plan): Promise<Band[]> {
    if (this.profile) return this.computeProfiled(plan);
    // The workers compute while this thread takes the output arrays' page faults (first writes to fresh
    // pages cost a fault per 4 KiB), which would otherwise come after the compute, in the copy out.
    const computed = this.runSegments(this.segmentsOf(plan));
    const arrays = this.outputArrays(plan);
    await computed;
    const bands = this.readOutputs(plan, arrays);
    this.schedulePrepare(plan);
    return bands;
  }

  /**
   * A run as `compute` makes it (the same messages, phases and barriers, one worker's phases not merged),
   * whose workers note when each phase ends: a step's time is its phases' (the first from posting the
   * message, so waking the workers counts), or the main thread's for a JS step.
   */
  private async computeProfiled(plan: Plan): Promise<Band[]> {
    let segments = this.phaseSegments.get(plan);
    if (!segments) this.phaseSegments.set(plan, (segments = planSegments(plan, false)));
    const jsTimes = new Map<Step, number>();
    this.pool.stamped = true;
    this.pool.takePhaseWalls();
    try {
      await this.runSegments(segments, jsTimes);
    } finally {
      this.pool.stamped = false;
    }
    const walls = this.pool.takePhaseWalls();
    let next = 0;
    this.lastTimings = plan.steps.map((step) => {
      const phases = step.kind === 'js' ? [] : walls.slice(next, (next += step.phases.length));
      const ms = step.kind === 'js' ? jsTimes.get(step)! : phases.reduce((a, b) => a + b, 0);
      return { label: step.label, first: step.first, last: step.last, ms, phases };
    });
    return this.readOutputs(plan, this.outputArrays(plan));
  }

  /** The plan's segments (planSegments), one worker's phases merged. */
  private segmentsOf(plan: Plan): Segment[] {
    let segments = this.segments.get(plan);
    if (!segments) this.segments.set(plan, (segments = planSegments(plan, this.threads === 1)));
    return segments;
  }

  /** Runs the segments in order; with `jsTimes`, notes each JS step's milliseconds. */
  private async runSegments(segments: readonly Segment[], jsTimes?: Map<Step, number>): Promise<void> {
    for (const segment of segments) {
      if (Array.isArray(segment)) await this.pool.run(segment);
      else if (segment.kind === 'js') {
        // A layer with no SIMD routine runs on the main thread: let signal handlers in after it.
        const t0 = performance.now();
        segment.run();
        await yieldToEventLoop();
        jsTimes?.set(segment, performance.now() - t0);
      }
    }
  }

  /** The input into the heap: densely, or row by row into the first layer's padded buffer (see InputPlacement). */
  private copyInput(plan: Plan, input: Band): void {
    const t = input.tensor;
    if (plan.pixels && t instanceof PixelTensor) {
      // The plan's first step converts them.
      const at = plan.pixels;
      this.heap.bytes.set(t.pixels, at.samples);
      this.heap.ints.set(t.lookup.sources, index32(at.sources));
      this.heap.floats.set(t.lookup.tables, index32(at.tables));
      return;
    }
    const f = this.heap.floats;
    const p = plan.inputPlacement;
    const { channels, height, width, data } = t;
    if (!p) {
      f.set(data, index32(plan.input.ptr));
      return;
    }
    for (let c = 0; c < channels; c++) {
      for (let y = p.first; y < p.end; y++) f.set(data.subarray((c * height + y) * width, (c * height + y + 1) * width), index32(p.ptr) + c * p.plane + y * p.pitch);
    }
  }

  /** An array for each output of `plan`: a recycled one, one prepared while idle, or a new one with every page written once. */
  private outputArrays(plan: Plan): Float32Array[] {
    return plan.outputs.map((b) => {
      const n = b.channels * b.height * b.width;
      return takeOfLength(this.spare, n) ?? takeOfLength(this.prepared, n) ?? writtenFloats(n);
    });
  }

  /**
   * Once this thread is idle after a run, makes the arrays the same outputs would take next time (pages
   * written once), unless recycled ones are waiting: a fresh page costs a fault per 4 KiB on first write (12 us
   * each on some VMs, 25 ms for an 8 MB map), which a run that follows a pause then does not take inside its
   * own time. From the second run on (a one-shot engine would waste the work), for outputs up to
   * PREPARE_MAX_BYTES a run, and only the last run's: arrays prepared for other lengths are dropped, so the
   * engine holds one small run's outputs more at most. The timer does not keep the process alive, and
   * close() drops it.
   */
  private schedulePrepare(plan: Plan): void {
    if (++this.runs < 2 || this.prepareTimer !== undefined || this.closed) return;
    const lengths = plan.outputs.map((b) => b.channels * b.height * b.width);
    if (lengths.length > MAX_SPARE || lengths.reduce((sum, n) => sum + 4 * n, 0) > PREPARE_MAX_BYTES) return;
    this.prepareTimer = setTimeout(() => {
      this.prepareTimer = undefined;
      if (this.closed) return;
      const waiting = this.spare.map((s) => s.length);
      const next: Float32Array[] = [];
      for (const n of lengths) {
        const k = waiting.indexOf(n);
        if (k >= 0) waiting.splice(k, 1);
        else next.push(takeOfLength(this.prepared, n) ?? writtenFloats(n));
      }
      this.prepared = next;
    }, 0);
    this.prepareTimer.unref();
  }

  /** Copies each output of `plan` out of the heap into its array from outputArrays. */
  private readOutputs(plan: Plan, arrays: readonly Float32Array[]): Band[] {
    return plan.outputs.map((b, o) => {
      const data = arrays[o];
      data.set(this.heap.floatsAt(b.ptr, data.length));
      return { tensor: tensor(b.channels, b.height, b.width, data), y0: b.y0, fullHeight: b.fullHeight };
    });
  }

  /** See Engine.recycle: arrays over a whole ArrayBuffer of their own are kept, a few at a time, the oldest dropped first. */
  recycle(data: Float32Array): void {
    if (this.closed || data.byteOffset !== 0 || data.buffer.byteLength !== data.byteLength || !(data.buffer instanceof ArrayBuffer)) return;
    if (this.spare.includes(data)) return;
    this.spare.push(data);
    if (this.spare.length > MAX_SPARE) this.spare.shift();
  }

  /** The first close()'s promise: a later call waits for the same workers to end. */
  private closing: Promise<void> | undefined;

  close(): Promise<void> {
    return (this.closing ??= this.closeNow());
  }

  private async closeNow(): Promise<void> {
    this.closed = true;
    clearTimeout(this.prepareTimer);
    this.prepareTimer = undefined;
    this.spare = [];
    this.prepared = [];
    await this.queue;
    await this.pool.close();
  }
}

let nextNetId = 1;

/** A run message's phases, or a step the main thread runs. */
type Segment = Phase[] | Step;

/**
 * Consecutive SIMD steps go to the workers as one run message, their phases separated by the
 * workers' own barrier, so the main thread is not in the loop between phases (a message round trip
 * per phase; the main thread of a batch, busy with other images, would leave the workers waiting).
 * One worker needs no barrier at all: with `merge`, its phases are one call list. Calls and their
 * order are the same either way, so are the bits.
 */
function planSegments(plan: Plan, merge: boolean): Segment[] {
  const segments: Segment[] = [];
  let phases: Phase[] = [];
  const flush = () => {
    if (phases.length === 0) return;
    segments.push(merge ? [[phases.flatMap((phase) => phase.flat())]] : phases);
    phases = [];
  };
  for (const step of plan.steps) {
    if (step.kind === 'js') {
      flush();
      segments.push(step);
    } else phases.push(...step.phases);
  }
  flush();
  return segments;
}

/** Output arrays an engine keeps for reuse: enough for the outputs of a run or two. */
const MAX_SPARE = 4;

/** The most output bytes of a run whose next arrays the engine prepares while idle (schedulePrepare). */
const PREPARE_MAX_BYTES = 16 * 1024 * 1024;

/**
 * A Float32Array that is about to be overwritten whole, on memory malloc hands back without zeroing
 * it: glibc then reuses the pages of earlier results, where a zeroed allocation (slice, new
 * Float32Array) makes it map fresh pages and take a fault per 4 KiB, or zero reused ones. Its own
 * ArrayBuffer (not Node's small-buffer pool), so byteOffset is 0.
 */
function uninitializedFloats(n: number): Float32Array {
  const bytes = Buffer.allocUnsafeSlow(n * 4);
  return new Float32Array(bytes.buffer, bytes.byteOffset, n);
}

/** Removes and returns the last array of `arrays` with n floats, or undefined. */
function takeOfLength(arrays: Float32Array[], n: number): Float32Array | undefined {
  let k = arrays.length - 1;
  while (k >= 0 && arrays[k].length !== n) k--;
  return k >= 0 ? arrays.splice(k, 1)[0] : undefined;
}

/** uninitializedFloats with one float of every 4 KiB page written, so the page faults are taken now. */
function writtenFloats(n: number): Float32Array {
  const data = uninitializedFloats(n);
  for (let i = 0; i < n; i += 1024) data[i] = 0;
  return data;
}
