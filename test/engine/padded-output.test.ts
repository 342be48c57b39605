// A conv step writing straight into the padded buffer of the conv that reads it (plan.ts paddedOutputs, HeapBand.padded):
// for every routine that writes pitched rows before every routine that pads its whole input, two convs in a row give the
// reference's results, the same bytes on 1, 2 and 3 threads and in bands cut anywhere, and the plan places the map.
// (winograd1d and direct read a padded copy too: direct only when the layer pads.)
import { describe as group, expect, it } from 'vitest';
import { SharedHeap } from '../../src/engine/fast/memory.js';
import { makePlan } from '../../src/engine/fast/plan.js';
import { routineFor } from '../../src/engine/fast/routines/index.js';
import { createReferenceEngine } from '../../src/engine/reference.js';
import type { Conv2dLayer, Layer } from '../../src/network/types.js';
import { bandMatchesWhole, bandOf, caseFor, describe, fastEnginesPerThreadCount, firstMismatch, int, mulberry32, pick, rowsFor, sameBytes, shapesOf, wholeRun, type Case, type Rand } from './fast-nets.js';
import { randomConv } from './routine-check.js';

const engines = fastEnginesPerThreadCount();
const reference = createReferenceEngine();

const PRODUCERS = ['winograd2d_small', 'winograd1d_small', 'winograd2d', 'winograd2d_wide', 'winograd1d', 'direct', 'depthwise', 'separable'];
const CONSUMERS = ['winograd2d_small', 'winograd1d_small', 'winograd2d', 'winograd2d_wide', 'winograd1d', 'direct'];

/** Widths where 6x6 tiles pay (winograd2d_wide) and others around the 4-wide tiles and groups of 16. */
const WIDTHS = [5, 9, 16, 17, 19, 23, 24, 33, 36, 41, 48];

/** A conv of cin -> cout drawn for routine `id` (others may come out; the caller draws again). */
function convFor(r: Rand, id: string, cin: number, cout: number): Conv2dLayer {
  if (id === 'depthwise' || id === 'separable') {
    const c = randomConv(r, { cin, cout: cin, kernel: [3, 3], groups: cin });
    if (id === 'depthwise') return c;
    // Rank-1 kernels: a column of taps times a row of taps per channel.
    const w = new Float32Array(cin * 9);
    for (let ch = 0; ch < cin; ch++) {
      const col = [r() - 0.5, r() + 0.5, r() - 0.5];
      const row = [r() + 0.25, r() - 0.5, r() + 0.25];
      for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) w[ch * 9 + ky * 3 + kx] = col[ky] * row[kx];
    }
    return { ...c, weight: w };
  }
  const kernel = id === 'winograd1d_small' ? pick(r, [[1, 5], [3, 3], [2, 5]] as const) : id === 'winograd1d' ? pick(r, [[1, 3], [5, 3], [2, 3]] as const) : id === 'direct' ? pick(r, [[2, 2], [5, 5], [1, 2]] as const) : ([3, 3] as const);
  return randomConv(r, { cin, cout, kernel });
}

/** Channels a routine takes in: the few-channel ones 1..7 (2..7 for winograd2d_small), the GEMM-based ones 8 and more. */
function inRange(id: string): [number, number] {
  if (id === 'winograd1d_small') return [1, 7];
  if (id === 'winograd2d_small') return [2, 7];
  if (id === 'depthwise' || id === 'separable') return [1, 12];
  if (id === 'direct') return [1, 16];
  return [8, 16];
}

/** Channels a routine gives out: the GEMM-based ones 8 and more, the few-channel ones 4 and more (they share a transform between outputs). */
function outRange(id: string): [number, number] {
  if (id === 'winograd2d' || id === 'winograd2d_wide' || id === 'winograd1d') return [8, 16];
  if (id === 'winograd2d_small' || id === 'winograd1d_small') return [4, 16];
  return [1, 16];
}

/** The channels between producer and consumer both take, or null when there are none (a GEMM-based routine cannot feed a few-channel one). */
function midRange(producer: string, consumer: string): [number, number] | null {
  const lo = Math.max(inRange(consumer)[0], outRange(producer)[0], producer === 'depthwise' || producer === 'separable' ? inRange(producer)[0] : 1);
  const hi = Math.min(inRange(consumer)[1], outRange(producer)[1], producer === 'depthwise' || producer === 'separable' ? inRange(producer)[1] : 16);
  return lo <= hi ? [lo, hi] : null;
}

/** Two convs in a row, the first on `producer` (an activation and a fused 2x2 pool after it sometimes), the second on `consumer`. */
function pairCase(producer: string, consumer: string, seed: number): Case {
  const r = mulberry32(seed);
  const [lo, hi] = midRange(producer, consumer)!;
  for (let tries = 0; ; tries++) {
    if (tries === 20000) throw new Error(`no case of ${producer} -> ${consumer} drawn`);
    const mid = int(r, lo, hi);
    const [plo, phi] = inRange(producer);
    const cin = producer === 'depthwise' || producer === 'separable' ? mid : int(r, plo, phi);
    const first = convFor(r, producer, cin, mid);
    const tail: Layer[] = r() < 0.7 ? [{ type: 'relu', index: 1 }] : [];
    const pooled = producer !== 'depthwise' && producer !== 'separable' && r() < 0.4;
    if (pooled) tail.push({ type: 'maxpool2d', index: 1 + tail.length, kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false });
    const second = { ...convFor(r, consumer, mid, int(r, 4, 12)), index: 1 + tail.length };
    // The direct routine reads an unpadded input where it lies: nothing to place.
    if (consumer === 'direct' && Object.values(second.padding).every((p) => p === 0)) continue;
    const layers: Layer[] = [first, ...tail, second];
    const input = { channels: cin, height: int(r, 2, 30), width: pick(r, WIDTHS) * (pooled ? 2 : 1) };
    const shapes = shapesOf(layers, input);
    if (!shapes) continue;
    const inShape = tail.length ? shapes[tail.length] : shapes[0];
    if (routineFor(first, 'auto', shapes[0]).id !== producer || routineFor(second, 'auto', shapes[layers.length - 1]).id !== consumer || inShape.height < 1) continue;
    const c = caseFor(r, layers, input);
    if (c) return c;
  }
}

/** The nodes makePlan writes into their reader's padded buffer when rows `out` of the case's last node, and `outputs`, are asked for, on 2 threads. */
function paddedNodes(c: Case, out: { start: number; end: number }, outputs = [c.net.layers.length - 1]): readonly number[] {
  const { rows, input } = rowsFor(c.net, c.input.height, c.shapes, c.net.layers.length - 1, out);
  return makePlan({ heap: new SharedHeap(), threads: 2, packs: new WeakMap(), algorithm: 'auto' }, c.net, bandOf(c, input), rows, outputs).paddedNodes;
}

group('conv output written into the next conv padded buffer', () => {
  for (const producer of PRODUCERS) {
    it(`${producer} before each routine that pads its input: the reference results, the same bytes on 1/2/3 threads and in bands; the map placed`, async () => {
      for (const consumer of CONSUMERS.filter((c) => midRange(producer, c))) {
        for (let k = 0; k < 3; k++) {
          const seed = PRODUCERS.indexOf(producer) * 1000 + CONSUMERS.indexOf(consumer) * 10 + k;
          const c = pairCase(producer, consumer, seed);
          const last = c.net.layers.length - 1;
          const what = `${producer} -> ${consumer}, seed ${seed}: ${describe(c.net, c.input)}`;
          const h = c.shapes[last].height;
          expect(paddedNodes(c, { start: 0, end: h }), what).toEqual([last - 1]);
          const ref = await wholeRun(reference, c);
          const whole = await wholeRun(engines.get(1)!, c);
          const bad = firstMismatch(whole.data, ref.data, whole);
          expect(bad, `${what}: ${bad}`).toBeNull();
          for (const t of [2, 3]) expect(sameBytes((await wholeRun(engines.get(t)!, c)).data, whole.data), `${what}: ${t} threads`).toBe(true);
          const cut = 1 + (seed % Math.max(1, h - 1));
          for (const out of cut < h ? [{ start: 0, end: cut }, { start: cut, end: h }] : [{ start: 0, end: h }]) {
            expect(await bandMatchesWhole(engines.get(2)!, c, last, whole.data, out), `${what}: rows ${out.start}..${out.end}`).toBe(true);
          }
        }
      }
    }, 120_000);
  }

  it('leaves a map dense when another layer reads it too, or it is asked for', () => {
    const c = pairCase('winograd2d', 'winograd2d', 7);
    const last = c.net.layers.length - 1;
    const whole = { start: 0, end: c.shapes[last].height };
    expect(paddedNodes(c, whole)).toEqual([last - 1]);
    expect(paddedNodes(c, whole, [last - 1, last])).toEqual([]);
  });
});
