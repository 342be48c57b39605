// `cnnx where`: the computed dependency sets equal brute force (perturb one input pixel, see which outputs move) on random stacks.
import { describe, expect, test } from 'vitest';
import { createEngine } from '../../src/engine/create.js';
import { tensor, type Tensor } from '../../src/engine/tensor.js';
import { inputRegion, outputRegion, toRanges } from '../../src/inspect/receptive-field.js';
import { runNetwork } from '../../src/network/run.js';
import { inferShapes } from '../../src/network/shapes.js';
import { parseNetwork } from '../../src/network/load.js';
import type { Network } from '../../src/network/types.js';
import { mulberry32, ROOT, runCli } from '../helpers.js';

const rng = mulberry32;

const MODES = ['zeros', 'reflect', 'replicate', 'circular', 'symmetric'];

/**
 * A random stack whose every layer is strictly increasing in each input it reads (positive
 * weights, non-negative biases and inputs), so a large positive bump moves exactly the outputs
 * that depend on the bumped pixel.
 */
function randomLayers(rand: () => number, inChannels: number): unknown[] {
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const positive = (n: number) => Array.from({ length: n }, () => 0.5 + rand() / 2);
  const layers: unknown[] = [];
  let c = inChannels;
  for (let n = int(1, 4); n > 0; n--) {
    const kind = int(0, 6);
    if (kind <= 2) {
      const out = int(1, 2);
      const [kh, kw] = [int(1, 4), int(1, 4)];
      const flat = positive(out * c * kh * kw);
      const weight = Array.from({ length: out }, (_, o) => Array.from({ length: c }, (_, i) => Array.from({ length: kh }, (_, y) => flat.slice(((o * c + i) * kh + y) * kw, ((o * c + i) * kh + y + 1) * kw))));
      layers.push({
        type: 'conv2d', out_channels: out, kernel_size: [kh, kw], stride: [int(1, 3), int(1, 3)], dilation: [int(1, 2), int(1, 2)],
        padding: [int(0, 2), int(0, 2), int(0, 2), int(0, 2)], padding_mode: MODES[int(0, 4)], weight, bias: positive(out),
      });
      c = out;
    } else if (kind === 3) {
      const k = int(1, 3);
      layers.push({ type: 'maxpool2d', kernel_size: k, stride: int(1, 3), padding: int(0, Math.floor(k / 2)), dilation: int(1, 2), ceil_mode: rand() < 0.5 });
    } else if (kind === 4) {
      const k = int(1, 3);
      layers.push({ type: 'avgpool2d', kernel_size: k, stride: int(1, 3), padding: int(0, Math.floor(k / 2)), ceil_mode: rand() < 0.5, count_include_pad: rand() < 0.5 });
    } else if (kind === 5) {
      layers.push({ type: rand() < 0.5 ? 'adaptive_avgpool2d' : 'adaptive_maxpool2d', output_size: [int(1, 6), int(1, 6)] });
    } else {
      layers.push(rand() < 0.5 ? { type: 'relu' } : { type: 'leaky_relu', negative_slope: 0.1 });
    }
  }
  return layers;
}

async function randomNetwork(seed: number): Promise<{ net: Network; h: number; w: number }> {
  const rand = rng(seed);
  for (;;) {
    const channels = 1 + Math.floor(rand() * 2);
    const [h, w] = [5 + Math.floor(rand() * 6), 5 + Math.floor(rand() * 6)];
    try {
      const net = await parseNetwork({ input: { channels }, layers: randomLayers(rand, channels) }, { file: `random-${seed}.json`, dir: ROOT, hash: '' });
      inferShapes(net, { channels, height: h, width: w }, 'x');
      return { net, h, w };
    } catch {
      // The stack does not fit this size (or a padding mode refuses it): draw again.
    }
  }
}

/** For every input pixel, the output cells (as "y,x") that move when that pixel is bumped in all channels. */
async function bruteForce(net: Network, h: number, w: number): Promise<Map<string, Set<string>>> {
  const engine = await createEngine({ kind: 'reference' });
  const rand = rng(7);
  const base = tensor(net.input.channels, h, w, Float32Array.from({ length: net.input.channels * h * w }, () => rand()));
  const last = net.layers.length - 1;
  const run = async (t: Tensor) => (await runNetwork(engine, net, t, [{ label: 'last', node: last }], 'x'))[0].tensor;
  const ref = await run(base);
  const moved = new Map<string, Set<string>>();
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const bumped = tensor(base.channels, h, w, base.data.slice());
      for (let c = 0; c < base.channels; c++) bumped.data[(c * h + y) * w + x] += 1000;
      const out = await run(bumped);
      const cells = new Set<string>();
      for (let i = 0; i < out.data.length; i++) {
        if (out.data[i] !== ref.data[i]) cells.add(`${Math.floor((i % (out.height * out.width)) / out.width)},${i % out.width}`);
      }
      moved.set(`${y},${x}`, cells);
    }
  }
  await engine.close();
  return moved;
}

const expand = (r: [number, number][]) => r.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, k) => a + k));

describe('against brute force on random stacks', () => {
  test.each(Array.from({ length: 24 }, (_, i) => i + 1))('seed %i', async (seed) => {
    const { net, h, w } = await randomNetwork(seed);
    const input = { channels: net.input.channels, height: h, width: w };
    const last = net.layers.length - 1;
    const out = inferShapes(net, input, 'x')[last];
    const moved = await bruteForce(net, h, w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const r = outputRegion(net, input, last, y, x);
        const predicted = new Set(expand(r.rows).flatMap((oy) => expand(r.cols).map((ox) => `${oy},${ox}`)));
        expect([...predicted].sort(), `input pixel ${y},${x}`).toEqual([...(moved.get(`${y},${x}`) as Set<string>)].sort());
      }
    }
    for (let oy = 0; oy < out.height; oy++) {
      for (let ox = 0; ox < out.width; ox++) {
        const region = inputRegion(net, input, last, oy, ox);
        const readers = [...moved].filter(([, cells]) => cells.has(`${oy},${ox}`)).map(([pixel]) => pixel);
        const predicted = expand(region.read.rows).flatMap((y) => expand(region.read.cols).map((x) => `${y},${x}`));
        expect(predicted.sort(), `output cell ${oy},${ox}`).toEqual(readers.sort());
        // The unclipped rectangle always contains what lies inside the image of the exact set... unless a padding mode wraps.
        if (region.paddingModes.length === 0) {
          const [r0, r1] = region.unclipped.rows;
          expect(expand(region.read.rows).every((v) => v >= r0 && v <= r1)).toBe(true);
        }
      }
    }
  });
});

describe('known cases', () => {
  const origin = { file: 't.json', dir: ROOT, hash: '' };
  const conv = (extra: object) => ({ type: 'conv2d', out_channels: 1, kernel_size: 3, weight: { random: { seed: 1 } }, ...extra });

  test('a 3x3 conv with padding 1 at the corner: unclipped reaches -1, clipped and read stop at 0', async () => {
    const net = await parseNetwork({ input: { channels: 1 }, layers: [conv({ padding: 1 })] }, origin);
    const r = inputRegion(net, { channels: 1, height: 8, width: 8 }, 0, 0, 0);
    expect(r).toEqual({ unclipped: { rows: [-1, 1], cols: [-1, 1] }, clipped: { rows: [0, 1], cols: [0, 1] }, read: { rows: [[0, 1]], cols: [[0, 1]] }, paddingModes: [] });
  });

  test('circular padding wraps the top row to the bottom', async () => {
    const net = await parseNetwork({ input: { channels: 1 }, layers: [conv({ padding: 1, padding_mode: 'circular' })] }, origin);
    const r = inputRegion(net, { channels: 1, height: 8, width: 8 }, 0, 0, 3);
    expect(r.read).toEqual({ rows: [[0, 1], [7, 7]], cols: [[2, 4]] });
    expect(r.paddingModes).toEqual(['circular']);
  });

  test('dilation leaves holes; adaptive pooling follows floor/ceil windows', async () => {
    const dilated = await parseNetwork({ input: { channels: 1 }, layers: [conv({ dilation: 2 })] }, origin);
    expect(inputRegion(dilated, { channels: 1, height: 9, width: 9 }, 0, 1, 1).read).toEqual({ rows: [[1, 1], [3, 3], [5, 5]], cols: [[1, 1], [3, 3], [5, 5]] });
    const adaptive = await parseNetwork({ input: { channels: 1 }, layers: [{ type: 'adaptive_avgpool2d', output_size: 3 }] }, origin);
    // 7 -> 3: windows [0, 3), [2, 5), [4, 7).
    expect(inputRegion(adaptive, { channels: 1, height: 7, width: 7 }, 0, 1, 2).read).toEqual({ rows: [[2, 4]], cols: [[4, 6]] });
    expect(outputRegion(adaptive, { channels: 1, height: 7, width: 7 }, 0, 2, 4)).toEqual({ rows: [[0, 1]], cols: [[1, 2]] });
  });

  test('toRanges merges runs', () => {
    expect(toRanges([5, 1, 2, 3, 9, 9])).toEqual([[1, 3], [5, 5], [9, 9]]);
  });
});

describe('CLI', () => {
  const SEED = `${ROOT}/examples/seed-convnet.json`;

  test('--pixel prints the unclipped, clipped and exact rectangles', async () => {
    const r = await runCli(['where', SEED, '--layer', 'conv2', '--pixel', '0,0', '--size', '32x32']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe(
      [
        'seed-convnet: input 3x32x32, layers[3] (conv2d "conv2") output 64x16x16',
        'output cell (y=0, x=0) depends on input',
        '  unclipped: rows -3..4, cols -3..4 (8x8), padded coordinates',
        '  clipped:   rows 0..4, cols 0..4 (5x5)',
        '  read:      rows 0..4; cols 0..4 (5x5 pixels exactly)',
        '',
      ].join('\n'),
    );
  });

  test('--input-pixel and --json', async () => {
    const r = await runCli(['where', SEED, '--input-pixel', '5,31', '--size', '32x32']);
    expect(r.stdout.toString()).toContain('input pixel (y=5, x=31) reaches output cells\n  rows 0..2; cols 7 (3x1 cells)\n');
    const j = await runCli(['where', SEED, '--layer', 'pool1', '--pixel', '3,4', '--size', '32x32', '--json']);
    expect(JSON.parse(j.stdout.toString())).toMatchObject({ layer: 2, pixel: [3, 4], read: { rows: [[5, 8]], cols: [[7, 10]] } });
  });

  test('usage errors are one line, exit 2', async () => {
    const outside = await runCli(['where', SEED, '--layer', 'conv2', '--pixel', '16,0', '--size', '32x32']);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toBe('cnnx: --pixel 16,0 is outside the layers[3] (conv2d "conv2") output 64x16x16 (rows 0..15, cols 0..15)\n');
    const both = await runCli(['where', SEED, '--pixel', '1,1', '--input-pixel', '1,1']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('exactly one of --pixel');
    const bad = await runCli(['where', SEED, '--pixel', '1;1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected Y,X');
  });
});
