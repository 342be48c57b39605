// The memory model that sizes bands and decides whole-or-bands: never below what the fast engine's arena takes (whole maps
// and bands, random stacks and branching blocks), and for a deep network within 2x of it, not the sum of every map.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeRows, type RowRange } from '../../src/engine/band.js';
import type { EngineFootprint } from '../../src/engine/engine.js';
import { FastEngine } from '../../src/engine/fast/index.js';
import { routineFor } from '../../src/engine/fast/routines/index.js';
import { tensor, type Shape, type Tensor } from '../../src/engine/tensor.js';
import { parseNetwork } from '../../src/network/load.js';
import { inferShapes } from '../../src/network/shapes.js';
import type { Network } from '../../src/network/types.js';
import { shouldStream, wholeRunBytes } from '../../src/stream/band-plan.js';
import { runBytes, wholeMapRunBytes } from '../../src/stream/run-bytes.js';
import { mulberry32, randomCase } from '../engine/fast-nets.js';

/** Descriptors and offset tables: a few KiB a step, whatever the maps (the band plan adds 64 MiB of headroom for them). */
const TABLES = 64 * 2 ** 10;

/** A bottleneck ResNet of `stages` stages of two blocks (stride 2 from the second stage), as torchvision builds them. */
async function resnet(stages: number): Promise<Network> {
  let seed = 1;
  const random = () => ({ random: { seed: seed++ } });
  const bn = (n: number) => ({ type: 'batchnorm2d', running_mean: random(), running_var: new Array(n).fill(1.5), weight: random(), bias: random() });
  const conv = (out: number, k: number, stride = 1) => ({ type: 'conv2d', out_channels: out, kernel_size: k, stride, padding: Math.floor(k / 2), weight: random() });
  const block = (width: number, stride: number, project: boolean) => [
    { type: 'add', branches: [[conv(width, 1), bn(width), { type: 'relu' }, conv(width, 3, stride), bn(width), { type: 'relu' }, conv(width * 4, 1), bn(width * 4)], project ? [conv(width * 4, 1, stride), bn(width * 4)] : []] },
    { type: 'relu' },
  ];
  const layers: unknown[] = [conv(16, 7, 2), bn(16), { type: 'relu' }, { type: 'maxpool2d', kernel_size: 3, stride: 2, padding: 1 }];
  for (let s = 0; s < stages; s++) layers.push(...block(8 << s, s === 0 ? 1 : 2, true), ...block(8 << s, 1, false));
  return parseNetwork({ input: { channels: 3 }, layers }, { file: 'resnet.json', dir: process.cwd(), hash: '' });
}

function image(r: () => number, s: Shape): Tensor {
  return tensor(s.channels, s.height, s.width, Float32Array.from({ length: s.channels * s.height * s.width }, () => r() * 2 - 1));
}

describe('run bytes', () => {
  let engine: FastEngine;
  beforeAll(async () => {
    engine = await FastEngine.create(2);
  });
  afterAll(async () => {
    await engine.close();
  });

  /** Runs the rows of `net`'s last node that `out` names (all of them when null); the arena it took and the model's figure. */
  async function measure(net: Network, x: Tensor, out: RowRange | null, on: FastEngine = engine): Promise<{ arena: number; model: number }> {
    const input = { channels: x.channels, height: x.height, width: x.width };
    const shapes = inferShapes(net, input, 'x');
    const last = net.layers.length - 1;
    const need = nodeRows(net, new Map([[last, out ?? { start: 0, end: shapes[last].height }]]), shapes, x.height);
    const rows = need.input!;
    const band = tensor(x.channels, rows.end - rows.start, x.width);
    for (let c = 0; c < x.channels; c++) band.data.set(x.data.subarray((c * x.height + rows.start) * x.width, (c * x.height + rows.end) * x.width), c * band.height * x.width);
    await on.run(net, { tensor: band, y0: rows.start, fullHeight: x.height }, need.rows, [last]);
    return { arena: on.arenaBytes, model: runBytes(on, net, input, shapes, need.rows, rows, [last]) };
  }

  it('covers the fast engine: random stacks, whole and in bands, on 1 and 2 threads (a folder runs one-thread engines)', async () => {
    const one = await FastEngine.create(1);
    try {
      for (let seed = 1; seed <= 60; seed++) {
        const c = randomCase(seed, { maxLayers: 6, sizes: [9, 31, 64, 120, 200] });
        const last = c.net.layers.length - 1;
        const h = c.shapes[last].height;
        for (const out of [null, { start: 0, end: Math.ceil(h / 3) }, { start: Math.floor(h / 2), end: h }]) {
          for (const e of [engine, one]) {
            const { arena, model } = await measure(c.net, c.input, out, e);
            expect(arena, `seed ${seed} rows ${JSON.stringify(out)} threads ${e === one ? 1 : 2}`).toBeLessThanOrEqual(model + TABLES);
          }
        }
      }
    } finally {
      await one.close();
    }
  });

  it('covers the fast engine on a deep branching network, whole and in bands, and stays within 2x of it', async () => {
    const net = await resnet(3);
    const x = image(mulberry32(5), { channels: 3, height: 380, width: 500 });
    for (const out of [null, { start: 0, end: 2 }, { start: 5, end: 8 }]) {
      const { arena, model } = await measure(net, x, out);
      expect(arena).toBeLessThanOrEqual(model + TABLES);
      expect(model).toBeLessThanOrEqual(2 * arena);
    }
    // The whole-run figure is the same model: the nodes the output needs, every row.
    const input = { channels: 3, height: 380, width: 500 };
    const shapes = inferShapes(net, input, 'x');
    expect(wholeMapRunBytes(engine, net, input, shapes, [net.layers.length - 1])).toBe((await measure(net, x, null)).model);
  });

  it('counts the reference engine as keeping every map', async () => {
    const net = await resnet(2);
    const input = { channels: 3, height: 64, width: 80 };
    const shapes = inferShapes(net, input, 'x');
    const every = shapes.reduce((sum, s) => sum + s.channels * s.height * s.width * 4, 3 * 64 * 80 * 4);
    expect(wholeMapRunBytes({ kind: 'reference' }, net, input, shapes, [net.layers.length - 1])).toBe(2 * every);
  });

  it("shouldStream counts the weights the engine has yet to pack, and the engine's own model", async () => {
    const net = await resnet(3);
    const input = { channels: 3, height: 1200, width: 1600 };
    const outputs = [net.layers.length - 1];
    const fast = (weights: number): EngineFootprint => ({ kind: 'fast', weightBytes: () => weights });
    // Room for the fast engine's run (with the decoded image, input and output arrays), not for the reference engine's every map.
    const room = process.memoryUsage().rss + 64 * 2 ** 20 + 1.2 * wholeRunBytes(net, input, outputs, engine);
    expect(wholeRunBytes(net, input, outputs, { kind: 'reference' })).toBeGreaterThan(2 * room);
    expect(shouldStream(net, input, room, outputs, fast(0))).toBe(false);
    expect(shouldStream(net, input, room, outputs, fast(2 ** 30))).toBe(true);
    expect(shouldStream(net, input, room, outputs)).toBe(true);
  });

  it('covers deep 3x3 layers whose transformed weights stream from memory, on 1 and 2 threads, whole and in bands', async () => {
    // 256 -> 512 -> 512 -> 512 (VGG16's fourth stage): U past the L2, so Winograd batches whole tile rows and its
    // transformed input and products (V, M) outgrow the maps.
    let seed = 100;
    const conv = (out: number) => ({ type: 'conv2d', out_channels: out, kernel_size: 3, padding: 1, weight: { random: { seed: seed++ } } });
    const net = await parseNetwork({ input: { channels: 256 }, layers: [conv(512), { type: 'relu' }, conv(512), { type: 'relu' }, conv(512)] }, { file: 'deep.json', dir: process.cwd(), hash: '' });
    const one = await FastEngine.create(1);
    try {
      for (const [height, width, routine] of [[60, 80, 'winograd2d_wide'], [28, 28, 'winograd2d']] as const) {
        const shapes = inferShapes(net, { channels: 256, height, width }, 'x');
        expect(net.layers.map((l, j) => (l.type === 'conv2d' ? routineFor(l, 'auto', shapes[j]).id : l.type))).toEqual([routine, 'relu', routine, 'relu', routine]);
        const x = image(mulberry32(6), { channels: 256, height, width });
        for (const e of [one, engine]) {
          const third = Math.floor(height / 3);
          for (const out of [null, { start: 0, end: third }, { start: third, end: height }]) {
            const { arena, model } = await measure(net, x, out, e);
            expect(arena, `${height}x${width}, threads ${e.threads}, rows ${JSON.stringify(out)}`).toBeLessThanOrEqual(model + TABLES);
          }
        }
      }
    } finally {
      await one.close();
    }
  });
});
