// The fast engine on a PixelTensor: it copies the 8-bit pixels and converts them in its first step (pixels_f32), into the
// input band or the first layer's padded buffer. Random networks and sizes, 1-4 samples a pixel, 1, 3 or 4 channels,
// 1-3 threads: the same bytes as the engine given the tensor's floats; and runNetwork never makes those floats.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastEngine } from '../../src/engine/fast/index.js';
import { SharedHeap } from '../../src/engine/fast/memory.js';
import { PLACEMENT_MIN_WIDTH } from '../../src/engine/fast/plan-parts.js';
import { fullShapes, makePlan } from '../../src/engine/fast/plan.js';
import { PixelTensor } from '../../src/engine/pixels.js';
import { createReferenceEngine } from '../../src/engine/reference.js';
import { tensor, type Shape, type Tensor } from '../../src/engine/tensor.js';
import { pixelLookup } from '../../src/io/image.js';
import { runNetwork } from '../../src/network/run.js';
import type { Conv2dLayer, Network, PaddingMode } from '../../src/network/types.js';
import { ALL_MODES, EDGE_SIZES, int, mulberry32, network, pick, randomCase, sameBytes, shapesOf, type Rand } from './fast-nets.js';

/** Counts reads of `data` (the floats a PixelTensor makes on first read). */
class CountingPixels extends PixelTensor {
  reads = 0;
  override get data(): Float32Array {
    this.reads++;
    return super.data;
  }
}

/** Random 8-bit pixels feeding `channels` input channels: 1-4 samples a pixel (1-2 for one channel: colour to gray is the decoder's). */
function pixelTensor(r: Rand, channels: number, height: number, width: number): CountingPixels {
  const have = channels === 1 ? pick(r, [1, 2]) : pick(r, [1, 2, 3, 4]);
  const pixels = Uint8Array.from({ length: width * height * have }, () => Math.floor(r() * 256));
  const normalised = r() < 0.7;
  const mean = normalised ? Array.from({ length: channels }, () => r()) : null;
  const std = normalised ? Array.from({ length: channels }, () => 0.1 + r()) : null;
  return new CountingPixels(width, height, pixels, have, pixelLookup({ channels, mean, std, resize: null }, have, 256, 1 / 255)!);
}

/** The floats of `t` as an ordinary tensor (a copy: the engine may not know where they came from). */
const asFloats = (t: PixelTensor): Tensor => tensor(t.channels, t.height, t.width, t.data.slice());

async function whole(engine: FastEngine, net: Network, input: Tensor, shapes: readonly Shape[]): Promise<Float32Array> {
  const [out] = await engine.run(net, { tensor: input, y0: 0, fullHeight: input.height }, shapes.map((s) => ({ start: 0, end: s.height })), [shapes.length - 1]);
  return out.tensor.data;
}

function paddedConv(channels: number, mode: PaddingMode): Conv2dLayer {
  const r = mulberry32(channels * 7 + mode.length);
  return {
    type: 'conv2d', index: 0, inChannels: channels, outChannels: 5, kernelSize: [3, 3], stride: [1, 1], dilation: [1, 1],
    padding: { top: 1, bottom: 1, left: 1, right: 1 }, paddingMode: mode, groups: 1, weight: Float32Array.from({ length: 5 * channels * 9 }, () => r() - 0.5), bias: null,
  };
}

describe('PixelTensor on the fast engine', () => {
  const engines = new Map<number, FastEngine>();
  beforeAll(async () => {
    for (const t of [1, 2, 3]) engines.set(t, await FastEngine.create(t));
  });
  afterAll(async () => {
    for (const e of engines.values()) await e.close();
  });

  /** Runs `net` on pixels and on their floats: the same bytes, profiled (phase by phase) and not (one thread's phases merged). */
  async function check(net: Network, pixels: PixelTensor, threads: number, what: string): Promise<void> {
    const shapes = fullShapes(net, pixels);
    const engine = engines.get(threads)!;
    const expected = await whole(engine, net, asFloats(pixels), shapes);
    expect(sameBytes(await whole(engine, net, pixels, shapes), expected), what).toBe(true);
    engine.profile = true;
    try {
      expect(sameBytes(await whole(engine, net, pixels, shapes), expected), `${what}, profiled`).toBe(true);
      expect(engine.lastTimings[0].label, what).toBe('input pixels');
    } finally {
      engine.profile = false;
    }
  }

  it('converts into the input band: random networks and sizes on 1, 3 or 4 channels, 1-3 threads', async () => {
    const r = mulberry32(2026);
    let done = 0;
    for (let seed = 0; done < 50; seed++) {
      const c = randomCase(seed);
      if (![1, 3, 4].includes(c.input.channels)) continue;
      const threads = int(r, 1, 3);
      const pixels = pixelTensor(r, c.input.channels, c.input.height, c.input.width);
      await check(c.net, pixels, threads, `seed ${seed}: ${pixels.have} samples -> ${pixels.channels} channels, ${c.input.height}x${c.input.width}, ${threads} threads`);
      done++;
    }
  });

  it("converts into the first conv's padded buffer on rows of any width (narrower than a float input's PLACEMENT_MIN_WIDTH too), in every padding mode, and after random layers", async () => {
    const r = mulberry32(99);
    for (const channels of [1, 3, 4]) {
      for (const mode of ALL_MODES) {
        const width = pick(r, [int(r, 1, 40), PLACEMENT_MIN_WIDTH - int(r, 1, 200), PLACEMENT_MIN_WIDTH + int(r, 0, 9)]);
        const pixels = pixelTensor(r, channels, pick(r, EDGE_SIZES.filter((h) => h >= 2)), width);
        const net = network(channels, [paddedConv(channels, mode)]);
        const plan = makePlan({ heap: new SharedHeap(), threads: 2, packs: new WeakMap(), algorithm: 'auto' }, net, { tensor: pixels, y0: 0, fullHeight: pixels.height }, [{ start: 0, end: pixels.height }], [0]);
        expect(plan.inputPlacement, `${channels} channels, ${mode}`).not.toBeNull();
        expect(plan.pixels, `${channels} channels, ${mode}`).not.toBeNull();
        await check(net, pixels, int(r, 1, 3), `${channels} channels, ${mode}, ${pixels.height}x${width}`);
      }
    }
    for (let seed = 0, done = 0; done < 8; seed++) {
      const c = randomCase(500 + seed, { maxLayers: 3 });
      const input = { channels: c.input.channels, height: pick(r, [2, 3, 5, 7]), width: PLACEMENT_MIN_WIDTH + int(r, 0, 30) };
      if (![1, 3, 4].includes(input.channels) || !shapesOf(c.net.layers, input)) continue;
      await check(c.net, pixelTensor(r, input.channels, input.height, input.width), int(r, 1, 3), `wide seed ${500 + seed}`);
      done++;
    }
  });

  it('runNetwork checks a PixelTensor without making its floats for the fast engine; the reference engine reads them', async () => {
    const r = mulberry32(7);
    const net = network(3, [paddedConv(3, 'zeros')]);
    const selection = [{ label: 'conv', node: 0 }];
    const pixels = pixelTensor(r, 3, 6, 40);
    const [fast] = await runNetwork(engines.get(2)!, net, pixels, selection, 'x.png');
    expect(pixels.reads).toBe(0);
    const [fastFloats] = await runNetwork(engines.get(2)!, net, asFloats(pixels), selection, 'x.png');
    expect(sameBytes(fast.tensor.data, fastFloats.tensor.data)).toBe(true);
    const reference = createReferenceEngine();
    const [ref] = await runNetwork(reference, net, pixels, selection, 'x.png');
    expect(pixels.reads).toBeGreaterThan(0);
    const [refFloats] = await runNetwork(reference, net, asFloats(pixels), selection, 'x.png');
    expect(sameBytes(ref.tensor.data, refFloats.tensor.data)).toBe(true);
  });

  it('refuses pixels of the wrong length or depth', () => {
    const lookup = pixelLookup({ channels: 3, mean: null, std: null, resize: null }, 3, 256, 1 / 255)!;
    expect(() => new PixelTensor(4, 2, new Uint8Array(23), 3, lookup)).toThrow('PixelTensor: pixels has 23 samples, 4x2 pixels of 3 need 24');
    const deep = pixelLookup({ channels: 3, mean: null, std: null, resize: null }, 3, 65536, 1 / 65535)!;
    expect(() => new PixelTensor(4, 2, new Uint8Array(24), 3, deep)).toThrow('PixelTensor: lookup.levels must be 256 (8-bit pixels), got 65536');
  });
});
