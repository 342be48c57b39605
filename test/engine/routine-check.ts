// What every routine-<id>.test.ts checks of its cases: the conv runs on that routine, within tolerance of the reference,
// with the same bytes on 1, 2 and 3 threads and in bands cut anywhere.
import { afterAll, beforeAll, expect } from 'vitest';
import type { RowRange } from '../../src/engine/band.js';
import { FastEngine } from '../../src/engine/fast/index.js';
import type { Algorithm } from '../../src/engine/fast/plan-types.js';
import { routineFor } from '../../src/engine/fast/routines/index.js';
import { createReferenceEngine } from '../../src/engine/reference.js';
import type { Shape } from '../../src/engine/tensor.js';
import type { Conv2dLayer, Layer } from '../../src/network/types.js';
import { ALL_MODES, bandMatchesWhole, caseFor, describe, firstMismatch, int, mulberry32, network, pick, sameBytes, shapesOf, wholeRun, type Case, type Rand } from './fast-nets.js';

const reference = createReferenceEngine();

/** Fast engines with 1, 2 and 3 threads under `algorithm` (profiling on, so tests see the step labels), for one test file. */
export function routineEngines(algorithm: Algorithm): Map<number, FastEngine> {
  const engines = new Map<number, FastEngine>();
  beforeAll(async () => {
    for (const t of [1, 2, 3]) {
      const e = await FastEngine.create(t, algorithm);
      e.profile = true;
      engines.set(t, e);
    }
  });
  afterAll(async () => {
    for (const e of engines.values()) await e.close();
  });
  return engines;
}

/**
 * A case from `make` (layers on an input shape, conv first) whose conv `routine` runs under
 * `algorithm`: draws until one fits and picks the routine, so every case tests it.
 */
export function routineCase(routine: string, algorithm: Algorithm, seed: number, make: (r: Rand) => { layers: Layer[]; input: Shape }): Case {
  const r = mulberry32(seed);
  for (;;) {
    const { layers, input } = make(r);
    const shapes = shapesOf(layers, input);
    if (!shapes || routineFor(layers[0] as Conv2dLayer, algorithm, shapes[0]).id !== routine) continue;
    const c = caseFor(r, layers, input);
    if (c) return c;
  }
}

/** What ran: whether the conv step fused a pool (its label names one). */
export interface Ran {
  readonly fusedPool: boolean;
}

/**
 * Runs case `c` on the engines: its first step is `routine`'s (by the label), the last layer's output is
 * within the conformance rule of the reference's, threads 1, 2 and 3 give the same bytes, and `bands`
 * band splits (cut at random rows) give the same rows as the whole run.
 */
export async function checkRoutine(routine: string, engines: Map<number, FastEngine>, c: Case, seed: number, bands = 1): Promise<Ran> {
  const last = c.net.layers.length - 1;
  const what = `seed ${seed}: ${describe(c.net, c.input)}`;
  const ref = await wholeRun(reference, c);
  const outs = [];
  for (const t of [1, 2, 3]) outs.push(await wholeRun(engines.get(t)!, c));
  const label = engines.get(3)!.lastTimings[0].label;
  expect(label, what).toContain(`conv2d[${routine}]`);
  const bad = firstMismatch(outs[0].data, ref.data, outs[0]);
  expect(bad, `${what}: ${bad}`).toBeNull();
  expect(sameBytes(outs[1].data, outs[0].data), `${what}: threads 2`).toBe(true);
  expect(sameBytes(outs[2].data, outs[0].data), `${what}: threads 3`).toBe(true);
  const h = c.shapes[last].height;
  const cuts = mulberry32(seed);
  for (let k = 0; k < bands && h > 1; k++) {
    const cut = 1 + Math.floor(cuts() * (h - 1));
    for (const out of [{ start: 0, end: cut }, { start: cut, end: h }]) {
      expect(await bandMatchesWhole(engines.get(2)!, c, last, outs[0].data, out), `${what}: rows ${out.start}..${out.end}`).toBe(true);
    }
  }
  return { fusedPool: /pool2d/.test(label) };
}

/** An unpadded conv at index 0, weights sin(1), sin(2), ... unless given, no bias. */
export function plainConv(o: Partial<Conv2dLayer> & { cin: number; cout: number; k: [number, number] }): Conv2dLayer {
  const groups = o.groups ?? 1;
  return {
    type: 'conv2d', index: 0, inChannels: o.cin, outChannels: o.cout, kernelSize: o.k, stride: o.stride ?? [1, 1], dilation: o.dilation ?? [1, 1],
    padding: { top: 0, bottom: 0, left: 0, right: 0 }, paddingMode: 'zeros', groups,
    weight: o.weight ?? Float32Array.from({ length: o.cout * (o.cin / groups) * o.k[0] * o.k[1] }, (_, i) => Math.sin(i + 1)), bias: null,
  };
}

/** A conv at index 0 with random padding (up to the kernel's reach) and padding mode, weights scaled to its fan-in, a bias 70% of the time. */
export function randomConv(r: Rand, o: { cin: number; cout: number; kernel: readonly [number, number]; stride?: readonly [number, number]; dilation?: readonly [number, number]; groups?: number }): Conv2dLayer {
  const [kh, kw] = o.kernel;
  const groups = o.groups ?? 1;
  const fanIn = (o.cin / groups) * kh * kw;
  return {
    type: 'conv2d', index: 0, inChannels: o.cin, outChannels: o.cout, kernelSize: [kh, kw], stride: [...(o.stride ?? [1, 1])] as [number, number], dilation: [...(o.dilation ?? [1, 1])] as [number, number],
    padding: { top: int(r, 0, kh - 1), bottom: int(r, 0, kh - 1), left: int(r, 0, kw - 1), right: int(r, 0, kw - 1) }, paddingMode: pick(r, ALL_MODES), groups,
    weight: Float32Array.from({ length: o.cout * fanIn }, () => (r() * 2 - 1) / Math.sqrt(fanIn)), bias: r() < 0.7 ? Float32Array.from({ length: o.cout }, () => r() - 0.5) : null,
  };
}

/**
 * The layers after a conv of `channels` outputs: a batchnorm (probability `bn`), relu or leaky_relu
 * (`act`), then a max or average pool of one of `pools` ([kernel, stride] pairs, probability `pool`).
 */
export function randomTail(r: Rand, channels: number, o: { bn?: number; act?: number; pool?: number; pools?: readonly (readonly [number, number])[] }): Layer[] {
  const layers: Layer[] = [];
  const c = channels;
  if (r() < (o.bn ?? 0.25)) {
    layers.push({ type: 'batchnorm2d', index: 1, channels: c, weight: Float32Array.from({ length: c }, () => r() + 0.5), bias: Float32Array.from({ length: c }, () => r() - 0.5), runningMean: Float32Array.from({ length: c }, () => r() - 0.5), runningVar: Float32Array.from({ length: c }, () => 0.2 + r()), eps: 1e-5 });
  }
  if (r() < (o.act ?? 0.8)) layers.push(r() < 0.8 ? { type: 'relu', index: 1 + layers.length } : { type: 'leaky_relu', index: 1 + layers.length, negativeSlope: pick(r, [0.1, -0.5]) });
  if (o.pools && r() < (o.pool ?? 0.6)) {
    const [k, s] = pick(r, o.pools);
    const index = 1 + layers.length;
    layers.push(r() < 0.5
      ? { type: 'maxpool2d', index, kernelSize: [k, k], stride: [s, s], padding: [0, 0], dilation: [1, 1], ceilMode: false }
      : { type: 'avgpool2d', index, kernelSize: [k, k], stride: [s, s], padding: [0, 0], ceilMode: false, countIncludePad: true, divisorOverride: r() < 0.2 ? 3 : null });
  }
  return layers;
}

/**
 * A cin -> cout 3x3 conv + ReLU on a height x width map, padded 1 on every side (so the output map, which
 * decides the Winograd tiles and the split, is the input's): on routine `id` (the step label on 2 and 3
 * threads), within tolerance of the reference, the same bytes on threads 1/2/3 and in the band `band`
 * of rows. Returns the number of phases of its step.
 */
export async function checkConvRelu(engines: Map<number, FastEngine>, id: string, seed: number, o: { cin: number; cout: number; height: number; width: number; groups?: number }, band: RowRange): Promise<number> {
  const r = mulberry32(seed);
  const conv = { ...randomConv(r, { cin: o.cin, cout: o.cout, groups: o.groups, kernel: [3, 3] }), padding: { top: 1, bottom: 1, left: 1, right: 1 } };
  const c: Case = { net: network(o.cin, [conv, { type: 'relu', index: 1 }]), input: { channels: o.cin, height: o.height, width: o.width, data: Float32Array.from({ length: o.cin * o.height * o.width }, () => r() * 2 - 1) }, shapes: [] };
  c.shapes.push(...shapesOf(c.net.layers, c.input)!);
  const ref = await wholeRun(reference, c);
  const outs = await Promise.all([1, 2, 3].map((t) => wholeRun(engines.get(t)!, c)));
  const label = `0-1 conv2d[${id}]+relu`;
  expect(engines.get(3)!.lastTimings[0].label).toBe(label);
  const step = engines.get(2)!.lastTimings[0];
  expect(step.label).toBe(label);
  expect(firstMismatch(outs[0].data, ref.data, outs[0])).toBeNull();
  expect(sameBytes(outs[1].data, outs[0].data) && sameBytes(outs[2].data, outs[0].data)).toBe(true);
  expect(await bandMatchesWhole(engines.get(2)!, c, 1, outs[0].data, band)).toBe(true);
  return step.phases.length;
}

/** deepLayerCase(ic, size) on routine `id` (by the step label): within the conformance rule of the reference. */
export async function checkDeepLayer(engines: Map<number, FastEngine>, id: string, ic: number, size: number): Promise<void> {
  const c = deepLayerCase(ic, size);
  const ref = await wholeRun(reference, c);
  const out = await wholeRun(engines.get(2)!, c);
  expect(engines.get(2)!.lastTimings[0].label).toBe(`0-1 conv2d[${id}]+relu`);
  expect(firstMismatch(out.data, ref.data, out)).toBeNull();
}

/** A 3x3 conv of `ic` -> 128 channels with VGG-like weights (He-uniform) and a ReLU on a `size` x `size` map of values in [0, 4): the rounding of deep Winograd layers. */
export function deepLayerCase(ic: number, size: number): Case {
  const r = mulberry32(3);
  const oc = 128;
  const bound = Math.sqrt(6 / (ic * 9));
  const net = network(ic, [
    { type: 'conv2d', index: 0, inChannels: ic, outChannels: oc, kernelSize: [3, 3], stride: [1, 1], dilation: [1, 1], padding: { top: 1, bottom: 1, left: 1, right: 1 }, paddingMode: 'zeros', groups: 1,
      weight: Float32Array.from({ length: oc * ic * 9 }, () => (r() * 2 - 1) * bound), bias: Float32Array.from({ length: oc }, () => r() * 0.2 - 0.1) },
    { type: 'relu', index: 1 },
  ]);
  return { net, input: { channels: ic, height: size, width: size, data: Float32Array.from({ length: ic * size * size }, () => r() * 4) }, shapes: [{ channels: oc, height: size, width: size }, { channels: oc, height: size, width: size }] };
}
