// maxpool2d_f32 through the fast engine: max pools no conv folded in (first layer, after an activation, in a branch), every
// kernel / stride / padding / dilation / ceil_mode combination drawn at random, NaN and infinities included. Max is exact,
// so the values must equal the reference's (NaN where it has NaN); threads 1, 2, 3 and bands cut anywhere give the same bytes.
import { describe, expect, test } from 'vitest';
import { createReferenceEngine } from '../../src/engine/reference.js';
import { wholeMapRows } from '../../src/engine/run.js';
import { tensor } from '../../src/engine/tensor.js';
import { parseNetwork } from '../../src/network/load.js';
import { inferShapes } from '../../src/network/shapes.js';
import { bandMatchesWhole, fastEnginesPerThreadCount, int, mulberry32, pick, sameBytes, type Rand } from './fast-nets.js';

const origin = { file: 'maxpool.json', dir: process.cwd(), hash: '' };

/** Values in [-8, 8) with NaN, +inf, -inf and -0 sprinkled in (a window holding NaN gives NaN, as PyTorch). */
function input(r: Rand, c: number, h: number, w: number, specials: boolean) {
  const data = Float32Array.from({ length: c * h * w }, () => {
    const u = r();
    if (!specials) return r() * 16 - 8;
    return u < 0.01 ? NaN : u < 0.02 ? Infinity : u < 0.03 ? -Infinity : u < 0.04 ? -0 : r() * 16 - 8;
  });
  return tensor(c, h, w, data);
}

/** A random max pool that fits an h x w map: padding at most half the (dilated) kernel, as PyTorch requires. */
function randomPool(r: Rand, h: number, w: number): Record<string, unknown> | null {
  const k = [int(r, 1, 5), int(r, 1, 5)];
  const s = [int(r, 1, 4), int(r, 1, 4)];
  const d = r() < 0.3 ? [int(r, 1, 3), int(r, 1, 3)] : [1, 1];
  const p = [int(r, 0, Math.floor(k[0] / 2)), int(r, 0, Math.floor(k[1] / 2))];
  const ceil = r() < 0.4;
  if ((k[0] - 1) * d[0] + 1 > h + 2 * p[0] || (k[1] - 1) * d[1] + 1 > w + 2 * p[1]) return null;
  return { type: 'maxpool2d', kernel_size: k, stride: s, padding: p, dilation: d, ceil_mode: ceil };
}

/** The first index where a and b hold different values (NaN equals NaN; -0 equals 0, as a max of the two may return either), or null. */
function firstDifference(a: Float32Array, b: Float32Array): string | null {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return `at ${i}: ${a[i]} against ${b[i]}`;
  return a.length === b.length ? null : `length ${a.length} against ${b.length}`;
}

describe('maxpool2d_f32', () => {
  const engines = fastEnginesPerThreadCount();
  const reference = createReferenceEngine();

  test('equals the reference bit for bit on random pools, placements and sizes; threads and bands give the same bytes', async () => {
    let ran = 0;
    for (let seed = 1; ran < 90; seed++) {
      const r = mulberry32(seed * 7919);
      const [h, w] = [int(r, 1, 40), int(r, 1, 70)];
      const pool = randomPool(r, h, w);
      if (!pool) continue;
      const c = pick(r, [1, 3, 5, 8]);
      // Where the pool sits: first, after an activation (not a conv, so nothing fuses it), or as a concat branch.
      const layers = pick(r, [[pool], [{ type: 'leaky_relu', negative_slope: 0.1 }, pool], [{ type: 'relu6' }, pool, { type: 'relu' }]]);
      const net = await parseNetwork({ input: { channels: c }, layers }, origin);
      const x = input(r, c, h, w, seed % 3 !== 0);
      const shapes = inferShapes(net, x, 'x');
      const last = net.layers.length - 1;
      const rows = wholeMapRows(net, shapes, [last], h);
      const band = { tensor: x, y0: 0, fullHeight: h };
      const what = `seed ${seed}: ${c}x${h}x${w} ${JSON.stringify(layers)}`;
      const [want] = await reference.run(net, band, rows, [last]);
      const got = [];
      for (const t of [1, 2, 3]) got.push((await engines.get(t)!.run(net, band, rows, [last]))[0].tensor.data);
      expect(engines.get(3)!.lastTimings.some((s) => /maxpool2d(\[3x3\])?$/.test(s.label)), `${what}: ran on maxpool2d_f32`).toBe(true);
      expect(firstDifference(got[0], want.tensor.data), `${what}: reference`).toBeNull();
      expect(sameBytes(got[1], got[0]) && sameBytes(got[2], got[0]), `${what}: threads`).toBe(true);
      const oh = shapes[last].height;
      if (oh > 1) {
        const cut = 1 + int(r, 0, oh - 2);
        const cs = { net, input: x, shapes };
        for (const out of [{ start: 0, end: cut }, { start: cut, end: oh }]) {
          expect(await bandMatchesWhole(engines.get(2)!, cs, last, got[0], out), `${what}: rows ${out.start}..${out.end}`).toBe(true);
        }
      }
      ran++;
    }
  });

  test('3x3 windows at x-stride 1 and 2 pad their own rows and hold the taps in registers: equal to the reference, threads and bands alike', async () => {
    const cases: [number, number, number, number][] = [];
    for (const sx of [1, 2]) for (const sy of [1, 2, 3]) for (const p of [0, 1]) for (const ceil of [false, true]) cases.push([sx, sy, p, ceil ? 1 : 0]);
    for (const [i, [sx, sy, p, ceil]] of cases.entries()) {
      const r = mulberry32(4049 + i);
      // Widths around multiples of 4 and 8 (partial vectors, the 7 floats read past a row at x-stride 2), heights down to one window.
      const [h, w] = [int(r, 3, 30), pick(r, [3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 57, 112])];
      const pool = { type: 'maxpool2d', kernel_size: 3, stride: [sy, sx], padding: p, ceil_mode: ceil === 1 };
      const layers = pick(r, [[pool], [{ type: 'relu' }, pool]]);
      const c = pick(r, [1, 3, 64]);
      const net = await parseNetwork({ input: { channels: c }, layers }, origin);
      const x = input(r, c, h, w, i % 2 === 0);
      const shapes = inferShapes(net, x, 'x');
      const last = net.layers.length - 1;
      const rows = wholeMapRows(net, shapes, [last], h);
      const band = { tensor: x, y0: 0, fullHeight: h };
      const what = `${c}x${h}x${w} ${JSON.stringify(layers)}`;
      const [want] = await reference.run(net, band, rows, [last]);
      const got = [];
      for (const t of [1, 2, 3]) got.push((await engines.get(t)!.run(net, band, rows, [last]))[0].tensor.data);
      expect(engines.get(3)!.lastTimings.map((s) => s.label), what).toContain(`${last} maxpool2d[3x3]`);
      expect(firstDifference(got[0], want.tensor.data), `${what}: reference`).toBeNull();
      expect(sameBytes(got[1], got[0]) && sameBytes(got[2], got[0]), `${what}: threads`).toBe(true);
      const oh = shapes[last].height;
      for (let cut = 1; cut < Math.min(oh, 4); cut++) {
        for (const out of [{ start: 0, end: cut }, { start: cut, end: oh }]) {
          expect(await bandMatchesWhole(engines.get(2)!, { net, input: x, shapes }, last, got[0], out), `${what}: rows ${out.start}..${out.end}`).toBe(true);
        }
      }
    }
  });
});
