// runNetwork refuses an input tensor whose shape or data the engines cannot trust, with a CnnxError before any run.
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { createEngine } from '../../src/engine/create.js';
import { tensor, type Tensor } from '../../src/engine/tensor.js';
import { CnnxError, EXIT } from '../../src/errors.js';
import { loadNetwork } from '../../src/network/load.js';
import { runNetwork, selectLayers } from '../../src/network/run.js';
import { errorOf, ROOT } from '../helpers.js';

const SEED = path.join(ROOT, 'examples', 'seed-convnet.json');

function ramp(channels: number, height: number, width: number): Tensor {
  const t = tensor(channels, height, width);
  for (let i = 0; i < t.data.length; i++) t.data[i] = Math.sin(i * 0.37);
  return t;
}

describe.each(['reference', 'fast'] as const)('runNetwork input checks (%s engine)', (kind) => {
  test('a wrong channel count, bad sizes or data of the wrong length or type are input.shape errors', async () => {
    const net = await loadNetwork(SEED);
    const engine = await createEngine({ kind, threads: 1 });
    try {
      const sel = selectLayers(net, []);
      const cases: [unknown, string][] = [
        [ramp(1, 32, 32), "x: has 1 channel, the network's input.channels is 3"],
        [ramp(4, 32, 32), "x: has 4 channels, the network's input.channels is 3"],
        [{ channels: 3, height: NaN, width: 32, data: new Float32Array(96) }, 'x: tensor height: expected a positive integer, got NaN'],
        [{ channels: 3, height: 32.5, width: 32, data: new Float32Array(3072) }, 'x: tensor height: expected a positive integer, got 32.5'],
        [{ channels: 3, height: 32, width: 0, data: new Float32Array(0) }, 'x: tensor width: expected a positive integer, got 0'],
        [{ channels: 3, height: 32, width: 32, data: new Float32Array(0) }, 'x: tensor data has 0 elements, its shape 3x32x32 needs 3072'],
        [{ channels: 3, height: 32, width: 32, data: new Float32Array(3073) }, 'x: tensor data has 3073 elements, its shape 3x32x32 needs 3072'],
        [{ channels: 3, height: 32, width: 32, data: new Float64Array(3072) }, 'x: tensor data: expected a Float32Array, got Float64Array'],
        [{ channels: 3, height: 32, width: 32 }, 'x: tensor data: expected a Float32Array, got undefined'],
        [null, 'x: expected a tensor { channels, height, width, data: Float32Array }, got null'],
      ];
      const good = ramp(3, 32, 32);
      const [before] = await runNetwork(engine, net, good, sel, 'good');
      for (const [input, message] of cases) {
        const error = await errorOf(() => runNetwork(engine, net, input as Tensor, sel, 'x'));
        expect(error).toBeInstanceOf(CnnxError);
        expect(error).toMatchObject({ code: 'input.shape', exitCode: EXIT.inputFailed, message });
      }
      const bogus = await errorOf(() => runNetwork(engine, net, good, [{ label: 'n', node: 99 }], 'x'));
      expect(bogus).toMatchObject({ code: 'usage.layer' });
      // The engine still runs, with the same bytes.
      const [after] = await runNetwork(engine, net, good, sel, 'good');
      expect(Buffer.from(after.tensor.data.buffer).equals(Buffer.from(before.tensor.data.buffer))).toBe(true);
    } finally {
      await engine.close();
    }
  });
});
