// Random valid layer stacks for the fast-vs-reference property tests (Network objects built directly, no JSON).
import { afterAll, beforeAll } from 'vitest';
import { neededRows, nodeRows, type RowRange } from '../../src/engine/band.js';
import { FastEngine } from '../../src/engine/fast/index.js';
import type { Engine } from '../../src/engine/engine.js';
import { tensor, type Shape, type Tensor } from '../../src/engine/tensor.js';
import { layerDef } from '../../src/layers/index.js';
import type { Layer, Network, PaddingMode } from '../../src/network/types.js';
import { stackNetwork, type StackLayer } from '../../src/network/tree.js';
import { compareWithTolerance, mulberry32 } from '../helpers.js';

export { mulberry32 };

export type Rand = () => number;

/** A uniform integer in [lo, hi]. */
export const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
/** A uniform element of xs. */
export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const floats = (r: Rand, n: number, scale: number): Float32Array => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);

/** Widths and heights at, below and above the micro-kernels' 4- and 8-pixel strips, Winograd's 4-pixel tiles (and 1x1). */
export const EDGE_SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 11, 12, 13, 15, 16, 17, 20, 23, 24, 25, 27];

export const ALL_MODES: readonly PaddingMode[] = ['zeros', 'reflect', 'replicate', 'circular', 'symmetric'];

export function network(channels: number, layers: StackLayer[]): Network {
  return stackNetwork({ name: 'random', file: '<test>', input: { channels, mean: null, std: null, resize: null } }, layers);
}

function randomLayer(r: Rand, index: number, c: number, modes: readonly PaddingMode[]): Layer {
  const roll = r();
  if (roll < 0.45) {
    const kh = int(r, 1, 5), kw = pick(r, [kh, 3, int(r, 1, 5)]);
    const groups = pick(r, [1, 1, 1, ...[2, 3, c].filter((g) => c % g === 0)]);
    const outChannels = groups * int(r, 1, Math.max(1, Math.floor(10 / groups)));
    const stride: [number, number] = r() < 0.7 ? [1, 1] : [int(r, 1, 3), pick(r, [1, int(r, 1, 3)])];
    const dilation: [number, number] = r() < 0.75 ? [1, 1] : [int(r, 1, 2), pick(r, [1, 2])];
    const fanIn = (c / groups) * kh * kw;
    return {
      type: 'conv2d', index, inChannels: c, outChannels, kernelSize: [kh, kw], stride, dilation,
      padding: { top: int(r, 0, kh - 1), bottom: int(r, 0, kh - 1), left: int(r, 0, kw - 1), right: int(r, 0, kw - 1) },
      paddingMode: pick(r, modes), groups,
      weight: floats(r, outChannels * fanIn, Math.sqrt(3 / fanIn)), bias: r() < 0.7 ? floats(r, outChannels, 0.5) : null,
    };
  }
  if (roll < 0.55) return { type: 'relu', index };
  if (roll < 0.6) return { type: 'leaky_relu', index, negativeSlope: pick(r, [0.01, 0.2, -0.5]) };
  if (roll < 0.68) {
    return {
      type: 'batchnorm2d', index, channels: c, weight: floats(r, c, 1), bias: floats(r, c, 0.5),
      runningMean: floats(r, c, 0.5), runningVar: Float32Array.from({ length: c }, () => 0.2 + r()), eps: 1e-5,
    };
  }
  const k = int(r, 1, 4), k2 = pick(r, [k, int(r, 1, 4)]);
  if (roll < 0.8) {
    const s = pick(r, [k, k, int(r, 1, 3)]);
    return {
      type: 'maxpool2d', index, kernelSize: [k, k2], stride: [s, pick(r, [s, k2])], padding: [int(r, 0, k >> 1), int(r, 0, k2 >> 1)],
      dilation: r() < 0.8 ? [1, 1] : [2, 1], ceilMode: r() < 0.3,
    };
  }
  if (roll < 0.92) {
    const s = pick(r, [k, k, int(r, 1, 3)]);
    return {
      type: 'avgpool2d', index, kernelSize: [k, k2], stride: [s, pick(r, [s, k2])], padding: [int(r, 0, k >> 1), int(r, 0, k2 >> 1)],
      ceilMode: r() < 0.3, countIncludePad: r() < 0.5, divisorOverride: r() < 0.2 ? int(r, 1, 5) : null,
    };
  }
  return { type: pick(r, ['adaptive_avgpool2d', 'adaptive_maxpool2d'] as const), index, outputSize: [pick(r, [null, 1, 2, 3]), pick(r, [null, 1, 3, 4])] };
}

export interface Case {
  readonly net: Network;
  readonly input: Tensor;
  readonly shapes: Shape[];
}

/** A random network of 1..maxLayers layers that fits a random input (retries until every layer fits). */
export function randomCase(seed: number, opts: { maxLayers?: number; modes?: readonly PaddingMode[]; sizes?: readonly number[] } = {}): Case {
  const r = mulberry32(seed);
  const modes = opts.modes ?? ALL_MODES;
  const sizes = opts.sizes ?? EDGE_SIZES;
  for (;;) {
    const channels = int(r, 1, 6);
    const input: Shape = { channels, height: pick(r, sizes), width: pick(r, sizes) };
    const n = int(r, 1, opts.maxLayers ?? 4);
    const layers: Layer[] = [];
    const shapes: Shape[] = [];
    let s = input;
    let ok = true;
    for (let i = 0; i < n; i++) {
      // Bias towards convs first so most stacks exercise the SIMD path.
      const layer = i === 0 && r() < 0.7 ? randomLayer(() => r() * 0.45, i, s.channels, modes) : randomLayer(r, i, s.channels, modes);
      const next = layerDef(layer).outputShape(layer, s);
      if (typeof next === 'string') {
        ok = false;
        break;
      }
      layers.push(layer);
      shapes.push(next);
      s = next;
    }
    if (!ok) continue;
    const data = floats(r, channels * input.height * input.width, 1);
    return { net: network(channels, layers), input: { ...input, data }, shapes };
  }
}

/** Rows each layer must compute so that the last layer yields `out` (walking neededRows backwards). */
export function rowsFor(net: Network, inputHeight: number, shapes: readonly Shape[], last: number, out: RowRange): { rows: RowRange[]; input: RowRange } {
  const rows: RowRange[] = [];
  rows[last] = out;
  for (let i = last; i > 0; i--) rows[i - 1] = neededRows(net.layers[i], rows[i], shapes[i - 1].height, shapes[i]);
  return { rows, input: neededRows(net.layers[0], rows[0], inputHeight, shapes[0]) };
}

/** The case of `layers` on an input of shape `input` with values uniform in [-1, 1) from r, or null when a layer does not fit. */
export function caseFor(r: Rand, layers: Layer[], input: Shape): Case | null {
  const shapes = shapesOf(layers, input);
  if (!shapes) return null;
  return { net: network(input.channels, layers), input: { ...input, data: floats(r, input.channels * input.height * input.width, 1) }, shapes };
}

/** Rows [out.start, out.end) of every channel of a whole map. */
export function bandRows(data: Float32Array, s: Shape, out: RowRange): Float32Array {
  const n = out.end - out.start;
  const res = new Float32Array(s.channels * n * s.width);
  for (let ch = 0; ch < s.channels; ch++) res.set(data.subarray((ch * s.height + out.start) * s.width, (ch * s.height + out.end) * s.width), ch * n * s.width);
  return res;
}

/** The case's input rows as a band of the full map. */
export function bandOf(c: Case, rows: RowRange): { tensor: Tensor; y0: number; fullHeight: number } {
  return { tensor: tensor(c.input.channels, rows.end - rows.start, c.input.width, bandRows(c.input.data, c.input, rows)), y0: rows.start, fullHeight: c.input.height };
}

/** Whether running only the rows `out` of layer `last` as a band gives the same bytes as those rows of the whole run. */
export async function bandMatchesWhole(engine: Engine, c: Case, last: number, whole: Float32Array, out: RowRange): Promise<boolean> {
  const { rows, input } = rowsFor(c.net, c.input.height, c.shapes, last, out);
  const [got] = await engine.run(c.net, bandOf(c, input), rows, [last]);
  return sameBytes(got.tensor.data, bandRows(whole, c.shapes[last], out));
}

/** The conformance rule (src/verify/compare.ts) on the fast engine's output against the reference's: the first violation or null. */
export function firstMismatch(out: Float32Array, ref: Float32Array, shape: Shape): string | null {
  return compareWithTolerance(out, ref, [shape.channels, shape.height, shape.width]);
}

export function describe(net: Network, input: Shape): string {
  const parts = net.layers.map((l) => {
    if (l.type === 'conv2d') return `conv ${l.inChannels}->${l.outChannels} k${l.kernelSize.join('x')} s${l.stride.join('x')} d${l.dilation.join('x')} p${Object.values(l.padding).join(',')} ${l.paddingMode} g${l.groups}`;
    if (l.type === 'maxpool2d' || l.type === 'avgpool2d') return `${l.type} k${l.kernelSize.join('x')} s${l.stride.join('x')} p${l.padding.join('x')}${l.ceilMode ? ' ceil' : ''}`;
    return l.type;
  });
  return `${input.channels}x${input.height}x${input.width}: ${parts.join(' | ')}`;
}

/** The output shape of every layer for `input`, or null when some layer does not fit. */
export function shapesOf(layers: readonly Layer[], input: Shape): Shape[] | null {
  const shapes: Shape[] = [];
  let s = input;
  for (const l of layers) {
    const next = layerDef(l).outputShape(l, s);
    if (typeof next === 'string') return null;
    shapes.push(next);
    s = next;
  }
  return shapes;
}

/**
 * Fast engines with 1, 2 and 3 threads (profiling on, so tests can see which path ran), started
 * before a file's tests and closed after them.
 */
export function fastEnginesPerThreadCount(): Map<number, FastEngine> {
  const engines = new Map<number, FastEngine>();
  beforeAll(async () => {
    for (const t of [1, 2, 3]) {
      const e = await FastEngine.create(t);
      e.profile = true;
      engines.set(t, e);
    }
  });
  afterAll(async () => {
    for (const e of engines.values()) await e.close();
  });
  return engines;
}

/** Runs case `c` on `engine` as a whole map and returns layer `last`'s output (default: the last layer). */
export async function wholeRun(engine: Engine, c: Case, last = c.net.layers.length - 1): Promise<Tensor> {
  const rows = c.shapes.map((s) => ({ start: 0, end: s.height }));
  const [out] = await engine.run(c.net, { tensor: tensor(c.input.channels, c.input.height, c.input.width, c.input.data), y0: 0, fullHeight: c.input.height }, rows, [last]);
  return out.tensor;
}

/** True when two float arrays hold the same bytes (NaN payloads and signed zeros included). */
export function sameBytes(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/**
 * Node `last` of `net` on input `x` in about three bands of rows, each run from just the input rows it
 * needs (halos through every branch): each band's output rows and data, to hold against a whole run.
 */
export async function lastNodeBands(engine: Engine, net: Network, x: Tensor, shapes: readonly Shape[], last: number): Promise<{ out: RowRange; data: Float32Array }[]> {
  const input = { channels: x.channels, height: x.height, width: x.width };
  const height = shapes[last].height;
  const step = Math.max(1, Math.ceil(height / 3));
  const bands = [];
  for (let start = 0; start < height; start += step) {
    const out = { start, end: Math.min(height, start + step) };
    const need = nodeRows(net, new Map([[last, out]]), shapes as Shape[], x.height);
    const rows = need.input!;
    const inBand = { tensor: tensor(x.channels, rows.end - rows.start, x.width, bandRows(x.data, input, rows)), y0: rows.start, fullHeight: x.height };
    const [got] = await engine.run(net, inBand, need.rows, [last]);
    bands.push({ out, data: got.tensor.data });
  }
  return bands;
}
