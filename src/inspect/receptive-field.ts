// Exact input/output correspondence through a stack, for `cnnx where`: which input pixels one output cell depends on, and the reverse.
import { adaptiveEnd, adaptiveStart, borderIndex, effectiveKernel } from '../engine/geometry.js';
import type { Shape } from '../engine/tensor.js';
import { inferShapes, inputShapes } from '../network/shapes.js';
import { INPUT, type Layer, type Network, type PaddingMode } from '../network/types.js';

/** Inclusive index ranges, ascending and disjoint: [[0, 2], [6, 6]]. */
export type Ranges = [number, number][];

/** An inclusive rectangle: rows y0..y1, cols x0..x1. */
export interface Rect {
  readonly rows: readonly [number, number];
  readonly cols: readonly [number, number];
}

export interface InputRegion {
  /** The receptive field in padded coordinates (may reach outside the image), as the textbook arithmetic gives it. */
  readonly unclipped: Rect;
  /** `unclipped` intersected with the image; null when they do not meet. */
  readonly clipped: Rect | null;
  /** Exactly the input rows and columns the cell depends on (the set is their product). */
  readonly read: { readonly rows: Ranges; readonly cols: Ranges };
  /** Non-zero padding modes of convs on the path that actually pad: their border cells read mirrored or wrapped pixels. */
  readonly paddingModes: readonly PaddingMode[];
}

/** How one layer maps output indices to the input indices they read, along one axis. */
interface AxisMap {
  /** Input indices (inside 0..n-1) that output index o reads; padding that is zero or never wins is left out. */
  reads(o: number): number[];
  /** The padded-coordinate interval that output interval [lo, hi] covers, ignoring borders. */
  span(lo: number, hi: number): [number, number];
  /** Every output index reads the same input index (element-wise layers, merges). */
  readonly identity?: boolean;
}

function axisMap(layer: Layer, axis: 0 | 1, n: number, out: number): AxisMap {
  const slide = (kernel: number, stride: number, dilation: number, before: number, mode: PaddingMode | 'never'): AxisMap => ({
    reads(o) {
      const found: number[] = [];
      for (let j = 0; j < kernel; j++) {
        const v = o * stride - before + j * dilation;
        const i = mode === 'never' ? (v >= 0 && v < n ? v : -1) : borderIndex(v, n, mode);
        if (i >= 0) found.push(i);
      }
      return found;
    },
    span: (lo, hi) => [lo * stride - before, hi * stride - before + effectiveKernel(kernel, dilation) - 1],
  });
  switch (layer.type) {
    case 'conv2d':
      return slide(layer.kernelSize[axis], layer.stride[axis], layer.dilation[axis], axis === 0 ? layer.padding.top : layer.padding.left, layer.paddingMode);
    case 'maxpool2d':
      return slide(layer.kernelSize[axis], layer.stride[axis], layer.dilation[axis], layer.padding[axis], 'never');
    case 'avgpool2d':
      return slide(layer.kernelSize[axis], layer.stride[axis], 1, layer.padding[axis], 'never');
    case 'adaptive_avgpool2d':
    case 'adaptive_maxpool2d':
      return {
        reads: (o) => Array.from({ length: adaptiveEnd(o, n, out) - adaptiveStart(o, n, out) }, (_, k) => adaptiveStart(o, n, out) + k),
        span: (lo, hi) => [adaptiveStart(lo, n, out), adaptiveEnd(hi, n, out) - 1],
      };
    case 'gem':
      // A global pool: its one cell reads the whole axis.
      return { reads: () => Array.from({ length: n }, (_, k) => k), span: () => [0, n - 1] };
    default:
      return { reads: (o) => [o], span: (lo, hi) => [lo, hi], identity: true };
  }
}

/** Per node and axis, the maps of nodes 0..last for an input of `input` shape (a merge maps each input cell to itself). */
function maps(net: Network, input: Shape, last: number): { shapes: Shape[]; axes: [AxisMap, AxisMap][] } {
  const shapes = inferShapes(net, input, `input size ${input.height}x${input.width}`);
  const axes = net.layers.slice(0, last + 1).map((layer, i): [AxisMap, AxisMap] => {
    const before = inputShapes(layer, input, shapes)[0];
    return [axisMap(layer, 0, before.height, shapes[i].height), axisMap(layer, 1, before.width, shapes[i].width)];
  });
  return { shapes, axes };
}

/** What one node's output rows and columns read of its inputs' (null: each reads its own index). */
export interface ReadTable {
  readonly rows: number[][] | null;
  readonly cols: number[][] | null;
}

/**
 * Per node 0..last, the input indices each output row and each output column reads: the tables
 * inputRegion walks back through, for pages that answer `where` themselves (the HTML report).
 */
export function readTables(net: Network, input: Shape, last: number): ReadTable[] {
  const { shapes, axes } = maps(net, input, last);
  const table = (map: AxisMap, n: number) => (map.identity ? null : Array.from({ length: n }, (_, o) => map.reads(o)));
  return axes.map(([rows, cols], i) => ({ rows: table(rows, shapes[i].height), cols: table(cols, shapes[i].width) }));
}

/** Sorted unique indices -> inclusive ranges. */
export function toRanges(indices: Iterable<number>): Ranges {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const ranges: Ranges = [];
  for (const i of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && i === last[1] + 1) last[1] = i;
    else ranges.push([i, i]);
  }
  return ranges;
}

/** The nodes node `last` depends on (itself included), through every branch. */
function ancestors(net: Network, last: number): Set<number> {
  const seen = new Set([last]);
  for (let i = last; i >= 0; i--) if (seen.has(i)) for (const j of net.layers[i].inputs) if (j !== INPUT) seen.add(j);
  return seen;
}

/**
 * The input pixels that output cell (y, x) of node `layer` depends on, for an input of `input` shape:
 * walking back through every branch, each node's cells are what its readers read, and the spans the
 * hull of theirs.
 */
export function inputRegion(net: Network, input: Shape, layer: number, y: number, x: number): InputRegion {
  const { axes } = maps(net, input, layer);
  const cell = [y, x];
  const sizes = [input.height, input.width];
  const unclipped: [number, number][] = [];
  const read: Ranges[] = [];
  for (const a of [0, 1] as const) {
    const sets = new Map<number, Set<number>>([[layer, new Set([cell[a]])]]);
    const spans = new Map<number, [number, number]>([[layer, [cell[a], cell[a]]]]);
    for (let i = layer; i >= 0; i--) {
      const set = sets.get(i);
      if (!set) continue;
      const map = axes[i][a];
      const span = map.span(...spans.get(i)!);
      for (const j of net.layers[i].inputs) {
        const next = sets.get(j) ?? new Set<number>();
        for (const o of set) for (const v of map.reads(o)) next.add(v);
        sets.set(j, next);
        const s = spans.get(j);
        spans.set(j, s ? [Math.min(s[0], span[0]), Math.max(s[1], span[1])] : span);
      }
    }
    unclipped.push(spans.get(INPUT)!);
    read.push(toRanges(sets.get(INPUT)!));
  }
  const clip = (s: [number, number], n: number): [number, number] | null => (s[1] < 0 || s[0] > n - 1 ? null : [Math.max(0, s[0]), Math.min(n - 1, s[1])]);
  const rows = clip(unclipped[0], sizes[0]);
  const cols = clip(unclipped[1], sizes[1]);
  const paddingModes = new Set<PaddingMode>();
  for (const i of ancestors(net, layer)) {
    const l = net.layers[i];
    if (l.type === 'conv2d' && l.paddingMode !== 'zeros' && l.padding.top + l.padding.bottom + l.padding.left + l.padding.right > 0) paddingModes.add(l.paddingMode);
  }
  return {
    unclipped: { rows: unclipped[0], cols: unclipped[1] },
    clipped: rows && cols ? { rows, cols } : null,
    read: { rows: read[0], cols: read[1] },
    paddingModes: [...paddingModes],
  };
}

/** The cells of node `layer` whose value depends on input pixel (y, x), through every branch: rows × cols. */
export function outputRegion(net: Network, input: Shape, layer: number, y: number, x: number): { rows: Ranges; cols: Ranges } {
  const { shapes, axes } = maps(net, input, layer);
  const pixel = [y, x];
  const result: Ranges[] = [];
  for (const a of [0, 1] as const) {
    const sets = new Map<number, Set<number>>([[INPUT, new Set([pixel[a]])]]);
    for (let i = 0; i <= layer; i++) {
      const n = a === 0 ? shapes[i].height : shapes[i].width;
      const next = new Set<number>();
      for (const j of net.layers[i].inputs) {
        const from = sets.get(j)!;
        if (from.size > 0) for (let o = 0; o < n; o++) if (axes[i][a].reads(o).some((v) => from.has(v))) next.add(o);
      }
      sets.set(i, next);
    }
    result.push(toRanges(sets.get(layer)!));
  }
  return { rows: result[0], cols: result[1] };
}

/** Output shape of every layer (for messages and range checks). */
export function layerShapes(net: Network, input: Shape): Shape[] {
  return inferShapes(net, input, `input size ${input.height}x${input.width}`);
}
