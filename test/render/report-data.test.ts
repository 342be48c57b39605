// The report page's data: value codes decode to within half a step, the budget takes bits evenly, captions carry the layer's numbers, named filters keep their names.
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/engine/tensor.js';
import { loadNetwork, parseNetwork } from '../../src/network/load.js';
import { captionLines, sizeFormula } from '../../src/render/layer-caption.js';
import { encodeValues, encodeWithinBudget, MIN_BITS } from '../../src/render/value-codes.js';
import { summarize } from '../../src/inspect/summary.js';
import { ROOT } from '../helpers.js';

/** Undoes the Paeth predictor as the page's script does, written again here from PNG's definition. */
function decode(deflated: Uint8Array, width: number, height: number): Uint8Array {
  const r = inflateSync(deflated);
  const out = new Uint8Array(r.length);
  for (let i = 0; i < r.length; i++) {
    const p = i % (width * height);
    const x = p % width;
    const a = x > 0 ? out[i - 1] : 0;
    const b = p >= width ? out[i - width] : 0;
    const c = x > 0 && p >= width ? out[i - width - 1] : 0;
    const pa = Math.abs(b - c);
    const pb = Math.abs(a - c);
    const pc = Math.abs(a + b - 2 * c);
    out[i] = (r[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
  }
  return out;
}

describe('value codes', () => {
  it('decode to within half a step of each channel range, NaN and Inf to the marker code', async () => {
    const t = tensor(2, 3, 4, Float32Array.from({ length: 24 }, (_, i) => (i < 12 ? Math.sin(i) * 3 : i * i)));
    t.data[5] = NaN;
    t.data[20] = Infinity;
    for (const bits of [8, 5]) {
      const e = await encodeValues(t, bits);
      expect(e.maxCode).toBe((1 << bits) - 2);
      expect(e.nonFinite).toBe((1 << bits) - 1);
      const codes = decode(e.deflated, 4, 3);
      for (let i = 0; i < 24; i++) {
        const c = i < 12 ? 0 : 1;
        if (!Number.isFinite(t.data[i])) {
          expect(codes[i]).toBe(e.nonFinite);
          continue;
        }
        const step = (e.hi[c] - e.lo[c]) / e.maxCode;
        expect(Math.abs(e.lo[c] + codes[i] * step - t.data[i])).toBeLessThanOrEqual(step / 2 + 1e-9);
      }
      expect([e.lo[1], e.hi[1]]).toEqual([144, 529]); // 23², Inf left out
    }
  });

  it('takes bits from the map with the most bits first, down to MIN_BITS', async () => {
    const noisy = (n: number, seed: number) => tensor(1, n, n, Float32Array.from({ length: n * n }, (_, i) => Math.sin(i * 12.9898 + seed) * 43758.5453 % 1));
    const maps = [noisy(64, 1), noisy(32, 2)];
    const full = await encodeWithinBudget(maps, Infinity);
    expect(full.map((e) => e.bits)).toEqual([8, 8]);
    const some = await encodeWithinBudget(maps, full[0].deflated.length);
    expect(Math.abs(some[0].bits - some[1].bits)).toBeLessThanOrEqual(1);
    expect(some[0].deflated.length + some[1].deflated.length).toBeLessThanOrEqual(full[0].deflated.length);
    expect((await encodeWithinBudget(maps, 10)).map((e) => e.bits)).toEqual([MIN_BITS, MIN_BITS]);
  });
});

describe('captions', () => {
  it('fill in the output size formula, with floor, dilation, asymmetric padding and ceil_mode', async () => {
    const net = await parseNetwork({
      name: 'f',
      input: { channels: 1 },
      layers: [
        { type: 'conv2d', out_channels: 2, kernel_size: 3, stride: 2, padding: [0, 1, 2, 2], dilation: 2, weight: { random: { seed: 1 } } },
        { type: 'maxpool2d', kernel_size: 3, stride: 2, ceil_mode: true },
      ],
    }, { file: 'f.json', dir: ROOT, hash: '' });
    const s = summarize(net, { channels: 1, height: 11, width: 10 });
    expect(sizeFormula(net.layers[0], { channels: 1, height: 11, width: 10 }, s.layers[0].output)).toBe('height ⌊(11 + 0 + 1 - (2*(3-1) + 1))/2⌋ + 1 = 4; width ⌊(10 + 2*2 - (2*(3-1) + 1))/2⌋ + 1 = 5');
    // PyTorch: ceil((4 - 3) / 2) + 1 = 2 rows; ceil((5 - 3) / 2) + 1 = 2 columns.
    expect(sizeFormula(net.layers[1], s.layers[0].output, s.layers[1].output)).toBe('height ⌈(4 - 3)/2⌉ + 1 = 2; width (5 - 3)/2 + 1 = 2');
    expect(captionLines(net.layers[0], { channels: 1, height: 11, width: 10 }, s.layers[0])[2]).toBe('18 parameters, 360 multiply-adds; receptive field 5 px, jump 2 px');
  });

  it('name the filters of a filter bank', async () => {
    const net = await loadNetwork(path.join(ROOT, 'examples', 'edges.json'));
    const conv = net.layers[0];
    expect(conv.type === 'conv2d' && conv.filterNames).toEqual(['sobel-x', 'sobel-y', 'scharr-x', 'scharr-y', 'laplacian-8', 'log-5']);
  });
});
