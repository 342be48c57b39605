// The fast engine's packed weights: kept for its life and found again by the arrays they came from (pack-cache.ts), and,
// when its heap is full with the packs of networks run before (a spec loaded again and again), dropped to make room for
// the network being run. A network whose packs alone overflow the heap still fails with EngineMemoryError.
import { describe, expect, it } from 'vitest';
import { EngineMemoryError } from '../../src/engine/engine.js';
import { FastEngine } from '../../src/engine/fast/index.js';
import type { Layer, Network } from '../../src/network/types.js';
import { mulberry32, network, sameBytes, shapesOf, wholeRun, type Case } from './fast-nets.js';

const MiB = 2 ** 20;

/** A "spec loaded again": the same weights in new arrays each call (4 Winograd 3x3 convs of 128 channels, about 9 MiB packed). */
function load(width = 16): Case {
  const r = mulberry32(7);
  const floats = (n: number, scale: number) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
  const conv = (index: number, cin: number): Layer => ({
    type: 'conv2d', index, inChannels: cin, outChannels: 128, kernelSize: [3, 3], stride: [1, 1], dilation: [1, 1],
    padding: { top: 1, bottom: 1, left: 1, right: 1 }, paddingMode: 'zeros', groups: 1, weight: floats(128 * cin * 9, 0.05), bias: floats(128, 0.1),
  });
  const layers = [conv(0, 16), conv(1, 128), conv(2, 128), conv(3, 128)];
  const net: Network = network(16, layers);
  const shape = { channels: 16, height: 16, width };
  return { net, input: { ...shape, data: Float32Array.from({ length: 16 * 16 * width }, (_, i) => Math.sin(i)) }, shapes: shapesOf(layers, shape)! };
}

describe('the fast engine with a full heap', () => {
  it('drops the packs of networks run before, and runs a network loaded again and again with the same bytes', async () => {
    const engine = await FastEngine.create(2, 'auto', undefined, undefined, 40 * MiB);
    try {
      const first = await wholeRun(engine, load());
      const perLoad = engine.heapBytes;
      expect(perLoad).toBeGreaterThan(8 * MiB);
      for (let i = 0; i < 8; i++) {
        // Without dropping, the 4th or 5th load would need more than 40 MiB.
        const out = await wholeRun(engine, load());
        expect(sameBytes(out.data, first.data)).toBe(true);
        expect(engine.heapBytes).toBeLessThanOrEqual(40 * MiB);
      }
      // The same Network again packs nothing more.
      const again = load();
      await wholeRun(engine, again);
      const top = engine.heapBytes;
      await wholeRun(engine, again);
      expect(engine.heapBytes).toBe(top);
    } finally {
      await engine.close();
    }
  });

  it('still fails a network whose own packs do not fit', async () => {
    const engine = await FastEngine.create(2, 'auto', undefined, undefined, 6 * MiB);
    try {
      await expect(wholeRun(engine, load())).rejects.toBeInstanceOf(EngineMemoryError);
      await expect(wholeRun(engine, load())).rejects.toBeInstanceOf(EngineMemoryError);
    } finally {
      await engine.close();
    }
  });
});
