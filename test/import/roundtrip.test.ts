// export-onnx then import: every exportable conformance network comes back computing what it computed, against PyTorch's expected output.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createReferenceEngine } from '../../src/engine/reference.js';
import { CnnxError } from '../../src/errors.js';
import { exportOnnx } from '../../src/export/onnx.js';
import { importOnnx } from '../../src/import/onnx-import.js';
import { decodeOnnxModel } from '../../src/import/onnx-model.js';
import { WeightStore } from '../../src/import/spec-tree.js';
import { writeImported } from '../../src/import/write.js';
import { readInput } from '../../src/io/image.js';
import { loadNetwork, parseNetwork } from '../../src/network/load.js';
import { runNetwork, selectLayers } from '../../src/network/run.js';
import type { Tensor } from '../../src/engine/tensor.js';
import type { Network } from '../../src/network/types.js';
import { FIXTURES, tempDir } from '../helpers.js';
import { importMismatch, npy } from './helpers.js';

/** The PyTorch-made cases with an input and an expected output: plain layers, and branching blocks. */
const cases = ['conformance', 'branches'].flatMap((folder) =>
  readdirSync(path.join(FIXTURES, folder))
    .map((c) => path.join(FIXTURES, folder, c))
    .filter((dir) => existsSync(path.join(dir, 'input.npy')) && existsSync(path.join(dir, 'expected.npy'))),
);

async function outputOf(spec: string, input: string): Promise<Float32Array> {
  const net = await loadNetwork(spec);
  const x = await readInput(readFileSync(input), input, net.input);
  return run(net, x);
}

async function run(net: Network, x: Tensor): Promise<Float32Array> {
  const [out] = await runNetwork(createReferenceEngine(), net, x, selectLayers(net, []), 'x');
  return out.tensor.data;
}

describe('export-onnx, then import', () => {
  it.each(cases)('%s', async (dir) => {
    const name = path.basename(dir);
    const spec = path.join(dir, 'net.json');
    const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { args?: string[] };
    if (meta.args?.length) return; // cases that read an intermediate layer
    const net = await loadNetwork(spec);
    let onnx: Uint8Array;
    try {
      onnx = exportOnnx(net, {});
    } catch (error) {
      // Layers ONNX cannot express (symmetric padding, divisor_override, adaptive pools other than global) are export's refusal to test.
      expect(error).toBeInstanceOf(CnnxError);
      return;
    }
    const store = new WeightStore('net.safetensors');
    const imported = importOnnx(decodeOnnxModel(onnx, 'net.onnx'), store);
    expect(imported.channels).toBe(net.input.channels);
    const out = path.join(tempDir(), 'net.json');
    const input = JSON.parse(readFileSync(spec, 'utf8')).input;
    await writeImported(out, { name, input, layers: imported.layers }, store, {});
    const original = await outputOf(spec, path.join(dir, 'input.npy'));
    const back = await outputOf(out, path.join(dir, 'input.npy'));
    expect(importMismatch(back, original)).toBeNull();
    expect(importMismatch(back, await npy(path.join(dir, 'expected.npy')))).toBeNull();
  });
});

describe('export-onnx, then import: heads at every opset', () => {
  // Opset 11-12: reductions take axes as attributes; 13-17: ReduceSum takes them as an input; 18: all do.
  const heads = {
    input: { channels: 3 },
    layers: [
      { type: 'conv2d', in_channels: 3, out_channels: 6, kernel_size: 3, weight: { random: { seed: 1 } }, bias: { random: { seed: 2 } } },
      { type: 'normalize', p: 3, eps: 1e-3 },
      { type: 'gem', p: 2.5, eps: 0.05 },
      { type: 'normalize', p: 1 },
      { type: 'normalize' },
    ],
  };
  const x: Tensor = { channels: 3, height: 9, width: 11, data: Float32Array.from({ length: 3 * 9 * 11 }, (_, i) => Math.sin(i * 1.7) * 2) };

  it.each([11, 13, 17, 18])('opset %i', async (opset) => {
    const net = await parseNetwork(heads, { file: 'heads.json', dir: tempDir(), hash: '' });
    const store = new WeightStore('net.safetensors');
    const imported = importOnnx(decodeOnnxModel(exportOnnx(net, { opset }), 'net.onnx'), store);
    expect(imported.layers.slice(1).map(({ name, ...rest }) => rest)).toEqual([
      { type: 'normalize', p: 3, eps: 1e-3 },
      { type: 'gem', p: 2.5, eps: 0.05 },
      { type: 'normalize', p: 1, eps: 1e-12 },
      { type: 'normalize', p: 2, eps: 1e-12 },
    ]);
    const out = path.join(tempDir(), 'net.json');
    await writeImported(out, { input: heads.input, layers: imported.layers }, store, {});
    const expected = await run(net, x);
    expect(importMismatch(await run(await loadNetwork(out), x), expected)).toBeNull();
  });
});
