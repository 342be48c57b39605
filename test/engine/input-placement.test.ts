// The input copied straight into the first layer's padded buffer (plan-parts.ts planPad, InputPlacement): used when the
// first conv pads its input, not when it reads the band as it is; bytes are checked by the engine suites (all padding
// modes, bands, threads), which fail when the placement is off by a row.
import { describe, expect, it } from 'vitest';
import { SharedHeap } from '../../src/engine/fast/memory.js';
import { fullShapes, makePlan } from '../../src/engine/fast/plan.js';
import { tensor } from '../../src/engine/tensor.js';
import type { Conv2dLayer } from '../../src/spec/types.js';
import { network } from './fast-nets.js';

function conv(pad: number, mode: 'zeros' | 'reflect'): Conv2dLayer {
  return {
    type: 'conv2d', index: 0, inChannels: 2, outChannels: 4, kernelSize: [5, 5], stride: [1, 1], dilation: [1, 1],
    padding: { top: pad, bottom: pad, left: pad, right: pad }, paddingMode: mode, groups: 1, weight: new Float32Array(4 * 2 * 25).fill(0.01), bias: null,
  };
}

function plan(layer: Conv2dLayer, band: { y0: number; height: number; fullHeight: number }) {
  const net = network(2, [layer]);
  const input = { tensor: tensor(2, band.height, 40, new Float32Array(2 * band.height * 40)), y0: band.y0, fullHeight: band.fullHeight };
  const shapes = fullShapes(net, { channels: 2, height: band.fullHeight, width: 40 });
  const out = shapes[0];
  const rows = [{ start: 0, end: out.height }];
  return makePlan({ heap: new SharedHeap(), threads: 2, packs: new WeakMap(), algorithm: 'auto' }, net, input, rows, [0]);
}

describe('input placement', () => {
  it('puts the input rows inside the padded buffer of a first conv that pads (zeros and reflect), one padded row apart per input row', () => {
    for (const mode of ['zeros', 'reflect'] as const) {
      const p = plan(conv(2, mode), { y0: 0, height: 30, fullHeight: 30 });
      expect(p.inputPlacement, mode).not.toBeNull();
      expect(p.inputPlacement!.pitch).toBeGreaterThanOrEqual(40 + 4);
      expect([p.inputPlacement!.first, p.inputPlacement!.end]).toEqual([0, 30]);
      expect(p.inputPlacement!.plane).toBeGreaterThanOrEqual(34 * p.inputPlacement!.pitch);
    }
  });

  it('leaves the input dense when the first conv reads it as it is (a 1x1 conv on the direct path)', () => {
    const p = plan({ ...conv(0, 'zeros'), kernelSize: [1, 1], weight: new Float32Array(4 * 2).fill(0.01) }, { y0: 0, height: 30, fullHeight: 30 });
    expect(p.inputPlacement).toBeNull();
  });
});
