// Outputs of 1 MiB or more are copied out of the shared memory by the workers (FastEngine.copyOutputsInParallel):
// same bytes as the main thread's copy, each output at its own place in the buffer, and right after a smaller run.
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { createReferenceEngine } from '../../src/engine/reference.js';
import { tensor, type Tensor } from '../../src/engine/tensor.js';
import type { Network } from '../../src/spec/types.js';
import { compareWithTolerance, mulberry32 } from '../helpers.js';
import { fastEnginesPerThreadCount, network } from './fast-nets.js';

const engines = fastEnginesPerThreadCount();

/** conv 1 -> 4 (3x3, pad 1) then relu: at 300 x 300 each output is 360,000 floats, over the 262,144 that switch the copy. */
function convRelu(): Network {
  const r = mulberry32(7);
  const weight = Float32Array.from({ length: 4 * 9 }, () => r() - 0.5);
  return network(1, [
    { type: 'conv2d', index: 0, inChannels: 1, outChannels: 4, kernelSize: [3, 3], stride: [1, 1], dilation: [1, 1], padding: { top: 1, bottom: 1, left: 1, right: 1 }, paddingMode: 'zeros', groups: 1, weight, bias: Float32Array.of(0.1, -0.1, 0, 0.2) },
    { type: 'relu', index: 1 },
  ]);
}

async function run(engine: Engine, net: Network, size: number, outputs: number[]): Promise<Tensor[]> {
  const r = mulberry32(size);
  const input = tensor(1, size, size, Float32Array.from({ length: size * size }, () => r() * 2 - 1));
  const rows = [{ start: 0, end: size }, { start: 0, end: size }];
  return (await engine.run(net, { tensor: input, y0: 0, fullHeight: size }, rows, outputs)).map((b) => b.tensor);
}

describe('copying large outputs out on the workers', () => {
  it('gives the same bytes on 1, 2 and 3 threads, each output in its own place, and matches the reference', async () => {
    const net = convRelu();
    const [conv1, relu1] = await run(engines.get(1)!, net, 300, [0, 1]);
    const reference = await run(createReferenceEngine(), net, 300, [0, 1]);
    expect(compareWithTolerance(conv1.data, reference[0].data, [4, 300, 300])).toBeNull();
    for (const t of [2, 3]) {
      const [conv, relu] = await run(engines.get(t)!, net, 300, [0, 1]);
      // The workers wrote them: one shared buffer, the relu output after the conv output.
      expect(conv.data.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(relu.data.buffer).toBe(conv.data.buffer);
      expect(relu.data.byteOffset).toBe(conv.data.byteLength);
      expect(Buffer.from(conv.data.buffer, conv.data.byteOffset, conv.data.byteLength).equals(Buffer.from(conv1.data.buffer, conv1.data.byteOffset, conv1.data.byteLength)), `${t} threads`).toBe(true);
      expect(Buffer.from(relu.data.buffer, relu.data.byteOffset, relu.data.byteLength).equals(Buffer.from(relu1.data.buffer, relu1.data.byteOffset, relu1.data.byteLength)), `${t} threads`).toBe(true);
      expect(relu.data.every((v, i) => v === Math.max(conv.data[i], 0))).toBe(true);
    }
  });

  it('leaves small outputs to the main thread, and a run after one sees fresh data', async () => {
    const net = convRelu();
    const engine = engines.get(2)!;
    const [small] = await run(engine, net, 40, [1]);
    expect(small.data.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    const [large] = await run(engine, net, 300, [1]);
    const [again] = await run(engine, net, 300, [1]);
    // Each run gets its own buffer: the first result is not overwritten by the second.
    expect(large.data.buffer).not.toBe(again.data.buffer);
    expect(large.data).toEqual(again.data);
  });
});
