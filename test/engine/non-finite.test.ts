// NaN and infinity in the input. Winograd mixes a tile's inputs, so one non-finite input turns its whole tile NaN;
// the engine's direct algorithm (the CLI's --no-winograd) keeps them to the outputs whose window holds them, as the
// reference (and PyTorch) does. Either way a NaN never disappears.
import { describe, expect, it } from 'vitest';
import { createFastEngine } from '../../src/engine/fast/index.js';
import { createReferenceEngine } from '../../src/engine/reference.js';
import type { Conv2dLayer, Layer } from '../../src/network/types.js';
import { mulberry32 } from '../helpers.js';
import { caseFor, firstMismatch, wholeRun } from './fast-nets.js';

function conv(ic: number, k: number): Conv2dLayer {
  const r = mulberry32(ic * 10 + k);
  return {
    type: 'conv2d', index: 0, inChannels: ic, outChannels: 8, kernelSize: [k, k], stride: [1, 1], dilation: [1, 1],
    padding: { top: k >> 1, bottom: k >> 1, left: k >> 1, right: k >> 1 }, paddingMode: 'zeros', groups: 1,
    weight: Float32Array.from({ length: 8 * ic * k * k }, () => r() - 0.5), bias: Float32Array.from({ length: 8 }, () => r() - 0.5),
  };
}

const maxPool = (k: number): Layer => ({ type: 'maxpool2d', index: 2, kernelSize: [k, k], stride: [k, k], padding: [0, 0], dilation: [1, 1], ceilMode: false });

const nanMask = (data: Float32Array) => Array.from(data, (v) => Number.isNaN(v));

describe('non-finite inputs', () => {
  it('direct convolutions put NaN exactly where the reference does; Winograd puts it there and possibly on the rest of the tile', async () => {
    const reference = createReferenceEngine();
    const direct = await createFastEngine({ threads: 2, algorithm: 'direct' });
    const auto = await createFastEngine({ threads: 2 });
    try {
      // 3x3 with 1, 3 and 16 input channels (row-wise, small 2-D and GEMM 2-D Winograd under auto) and 5x5, then ReLU and
      // a 2x2 or 4x4 max pool (fused into the 2-D routines' tiles, which reduce ReLU outputs with pmax and a NaN check).
      for (const [ic, k, p] of [[1, 3, 2], [3, 3, 2], [3, 3, 4], [16, 3, 2], [16, 3, 4], [1, 5, 2]]) {
        const c = caseFor(mulberry32(ic + k), [conv(ic, k), { type: 'relu', index: 1 }, maxPool(p)], { channels: ic, height: 20, width: 21 })!;
        c.input.data[5 * 21 + 6] = NaN;
        // The last input of a 3x3 tile (padded 4t + 5, both axes) reaches only its last output, so a 2x2 window there mixes NaN and numbers.
        c.input.data[16 * 21 + 16] = NaN;
        c.input.data[(ic - 1) * 20 * 21 + 13 * 21 + 17] = Infinity;
        for (const last of [0, 2]) {
          const expected = (await wholeRun(reference, c, last)).data;
          const exact = (await wholeRun(direct, c, last)).data;
          const mixed = (await wholeRun(auto, c, last)).data;
          const want = nanMask(expected);
          expect(want.some(Boolean), `${ic} channels ${k}x${k}`).toBe(true);
          expect(nanMask(exact), `direct, ${ic} channels ${k}x${k}, layer ${last}`).toEqual(want);
          expect(firstMismatch(exact, expected, c.shapes[last])).toBeNull();
          nanMask(mixed).forEach((isNaN, i) => {
            if (want[i]) expect(isNaN, `auto, ${ic} channels ${k}x${k}, layer ${last}, element ${i}`).toBe(true);
          });
        }
      }
    } finally {
      await direct.close();
      await auto.close();
    }
  });
});
