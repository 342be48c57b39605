// The input copied straight into the first layer's padded buffer (plan-parts.ts planPad, InputPlacement): used when the
// first conv pads its input and its rows are at least PLACEMENT_MIN_WIDTH floats; narrower inputs are copied densely and
// padded by the padding phase. The wide runs below check the placed bytes against the reference, across threads and bands.
import { describe, expect, it } from 'vitest';
import { SharedHeap } from '../../src/engine/fast/memory.js';
import { PLACEMENT_MIN_WIDTH } from '../../src/engine/fast/plan-parts.js';
import { fullShapes, makePlan } from '../../src/engine/fast/plan.js';
import { createReferenceEngine } from '../../src/engine/reference.js';
import { tensor } from '../../src/engine/tensor.js';
import type { Conv2dLayer, PaddingMode } from '../../src/network/types.js';
import { mulberry32 } from '../helpers.js';
import { ALL_MODES, bandMatchesWhole, caseFor, fastEnginesPerThreadCount, firstMismatch, network, sameBytes, wholeRun } from './fast-nets.js';

const engines = fastEnginesPerThreadCount();

function conv(pad: number, mode: PaddingMode, kernel = 5): Conv2dLayer {
  const r = mulberry32(pad * 31 + kernel);
  return {
    type: 'conv2d', index: 0, inChannels: 2, outChannels: 4, kernelSize: [kernel, kernel], stride: [1, 1], dilation: [1, 1],
    padding: { top: pad, bottom: pad, left: pad, right: pad }, paddingMode: mode, groups: 1, weight: Float32Array.from({ length: 4 * 2 * kernel * kernel }, () => r() - 0.5), bias: null,
  };
}

function plan(layer: Conv2dLayer, band: { y0: number; height: number; fullHeight: number }, width: number) {
  const net = network(2, [layer]);
  const input = { tensor: tensor(2, band.height, width, new Float32Array(2 * band.height * width)), y0: band.y0, fullHeight: band.fullHeight };
  const out = fullShapes(net, { channels: 2, height: band.fullHeight, width })[0];
  return makePlan({ heap: new SharedHeap(), threads: 2, packs: new WeakMap(), algorithm: 'auto' }, net, input, [{ start: 0, end: out.height }], [0]);
}

describe('input placement', () => {
  const wide = PLACEMENT_MIN_WIDTH + 6;

  it('puts wide input rows inside the padded buffer of a first conv that pads (zeros and reflect), one padded row apart per input row', () => {
    for (const mode of ['zeros', 'reflect'] as const) {
      const p = plan(conv(2, mode), { y0: 0, height: 30, fullHeight: 30 }, wide);
      expect(p.inputPlacement, mode).not.toBeNull();
      expect(p.inputPlacement!.pitch).toBeGreaterThanOrEqual(wide + 4);
      expect([p.inputPlacement!.first, p.inputPlacement!.end]).toEqual([0, 30]);
      expect(p.inputPlacement!.plane).toBeGreaterThanOrEqual(34 * p.inputPlacement!.pitch);
    }
  });

  it('copies narrower inputs densely, and leaves the input dense when the first conv reads it as it is (a 1x1 conv)', () => {
    expect(plan(conv(2, 'zeros'), { y0: 0, height: 30, fullHeight: 30 }, PLACEMENT_MIN_WIDTH - 1).inputPlacement).toBeNull();
    const oneByOne = { ...conv(0, 'zeros'), kernelSize: [1, 1] as [number, number], weight: new Float32Array(4 * 2).fill(0.01) };
    expect(plan(oneByOne, { y0: 0, height: 30, fullHeight: 30 }, wide).inputPlacement).toBeNull();
  });

  it('gives the reference results on wide inputs in every padding mode, the same bytes on 1, 2 and 3 threads, and bands cut anywhere match', async () => {
    const reference = createReferenceEngine();
    const r = mulberry32(11);
    for (const mode of ALL_MODES) {
      for (const kernel of [3, 5]) {
        const c = caseFor(r, [conv(kernel >> 1, mode, kernel)], { channels: 2, height: 13, width: wide })!;
        const expected = (await wholeRun(reference, c)).data;
        const whole = (await wholeRun(engines.get(1)!, c)).data;
        expect(firstMismatch(whole, expected, c.shapes[0]), `${mode} ${kernel}x${kernel}`).toBeNull();
        for (const t of [2, 3]) expect(sameBytes((await wholeRun(engines.get(t)!, c)).data, whole), `${mode} ${kernel}x${kernel}, ${t} threads`).toBe(true);
        for (const out of [{ start: 0, end: 5 }, { start: 4, end: 13 }, { start: 6, end: 7 }]) {
          expect(await bandMatchesWhole(engines.get(2)!, c, 0, whole, out), `${mode} ${kernel}x${kernel}, rows ${out.start}..${out.end}`).toBe(true);
        }
      }
    }
  });
});
