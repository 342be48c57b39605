// The fast engine's plan: for a network, an input band and the requested rows, which SIMD routine runs each layer, with which buffers and partition.
import type { Band, RowRange } from '../band.js';
import { poolOutputSize } from '../geometry.js';
import { tensor, type Shape } from '../tensor.js';
import { isMerge, layerDef } from '../../layers/index.js';
import type { BatchNorm2dLayer, Layer, Network, SingleLayer } from '../../network/types.js';
import { inputShapes, nodeShape } from '../../network/shapes.js';
import { ACT } from './layout.js';
import { ArenaAllocator, type SharedHeap } from './memory.js';
import { allocBand } from './plan-parts.js';
import type { Activation, Fusion, HeapBand, InputPlacement, Plan, PlanContext, Pool2dLayer, Routine, Step } from './plan-types.js';
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

/** Which layers after conv i fold into it: batchnorm, then relu / leaky_relu, then a non-overlapping pool the conv's routine fuses. */
function fusionAfter(net: Network, i: number, lastLayer: number, outputs: ReadonlySet<number>, rows: readonly RowRange[], shapes: readonly Shape[], routine: Routine): Fusion {
  let j = i;
  let bn: BatchNorm2dLayer | null = null;
  let act: Activation = { code: ACT.NONE, slope: 0 };
  let pool: Pool2dLayer | null = null;
  const next = (): Layer | null => (j + 1 <= lastLayer && !outputs.has(j) ? net.layers[j + 1] : null);
  let l = next();
  if (l && l.type === 'batchnorm2d') {
    bn = l;
    j++;
    l = next();
  }
  if (l && (l.type === 'relu' || l.type === 'leaky_relu')) {
    act = l.type === 'relu' ? { code: ACT.RELU, slope: 0 } : { code: ACT.LEAKY, slope: l.negativeSlope };
    j++;
    l = next();
  }
  if (l && (l.type === 'maxpool2d' || l.type === 'avgpool2d') && routine.fusesPool(l)) {
    const conv = shapes[j];
    const [kh, kw] = l.kernelSize;
    const [sh, sw] = l.stride;
    const plain = l.padding[0] === 0 && l.padding[1] === 0 && sh === kh && sw === kw && (l.type === 'avgpool2d' || (l.dilation[0] === 1 && l.dilation[1] === 1));
    // No partial windows: ceil_mode must not add an output that floor mode would not have.
    const whole = plain && poolOutputSize(conv.height, kh, sh, 1, 0, l.ceilMode) === Math.floor((conv.height - kh) / sh) + 1 && poolOutputSize(conv.width, kw, sw, 1, 0, l.ceilMode) === Math.floor((conv.width - kw) / sw) + 1;
    const pr = rows[j + 1];
    const need = { start: pr.start * sh, end: (pr.end - 1) * sh + kh };
    if (whole && need.start >= rows[i].start && need.end <= rows[i].end) {
      pool = l;
      j++;
    }
  }
  return { last: j, bn, act, pool };
}

/** Builds the plan for one (network, input band geometry, rows, outputs); allocates its arena at the top of the heap. */
export function makePlan(ctx: PlanContext, net: Network, input: Band, rows: readonly RowRange[], outputs: readonly number[]): Plan {
  const { heap, threads } = ctx;
  const lastLayer = Math.max(...outputs);
  const outSet = new Set(outputs);
  // Branching networks are planned node by node once the planner walks a graph; until then only stacks run here.
  if (net.layers.some((l, i) => isMerge(l) || l.inputs.length !== 1 || l.inputs[0] !== i - 1)) {
    throw new RangeError(`${net.file}: the fast engine does not run branching networks (add, concat) yet; use the reference engine`);
  }
  const shapes = fullShapes(net, { channels: input.tensor.channels, height: input.fullHeight, width: input.tensor.width });

  // Per conv: its routine and the layers folded into it, decided once; weights packed first (persistent, below the arena).
  let perNet = ctx.packs.get(net);
  if (!perNet) ctx.packs.set(net, (perNet = new Map()));
  const convs = new Map<number, { routine: Routine; f: Fusion; packed: unknown }>();
  for (let i = 0; i <= lastLayer; i++) {
    const layer = net.layers[i];
    if (layer.type !== 'conv2d') continue;
    const routine = routineFor(layer, ctx.algorithm);
    const f = fusionAfter(net, i, lastLayer, outSet, rows, shapes, routine);
    const key = `${i}:${f.bn ? 'bn' : ''}:${routine.id}`;
    if (!perNet.has(key)) perNet.set(key, routine.pack(heap, layer, f.bn));
    convs.set(i, { routine, f, packed: perNet.get(key) });
    i = f.last;
  }

  const arenaMark = heap.mark;
  const arena = new ArenaAllocator(heap);
  const slot: { placement: InputPlacement | null } = { placement: null };
  const inBand: HeapBand = {
    ptr: arena.alloc(input.tensor.data.length * 4),
    channels: input.tensor.channels,
    height: input.tensor.height,
    width: input.tensor.width,
    y0: input.y0,
    fullHeight: input.fullHeight,
    slot,
  };
  const steps: Step[] = [];
  const bands: HeapBand[] = [];
  let prev = inBand;
  let prevLayer = -1;
  // A band dies after the step that reads it, unless the caller asked for it.
  const retire = (band: HeapBand, layer: number) => {
    if (!outSet.has(layer)) arena.release(band.ptr, bandBytes(band));
  };
  for (let i = 0; i <= lastLayer; i++) {
    const layer = net.layers[i];
    if (layer.type === 'conv2d') {
      const { routine, f, packed } = convs.get(i)!;
      // The step's output: the conv's requested rows, or with a fused pool the pooled ones.
      const out = f.pool ? allocBand(arena, shapes[f.last], rows[f.last]) : allocBand(arena, shapes[i], rows[i]);
      const phases = routine.plan({ arena, threads, index: i, layer, packed, fusion: f, input: prev, conv: shapes[i], out: { band: out, channel: 0 } });
      steps.push({ kind: 'wasm', label: convLabel(i, f, routine.id), first: i, last: f.last, phases });
      for (let j = i; j <= f.last; j++) bands[j] = out; // only bands[f.last] is meaningful
      retire(prev, prevLayer);
      prev = out;
      prevLayer = f.last;
      i = f.last;
      continue;
    }
    const out = planReference(heap, arena, layer as SingleLayer, prev, rows[i]!, shapes[i], steps, i);
    bands[i] = out;
    retire(prev, prevLayer);
    prev = out;
    prevLayer = i;
  }
  const arenaBytes = arena.finish();
  return { arenaMark, arenaBytes, input: inBand, inputPlacement: slot.placement, steps, outputs: outputs.map((o) => bands[o]) };
}

/** A conv step's label, e.g. `3-5 conv2d[winograd2d]+relu+maxpool2d` (what `npm run bench` shows): the layers it runs, its routine, what it fuses. */
export function convLabel(i: number, f: Fusion, routine: string): string {
  const act = f.act.code === ACT.RELU ? '+relu' : f.act.code === ACT.LEAKY ? '+leaky_relu' : '';
  return `${i}${f.last > i ? `-${f.last}` : ''} conv2d[${routine}]${f.bn ? '+batchnorm2d' : ''}${act}${f.pool ? `+${f.pool.type}` : ''}`;
}

function bandBytes(b: HeapBand): number {
  return b.channels * b.height * b.width * 4;
}

/** A layer with no SIMD routine (pools not fused, adaptive pools, lone relu/batchnorm): the reference, on the main thread. */
function planReference(heap: SharedHeap, arena: ArenaAllocator, layer: SingleLayer, prev: HeapBand, r: RowRange, shape: Shape, steps: Step[], i: number): HeapBand {
  const out = allocBand(arena, shape, r);
  const def = layerDef(layer);
  steps.push({
    kind: 'js',
    label: `${i} ${layer.type}`,
    first: i,
    last: i,
    run: () => {
      const f = heap.floats;
      const x = tensor(prev.channels, prev.height, prev.width, f.subarray(prev.ptr >> 2, (prev.ptr >> 2) + prev.channels * prev.height * prev.width));
      const y = def.reference(layer, { tensor: x, y0: prev.y0, fullHeight: prev.fullHeight }, r, shape);
      heap.floats.set(y.data, out.ptr >> 2);
    },
  });
  return out;
}
