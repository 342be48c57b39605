// A test-side evaluator of spec trees: groups combined in plain loops, each plain layer through cnnx's reference engine, the new
// layer types (relu6, hardtanh, local_response_norm) from their PyTorch definitions. It checks imported specs against PyTorch
// before the engines run groups themselves; once they do, end-to-end.test.ts checks the same specs through cnnx proper.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createReferenceEngine } from '../../src/engine/reference.js';
import { tensor, type Tensor } from '../../src/engine/tensor.js';
import { readNpyFile } from '../../src/io/npy.js';
import { parseNetwork } from '../../src/network/load.js';
import { runNetwork } from '../../src/network/run.js';

type Item = Record<string, unknown>;

/** The outputs of the named layers/groups of `specFile` on the (C, H, W) .npy `input`. */
export async function evaluateTree(specFile: string, input: string, names: readonly string[]): Promise<Map<string, Float32Array>> {
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as { layers: Item[] };
  const dir = path.dirname(path.resolve(specFile));
  const engine = createReferenceEngine();
  const found = new Map<string, Float32Array>();
  const record = (item: Item, t: Tensor): Tensor => {
    if (typeof item.name === 'string' && names.includes(item.name)) found.set(item.name, t.data);
    return t;
  };
  const one = async (item: Item, x: Tensor): Promise<Tensor> => {
    switch (item.type) {
      case 'sequential':
        return record(item, await run(item.layers as Item[], x));
      case 'add':
      case 'concat': {
        const outs: Tensor[] = [];
        for (const branch of item.branches as Item[][]) outs.push(await run(branch, x));
        return record(item, item.type === 'add' ? sum(outs) : concat(outs));
      }
      case 'relu6':
        return record(item, map(x, (v) => Math.min(Math.max(v, 0), 6)));
      case 'hardtanh':
        return record(item, map(x, (v) => Math.min(Math.max(v, item.min_val as number), item.max_val as number)));
      case 'local_response_norm':
        return record(item, lrn(x, item.size as number, item.alpha as number, item.beta as number, item.k as number));
      default: {
        const net = await parseNetwork({ input: { channels: x.channels }, layers: [item] }, { file: specFile, dir, hash: '' });
        const [out] = await runNetwork(engine, net, x, [0], 'input');
        return record(item, out.tensor);
      }
    }
  };
  const run = async (items: readonly Item[], x: Tensor): Promise<Tensor> => {
    let t = x;
    for (const item of items) t = await one(item, t);
    return t;
  };
  const array = await readNpyFile(input);
  await run(spec.layers, tensor(array.shape[0], array.shape[1], array.shape[2], array.data));
  return found;
}

function map(x: Tensor, f: (v: number) => number): Tensor {
  return tensor(x.channels, x.height, x.width, x.data.map(f));
}

function sum(parts: readonly Tensor[]): Tensor {
  const out = new Float32Array(parts[0].data.length);
  for (const p of parts) for (let i = 0; i < out.length; i++) out[i] += p.data[i];
  return tensor(parts[0].channels, parts[0].height, parts[0].width, out);
}

function concat(parts: readonly Tensor[]): Tensor {
  const channels = parts.reduce((n, p) => n + p.channels, 0);
  const out = new Float32Array(channels * parts[0].height * parts[0].width);
  let at = 0;
  for (const p of parts) {
    out.set(p.data, at);
    at += p.data.length;
  }
  return tensor(channels, parts[0].height, parts[0].width, out);
}

/** torch.nn.LocalResponseNorm: x / (k + alpha / size * sum of x^2 over channels [c - size/2, c + (size - 1)/2])^beta. */
function lrn(x: Tensor, size: number, alpha: number, beta: number, k: number): Tensor {
  const plane = x.height * x.width;
  const out = new Float32Array(x.data.length);
  for (let c = 0; c < x.channels; c++) {
    for (let i = 0; i < plane; i++) {
      let s = 0;
      for (let d = c - Math.floor(size / 2); d <= c + Math.floor((size - 1) / 2); d++) if (d >= 0 && d < x.channels) s += x.data[d * plane + i] ** 2;
      out[c * plane + i] = x.data[c * plane + i] / (k + (alpha / size) * s) ** beta;
    }
  }
  return tensor(x.channels, x.height, x.width, out);
}
