// The fast engine with its weights and arena past 2 GiB (the heap may reach 4 GiB): every routine, the JS steps, a
// residual block and a concatenation give the bytes they give low in the heap, in the release and the debug builds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastEngine } from '../../src/engine/fast/index.js';
import type { SharedHeap } from '../../src/engine/fast/memory.js';
import { ROUTINES } from '../../src/engine/fast/routines/index.js';
import type { Algorithm } from '../../src/engine/fast/plan-types.js';
import { tensor } from '../../src/engine/tensor.js';
import { parseNetwork } from '../../src/network/load.js';
import { inferShapes } from '../../src/network/shapes.js';
import type { Layer } from '../../src/network/types.js';
import { caseFor, mulberry32, randomCase, sameBytes, wholeRun, type Case } from './fast-nets.js';
import { plainConv } from './routine-check.js';

/** Where the high engines' heap starts: past 2 GiB, where a signed 32-bit address turns negative. */
const HIGH = 2 ** 31 + 65536;

/** One conv + ReLU (+ a 2x2 max pool) per routine, with the algorithm and map that pick it (as in routines.test.ts). */
const ROUTINE_CASES: [Layer[], Algorithm, number, number][] = [
  [[plainConv({ cin: 3, cout: 32, k: [3, 3] })], 'auto', 3, 20],
  [[plainConv({ cin: 1, cout: 8, k: [3, 3] })], 'auto', 1, 21],
  [[plainConv({ cin: 64, cout: 64, k: [3, 3] })], 'auto', 64, 48],
  [[plainConv({ cin: 16, cout: 16, k: [3, 3] })], 'auto', 16, 18],
  [[plainConv({ cin: 16, cout: 16, k: [3, 3] })], 'winograd-x', 16, 17],
  [[plainConv({ cin: 1, cout: 1, k: [3, 3], weight: Float32Array.from({ length: 9 }, (_, i) => [1, 2, 1][Math.floor(i / 3)] * [-1, 0, 1][i % 3]) })], 'auto', 1, 18],
  [[plainConv({ cin: 4, cout: 8, k: [3, 3], groups: 4 })], 'auto', 4, 23],
  [[plainConv({ cin: 16, cout: 24, k: [1, 1] })], 'auto', 16, 14],
  [[plainConv({ cin: 16, cout: 16, k: [3, 3], stride: [2, 2] })], 'auto', 16, 25],
  [[plainConv({ cin: 8, cout: 4, k: [2, 2] })], 'auto', 8, 15],
];

describe('the fast engine past 2 GiB', () => {
  const engines = new Map<string, FastEngine>();
  beforeAll(async () => {
    for (const debug of [false, true]) {
      for (const algorithm of ['auto', 'winograd-x'] as const) {
        const low = await FastEngine.create(2, algorithm, undefined, debug);
        const high = await FastEngine.create(2, algorithm, undefined, debug);
        // Address space only: pages nothing writes take no memory.
        (high as unknown as { heap: SharedHeap }).heap.alloc(HIGH);
        high.profile = true;
        engines.set(`${algorithm}:${debug}:low`, low);
        engines.set(`${algorithm}:${debug}:high`, high);
      }
    }
  });
  afterAll(async () => {
    for (const e of engines.values()) await e.close();
  });

  async function same(c: Case, algorithm: Algorithm, debug: boolean, what: string): Promise<string[]> {
    const low = await wholeRun(engines.get(`${algorithm}:${debug}:low`)!, c);
    const high = engines.get(`${algorithm}:${debug}:high`)!;
    const out = await wholeRun(high, c);
    expect(sameBytes(out.data, low.data), what).toBe(true);
    return high.lastTimings.map((t) => t.label);
  }

  it.each([false, true])('every routine (debug build: %s)', async (debug) => {
    const r = mulberry32(7);
    const ran = new Set<string>();
    for (const [layers, algorithm, channels, size] of ROUTINE_CASES) {
      const c = caseFor(r, [...layers, { type: 'relu', index: 1 }, { type: 'maxpool2d', index: 2, kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false }], { channels, height: size, width: size + 3 })!;
      for (const label of await same(c, algorithm, debug, `${algorithm} ${layers[0].type}`)) ran.add(/\[(\w+)\]/.exec(label)?.[1] ?? '');
    }
    expect([...ran].filter(Boolean).sort()).toEqual(ROUTINES.map((x) => x.id).sort());
  });

  it('random stacks: pools, batch norms, activations and the layers that run in JS', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const c = randomCase(seed, { maxLayers: 5 });
      await same(c, 'auto', false, `seed ${seed}`);
    }
  });

  it('a residual block and a concatenation', async () => {
    const random = (seed: number) => ({ random: { seed } });
    const conv = (out: number, k: number, seed: number) => ({ type: 'conv2d', out_channels: out, kernel_size: k, padding: Math.floor(k / 2), weight: random(seed), bias: random(seed + 1) });
    const spec = {
      input: { channels: 8 },
      layers: [conv(16, 3, 1), { type: 'add', branches: [[conv(16, 3, 3), { type: 'relu' }, conv(16, 1, 5)], []] }, { type: 'relu' }, { type: 'concat', branches: [[conv(8, 1, 7)], [conv(8, 3, 9)], []] }],
    };
    const net = await parseNetwork(spec, { file: 'high.json', dir: process.cwd(), hash: '' });
    const r = mulberry32(3);
    const input = { channels: 8, height: 21, width: 26 };
    const x = tensor(8, 21, 26, Float32Array.from({ length: 8 * 21 * 26 }, () => r() * 2 - 1));
    await same({ net, input: x, shapes: inferShapes(net, input, 'x') }, 'auto', false, 'residual + concat');
  });
});
