// The fast engine's plan: for a network, an input band and the requested rows, which SIMD routine runs each layer, with which buffers and partition.
import type { Band, RowRange } from '../band.js';
import type { NodeRows } from '../engine.js';
import { poolOutputSize } from '../geometry.js';
import { PixelTensor } from '../pixels.js';
import { tensor, type Shape } from '../tensor.js';
import { layerDef } from '../../layers/index.js';
import { INPUT, type BatchNorm2dLayer, type Conv2dLayer, type Layer, type MaxPool2dLayer, type Network, type SingleLayer } from '../../network/types.js';
import { inputShapes, nodeShape } from '../../network/shapes.js';
import { descriptor } from './descriptor.js';
import { ACT, PIXELS } from './layout.js';
import { planMaxpool } from './maxpool.js';
import { ArenaAllocator, type SharedHeap } from './memory.js';
import { affinePack, convPack } from './pack-cache.js';
import { allocBand, allocPaddedBand, fitsPadded, PLACEMENT_MIN_WIDTH, share } from './plan-parts.js';
import { activationOf, NO_ACT, packAffine, planEltwise, type EltwiseAct, type PackedAffine } from './eltwise.js';
import type { Activation, ConvOutput, Fusion, HeapBand, InputPlacement, InputSlot, PadGeometry, PixelsPlacement, Plan, PlanContext, Pool2dLayer, Routine, Step } from './plan-types.js';
import type { Phase } from './protocol.js';
import { routineFor } from './routines/index.js';

/** The full-map shape after each layer, from the input's full shape. */
export function fullShapes(net: Network, input: Shape): Shape[] {
  const shapes: Shape[] = [];
  for (const layer of net.layers) {
    const next = nodeShape(layer, inputShapes(layer, input, shapes));
    if (typeof next === 'string') throw new RangeError(`${layer.path} (${layer.type}): ${next}`);
    shapes.push(next);
  }
  return shapes;
}

/** Which nodes, read by which needed nodes, and which the caller wants: what fusion and buffer lifetimes depend on. */
interface Graph {
  readonly last: number;
  readonly rows: NodeRows;
  readonly outputs: ReadonlySet<number>;
  /** The needed nodes that read node i (INPUT's readers under `input`). */
  readonly readers: readonly (readonly number[])[];
  readonly inputReaders: readonly number[];
}

function graphOf(net: Network, rows: NodeRows, outputs: readonly number[]): Graph {
  const last = Math.max(...outputs);
  const readers: number[][] = net.layers.map(() => []);
  const inputReaders: number[] = [];
  for (let i = 0; i <= last; i++) {
    if (rows[i] === null) continue;
    for (const j of new Set(net.layers[i].inputs)) (j === INPUT ? inputReaders : readers[j]).push(i);
  }
  return { last, rows, outputs: new Set(outputs), readers, inputReaders };
}

/** True when node k is node j's one reader and nobody asked for j: j's map need not exist apart from k. */
function soleReader(g: Graph, j: number, k: number): boolean {
  return j !== INPUT && !g.outputs.has(j) && g.readers[j].length === 1 && g.readers[j][0] === k;
}

/** The node after `j` when it reads only j, and j only feeds it: the next layer a step can fold in. */
function follower(net: Network, g: Graph, j: number): Layer | null {
  const k = j + 1;
  if (k > g.last || g.rows[k] === null) return null;
  const l = net.layers[k];
  return l.inputs.length === 1 && l.inputs[0] === j && soleReader(g, j, k) ? l : null;
}

/** A conv routine's activation for an activation layer it can fold in, or null (hardtanh folds only as relu6). */
function convActivation(l: Layer): Activation | null {
  const a = activationOf(l);
  return a && a.code !== ACT.CLAMP ? { code: a.code, slope: a.slope } : null;
}

/** Which layers after conv i fold into it: batchnorm, then an activation, then a non-overlapping pool the conv's routine fuses. */
function fusionAfter(net: Network, g: Graph, i: number, shapes: readonly Shape[], routine: Routine): Fusion {
  let j = i;
  let bn: BatchNorm2dLayer | null = null;
  let act: Activation = { code: ACT.NONE, slope: 0 };
  let pool: Pool2dLayer | null = null;
  let l = follower(net, g, j);
  if (l && l.type === 'batchnorm2d') {
    bn = l;
    l = follower(net, g, ++j);
  }
  const a = l ? convActivation(l) : null;
  if (l && a) {
    act = a;
    l = follower(net, g, ++j);
  }
  if (act.code === ACT.NONE && routine.fusesResidual) {
    const residual = residualAfter(net, g, j);
    if (residual !== null) {
      j++;
      const next = follower(net, g, j);
      const after = next ? convActivation(next) : null;
      if (after) {
        act = after;
        j++;
      }
      return { last: j, bn, act, pool: null, residual };
    }
  }
  if (l && (l.type === 'maxpool2d' || l.type === 'avgpool2d') && routine.fusesPool(l)) {
    const conv = shapes[j];
    const [kh, kw] = l.kernelSize;
    const [sh, sw] = l.stride;
    const plain = l.padding[0] === 0 && l.padding[1] === 0 && sh === kh && sw === kw && (l.type === 'avgpool2d' || (l.dilation[0] === 1 && l.dilation[1] === 1));
    // No partial windows: ceil_mode must not add an output that floor mode would not have.
    const whole = plain && poolOutputSize(conv.height, kh, sh, 1, 0, l.ceilMode) === Math.floor((conv.height - kh) / sh) + 1 && poolOutputSize(conv.width, kw, sw, 1, 0, l.ceilMode) === Math.floor((conv.width - kw) / sw) + 1;
    const pr = g.rows[j + 1]!;
    const need = { start: pr.start * sh, end: (pr.end - 1) * sh + kh };
    const convRows = g.rows[i]!;
    if (whole && need.start >= convRows.start && need.end <= convRows.end) {
      pool = l;
      j++;
    }
  }
  return { last: j, bn, act, pool, residual: null };
}

/**
 * When node j + 1 adds node j, whose one reader it is, to another node over the same rows (so the
 * two bands lie alike): that other node, which the conv step ending at j can add in its output loop.
 */
function residualAfter(net: Network, g: Graph, j: number): number | null {
  const k = j + 1;
  if (k > g.last || g.rows[k] === null) return null;
  const add = net.layers[k];
  if (add.type !== 'add' || add.inputs.length !== 2 || !soleReader(g, j, k)) return null;
  const other = add.inputs[0] === j ? add.inputs[1] : add.inputs[0];
  if (other === j || other === INPUT) return null;
  const same = (a: RowRange | null, b: RowRange | null) => a !== null && b !== null && a.start === b.start && a.end === b.end;
  return same(g.rows[other], g.rows[k]) && same(g.rows[j], g.rows[k]) ? other : null;
}

/** One step of a plan before its buffers are placed: the nodes first..last it computes, and how. */
type StepPlan =
  | { readonly kind: 'conv'; readonly first: number; readonly last: number; readonly routine: Routine; readonly fusion: Fusion; readonly packed: unknown }
  | { readonly kind: 'eltwise'; readonly first: number; readonly last: number; readonly affine: PackedAffine | null; readonly act: EltwiseAct }
  | { readonly kind: 'concat'; readonly first: number; readonly last: number }
  | { readonly kind: 'maxpool'; readonly first: number; readonly last: number }
  | { readonly kind: 'reference'; readonly first: number; readonly last: number };

/**
 * The steps that compute the needed nodes, in node order: a conv with the layers it folds in; a
 * batchnorm or activation (with an activation after it), or an add (with an activation after it), on
 * eltwise_f32; a concat; any other layer on its reference code. Weights are packed once (persistent,
 * below the arena).
 */
function stepsOf(ctx: PlanContext, net: Network, g: Graph, shapes: readonly Shape[]): StepPlan[] {
  const steps: StepPlan[] = [];
  for (let i = 0; i <= g.last; i++) {
    if (g.rows[i] === null) continue;
    const layer = net.layers[i];
    if (layer.type === 'conv2d') {
      const routine = routineFor(layer, ctx.algorithm, shapes[i]);
      const fusion = fusionAfter(net, g, i, shapes, routine);
      steps.push({ kind: 'conv', first: i, last: fusion.last, routine, fusion, packed: convPack(ctx.packs, layer, fusion.bn, routine.id, () => routine.pack(ctx.heap, layer, fusion.bn)) });
      i = fusion.last;
    } else if (layer.type === 'batchnorm2d' || layer.type === 'add' || activationOf(layer)) {
      const affine = layer.type === 'batchnorm2d' ? affinePack(ctx.packs, layer, () => packAffine(ctx.heap, layer)) : null;
      let act = activationOf(layer) ?? NO_ACT;
      let last = i;
      const next = act === NO_ACT ? follower(net, g, i) : null;
      const nextAct = next ? activationOf(next) : null;
      if (nextAct) {
        act = nextAct;
        last = i + 1;
      }
      steps.push({ kind: 'eltwise', first: i, last, affine, act });
      i = last;
    } else if (layer.type === 'concat') {
      steps.push({ kind: 'concat', first: i, last: i });
    } else if (layer.type === 'maxpool2d') {
      steps.push({ kind: 'maxpool', first: i, last: i });
    } else {
      steps.push({ kind: 'reference', first: i, last: i });
    }
  }
  return steps;
}

/**
 * Producers that write straight into their slice of a concatenation: node p, the last node of its step,
 * read by the concat alone, over the same rows, and not an output: p -> [concat, first channel].
 */
function slicedProducers(net: Network, g: Graph, steps: readonly StepPlan[], shapes: readonly Shape[]): Map<number, [number, number]> {
  const lasts = new Set(steps.map((s) => s.last));
  const sliced = new Map<number, [number, number]>();
  for (const s of steps) {
    if (s.kind !== 'concat') continue;
    const k = s.first;
    const inputs = net.layers[k].inputs;
    let channel = 0;
    for (const p of inputs) {
      const rk = g.rows[k]!;
      const rp = p === INPUT ? null : g.rows[p];
      if (p !== INPUT && lasts.has(p) && soleReader(g, p, k) && inputs.indexOf(p) === inputs.lastIndexOf(p) && rp && rp.start === rk.start && rp.end === rk.end) sliced.set(p, [k, channel]);
      channel += p === INPUT ? net.input.channels : shapes[p].channels;
    }
  }
  return sliced;
}

/**
 * Nodes whose step writes them straight into the padded buffer of their reader: node p, the last node of a conv step
 * whose routine writes pitched rows, read by one conv step alone (not an output, nor a concatenation's slice) whose
 * routine pads its whole input, when p's rows fit inside that buffer: p -> the buffer's geometry and the reader's left
 * padding. The reader's padding phase then only fills the borders, instead of copying the map.
 */
function paddedOutputs(net: Network, g: Graph, steps: readonly StepPlan[], shapes: readonly Shape[], sliced: ReadonlyMap<number, unknown>): Map<number, { geometry: PadGeometry; left: number }> {
  const convs = new Map<number, Extract<StepPlan, { kind: 'conv' }>>();
  for (const s of steps) if (s.kind === 'conv') convs.set(s.last, s);
  const placed = new Map<number, { geometry: PadGeometry; left: number }>();
  for (const c of convs.values()) {
    const layer = net.layers[c.first] as Conv2dLayer;
    const p = layer.inputs[0];
    const producer = p === INPUT ? undefined : convs.get(p);
    if (!c.routine.paddedInput || !producer?.routine.pitchedOutput || sliced.has(p) || !soleReader(g, p, c.first)) continue;
    const geometry = c.routine.paddedInput(layer, c.fusion.pool, shapes[c.first], g.rows[c.last]!, shapes[p].width);
    const left = layer.padding.left;
    if (geometry && fitsPadded(geometry, g.rows[p]!, shapes[p].width, left)) placed.set(p, { geometry, left });
  }
  return placed;
}

/** Builds the plan for one (network, input band geometry, rows, outputs); allocates its arena at the top of the heap. */
export function makePlan(ctx: PlanContext, net: Network, input: Band, rows: NodeRows, outputs: readonly number[]): Plan {
  const { heap, threads } = ctx;
  const g = graphOf(net, rows, outputs);
  const shapes = fullShapes(net, { channels: input.tensor.channels, height: input.fullHeight, width: input.tensor.width });
  const plans = stepsOf(ctx, net, g, shapes);
  const sliced = slicedProducers(net, g, plans, shapes);
  const placed = paddedOutputs(net, g, plans, shapes, sliced);

  const arenaMark = heap.mark;
  const arena = new ArenaAllocator(heap);
  // The first layer may take the input rows straight into its padded buffer, when it is the input's only reader.
  const image = input.tensor instanceof PixelTensor ? input.tensor : null;
  const slot: InputSlot = { placement: null, minWidth: image ? 0 : PLACEMENT_MIN_WIDTH };
  const inBand: HeapBand = {
    ptr: arena.alloc(input.tensor.channels * input.tensor.height * input.tensor.width * 4),
    channels: input.tensor.channels,
    height: input.tensor.height,
    width: input.tensor.width,
    y0: input.y0,
    fullHeight: input.fullHeight,
    ...(g.inputReaders.length === 1 ? { slot } : {}),
  };
  // Never released: no buffer of a later step overlaps them, nor the input's place they convert into.
  const pixels: PixelsPlacement | null = image && { samples: arena.alloc(image.pixels.length), sources: arena.alloc(4 * image.channels), tables: arena.alloc(image.lookup.tables.length * 4) };
  const bands: HeapBand[] = [];
  const bandOf = (j: number): HeapBand => (j === INPUT ? inBand : bands[j]);
  // How many more steps read each node; a node's own band is released after the last (concat slices go with their concat's).
  const pending = new Map<number, number>();
  for (const s of plans) for (const j of stepInputs(net, s)) pending.set(j, (pending.get(j) ?? 0) + 1);
  const retire = (s: StepPlan) => {
    for (const j of stepInputs(net, s)) {
      const left = pending.get(j)! - 1;
      pending.set(j, left);
      const b = bandOf(j);
      // A band in its reader's padded buffer went with that buffer, which the reader's plan released.
      if (left > 0 || g.outputs.has(j) || sliced.has(j) || b.padded) continue;
      arena.release(b.ptr, b.channels * b.height * b.width * 4);
    }
  };
  /**
   * Concatenation k's band, allocated by the first step that writes into it; a concatenation that is itself
   * a slice of an outer one (the last node of its branch) is that part of the outer band.
   */
  const concatBand = (k: number): HeapBand => {
    if (bands[k]) return bands[k];
    const slice = sliced.get(k);
    if (!slice) return (bands[k] = allocBand(arena, shapes[k], rows[k]!));
    const outer = concatBand(slice[0]);
    return (bands[k] = { ...outer, ptr: outer.ptr + slice[1] * outer.height * outer.width * 4, channels: shapes[k].channels });
  };
  /** Where a step's last node goes: its slice of a concatenation, its reader's padded buffer, or a band of its own. */
  const outputFor = (last: number, shape: Shape, r: RowRange): ConvOutput => {
    const into = placed.get(last);
    if (into) return { band: allocPaddedBand(arena, shape, r, into.geometry, into.left), channel: 0 };
    const slice = sliced.get(last);
    if (!slice) return { band: allocBand(arena, shape, r), channel: 0 };
    return { band: concatBand(slice[0]), channel: slice[1] };
  };
  const record = (last: number, out: ConvOutput) => {
    const b = out.band;
    const plane = b.height * b.width * 4;
    bands[last] = out.channel === 0 && b.channels === shapes[last].channels ? b : { ...b, ptr: b.ptr + out.channel * plane, channels: shapes[last].channels };
  };

  const steps: Step[] = [];
  for (const s of plans) {
    const layer = net.layers[s.first];
    if (s.kind === 'conv') {
      const f = s.fusion;
      const out = outputFor(s.last, shapes[s.last], rows[s.last]!);
      const residual = f.residual === null ? null : bandOf(f.residual);
      const phases = s.routine.plan({ arena, threads, index: s.first, layer: layer as Conv2dLayer, packed: s.packed, fusion: f, input: bandOf(layer.inputs[0]), conv: shapes[s.first], out, residual });
      steps.push({ kind: 'wasm', label: convLabel(s.first, f, s.routine.id), first: s.first, last: s.last, phases });
      record(s.last, out);
    } else if (s.kind === 'eltwise') {
      const out = outputFor(s.last, shapes[s.last], rows[s.last]!);
      const phase = planEltwise(arena, threads, layer.inputs.map(bandOf), s.affine, s.act, out, rows[s.last]!);
      steps.push({ kind: 'wasm', label: eltwiseLabel(net, s.first, s.last), first: s.first, last: s.last, phases: [phase] });
      record(s.last, out);
    } else if (s.kind === 'concat') {
      const k = s.first;
      const band = concatBand(k);
      const phases: Phase[] = [];
      let channel = 0;
      for (const p of layer.inputs) {
        const src = bandOf(p);
        if (!sliced.has(p)) phases.push(planEltwise(arena, threads, [src], null, NO_ACT, { band, channel }, rows[k]!));
        channel += src.channels;
      }
      if (phases.length > 0) steps.push({ kind: 'wasm', label: `${k} concat`, first: k, last: k, phases: [phases.flat()] });
    } else if (s.kind === 'maxpool') {
      const out = outputFor(s.last, shapes[s.last], rows[s.last]!);
      const { label, phases } = planMaxpool(arena, threads, layer as MaxPool2dLayer, bandOf(layer.inputs[0]), out, rows[s.last]!, shapes[s.last]);
      steps.push({ kind: 'wasm', label, first: s.first, last: s.last, phases });
      record(s.last, out);
    } else {
      const out = outputFor(s.last, shapes[s.last], rows[s.last]!);
      steps.push(planReference(heap, layer as SingleLayer, bandOf(layer.inputs[0]), out, rows[s.last]!, shapes[s.last], s.first));
      record(s.last, out);
    }
    retire(s);
  }
  if (image && pixels) steps.unshift(pixelsStep(arena, threads, image, pixels, inBand, slot.placement));
  arena.finish();
  const arenaBytes = arena.usedBytes;
  return { arenaMark, arenaBytes, input: inBand, inputPlacement: slot.placement, pixels, steps, outputs: outputs.map((o) => bands[o]), paddedNodes: [...placed.keys()] };
}

/** Floats per unit of the pixels step: a few L1-sized runs per item. */
const PIXELS_CHUNK = 8192;

/**
 * The first step of a plan for a PixelTensor: its pixels (copied to `at` by the engine) to the input
 * band, or to the rows of it the first layer's padded buffer takes (`placement`).
 */
function pixelsStep(arena: ArenaAllocator, threads: number, t: PixelTensor, at: PixelsPlacement, band: HeapBand, placement: InputPlacement | null): Step {
  const first = placement ? placement.first : 0;
  const rows = (placement ? placement.end : t.height) - first;
  const pitch = placement ? placement.pitch : t.width;
  const unitRows = Math.max(1, Math.floor(PIXELS_CHUNK / t.width));
  const units = Math.ceil(rows / unitRows);
  const d = descriptor(PIXELS)
    .set({
      SRC: at.samples + first * t.width * t.have,
      HAVE: t.have,
      W: t.width,
      ROWS: rows,
      SOURCES: at.sources,
      TABLES: at.tables,
      DST: placement ? placement.ptr + first * pitch * 4 : band.ptr,
      DST_PLANE: placement ? placement.plane : t.height * t.width,
      DST_PITCH: pitch,
      UNIT_ROWS: unitRows,
      UNITS: units,
    })
    .put(arena);
  const phase = share(t.channels * units, threads, (u0, u1) => [['pixels_f32', d, u0, u1]]);
  return { kind: 'wasm', label: 'input pixels', first: INPUT, last: INPUT, phases: [phase] };
}

/** The nodes outside a step that it reads. */
function stepInputs(net: Network, s: StepPlan): number[] {
  const inside = (j: number) => j >= s.first && j <= s.last;
  const reads = new Set<number>();
  for (let i = s.first; i <= s.last; i++) for (const j of net.layers[i].inputs) if (!inside(j)) reads.add(j);
  return [...reads];
}

function eltwiseLabel(net: Network, first: number, last: number): string {
  return `${first}${last > first ? `-${last}` : ''} ${net.layers.slice(first, last + 1).map((l) => l.type).join('+')}`;
}

/** A conv step's label, e.g. `3-5 conv2d[winograd2d]+relu+maxpool2d` (what `npm run bench` shows): the layers it runs, its routine, what it fuses. */
export function convLabel(i: number, f: Fusion, routine: string): string {
  const act = f.act.code === ACT.RELU ? '+relu' : f.act.code === ACT.LEAKY ? '+leaky_relu' : f.act.code === ACT.RELU6 ? '+relu6' : '';
  return `${i}${f.last > i ? `-${f.last}` : ''} conv2d[${routine}]${f.bn ? '+batchnorm2d' : ''}${f.residual !== null ? '+add' : ''}${act}${f.pool ? `+${f.pool.type}` : ''}`;
}


/** A layer with no SIMD routine (unfused pools, adaptive pools, LRN, gem, normalize): its reference code on the main thread, on views of the shared memory. */
function planReference(heap: SharedHeap, layer: SingleLayer, prev: HeapBand, out: ConvOutput, r: RowRange, shape: Shape, i: number): Step {
  const def = layerDef(layer);
  return {
    kind: 'js',
    label: `${i} ${layer.type}`,
    first: i,
    last: i,
    run: () => {
      const x = tensor(prev.channels, prev.height, prev.width, heap.floatsAt(prev.ptr, prev.channels * prev.height * prev.width));
      const y = def.reference(layer, { tensor: x, y0: prev.y0, fullHeight: prev.fullHeight }, r, shape);
      heap.floatsAt(out.band.ptr + out.channel * out.band.height * out.band.width * 4, y.data.length).set(y.data);
    },
  };
}
