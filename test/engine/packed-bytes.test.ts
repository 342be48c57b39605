// Packed weights counted before they exist: every routine's packedBytes equals what its pack takes from the heap, and the
// fast engine's weightBytes (what memory budgets add) sums them for a network at an input size, and is 0 once it has packed.
import { describe, expect, it } from 'vitest';
import { FastEngine } from '../../src/engine/fast/index.js';
import { SharedHeap } from '../../src/engine/fast/memory.js';
import { ROUTINES, routineFor } from '../../src/engine/fast/routines/index.js';
import { tensor } from '../../src/engine/tensor.js';
import type { Conv2dLayer, Layer } from '../../src/network/types.js';
import { runNetwork } from '../../src/network/run.js';
import { mulberry32 } from '../helpers.js';
import { network } from './fast-nets.js';
import { plainConv } from './routine-check.js';

describe('packed weights', () => {
  it("each routine's packedBytes is what its pack takes from the heap", () => {
    const rank1 = Float32Array.from({ length: 9 }, (_, i) => [1, 2, 1][Math.floor(i / 3)] * [-1, 0, 1][i % 3]);
    // [layer, output map]: one per routine, in ROUTINES order, with odd channel counts where blocks of 4 round up.
    const cases: [Conv2dLayer, { height: number; width: number }][] = [
      [plainConv({ cin: 3, cout: 30, k: [3, 3] }), { height: 20, width: 20 }], // winograd2d_small
      [plainConv({ cin: 2, cout: 9, k: [5, 5] }), { height: 20, width: 20 }], // winograd1d_small
      [plainConv({ cin: 64, cout: 61, k: [3, 3] }), { height: 224, width: 224 }], // winograd2d_wide
      [plainConv({ cin: 24, cout: 37, k: [3, 3] }), { height: 14, width: 14 }], // winograd2d
      [plainConv({ cin: 16, cout: 18, k: [1, 3] }), { height: 14, width: 14 }], // winograd1d
      [plainConv({ cin: 1, cout: 1, k: [3, 3], weight: rank1 }), { height: 14, width: 14 }], // separable
      [plainConv({ cin: 6, cout: 6, k: [3, 3], groups: 6 }), { height: 14, width: 14 }], // depthwise
      [plainConv({ cin: 40, cout: 22, k: [1, 1] }), { height: 14, width: 14 }], // pointwise
      [plainConv({ cin: 12, cout: 13, k: [3, 3], stride: [2, 2] }), { height: 7, width: 7 }], // strided
      [plainConv({ cin: 8, cout: 5, k: [2, 2] }), { height: 14, width: 14 }], // direct
    ];
    const seen = new Set<string>();
    for (const [layer, out] of cases) {
      const routine = routineFor(layer, 'auto', out);
      seen.add(routine.id);
      const heap = new SharedHeap();
      const before = heap.mark;
      routine.pack(heap, layer, null);
      expect(routine.packedBytes(layer, out), routine.id).toBe(heap.mark - before);
    }
    expect([...seen].sort()).toEqual(ROUTINES.map((x) => x.id).sort());
  });

  it('the fast engine counts them for a network at an input size (6x6 tiles pack 64/36 of 4x4 ones), and 0 once it has packed', async () => {
    const r = mulberry32(8);
    const layers: Layer[] = [{ ...plainConv({ cin: 64, cout: 64, k: [3, 3] }), padding: { top: 1, bottom: 1, left: 1, right: 1 } }, { type: 'relu', index: 1 }, { ...plainConv({ cin: 64, cout: 32, k: [1, 1] }), index: 2 }];
    const net = network(64, layers);
    const engine = await FastEngine.create(1, 'auto');
    try {
      const wide = engine.weightBytes(net, { channels: 64, height: 224, width: 224 });
      const narrow = engine.weightBytes(net, { channels: 64, height: 28, width: 28 });
      const pointwise = 32 * 64 * 4 + 32 * 4;
      expect(narrow).toBeGreaterThan(36 * 64 * 64 * 4 + pointwise);
      expect(wide - narrow).toBeGreaterThan((64 - 36) * 64 * 64 * 4 - 4096);
      expect(wide - narrow).toBeLessThan((64 - 36) * 64 * 64 * 4 + 4096);
      const input = tensor(64, 28, 28, Float32Array.from({ length: 64 * 28 * 28 }, () => r() - 0.5));
      await runNetwork(engine, net, input, [{ label: 'o', node: 2 }], 'x');
      expect(engine.weightBytes(net, { channels: 64, height: 28, width: 28 })).toBe(0);
    } finally {
      await engine.close();
    }
  });
});
