// The pooling heads gem and normalize beyond their PyTorch conformance cases: fast engine against reference after convs, bands, streamed runs, inspect and where.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { summarize } from '../../src/inspect/summary.js';
import { neededRows } from '../../src/engine/band.js';
import { createEngine } from '../../src/engine/create.js';
import type { Engine } from '../../src/engine/engine.js';
import { createReferenceEngine } from '../../src/engine/reference.js';
import { wholeMapRows } from '../../src/engine/run.js';
import { tensor, type Shape } from '../../src/engine/tensor.js';
import { CnnxError } from '../../src/errors.js';
import { inputRegion } from '../../src/inspect/receptive-field.js';
import { encodeNpy } from '../../src/io/npy.js';
import { parseNetwork } from '../../src/network/load.js';
import { inferShapes } from '../../src/network/shapes.js';
import type { Network } from '../../src/network/types.js';
import { tensorSource } from '../../src/stream/row-source.js';
import { streamNetwork } from '../../src/stream/stream-network.js';
import { compareWithTolerance, mulberry32, ROOT } from '../helpers.js';

const origin = { file: 'heads.json', dir: ROOT, hash: '' };
const conv = (out: number, seed: number) => ({ type: 'conv2d', out_channels: out, kernel_size: 3, padding: 1, weight: { random: { seed } }, bias: { random: { seed: seed + 1 } } });

/** Stacks that put the heads after SIMD convs, fused pools, and each other. */
const STACKS: Record<string, unknown[]> = {
  'conv relu gem': [conv(8, 1), { type: 'relu' }, { type: 'gem' }],
  'conv normalize': [conv(6, 3), { type: 'normalize' }],
  'conv relu maxpool gem(p=2.5) normalize': [conv(8, 5), { type: 'relu' }, { type: 'maxpool2d', kernel_size: 2 }, { type: 'gem', p: 2.5 }, { type: 'normalize' }],
  'conv normalize(p=1) conv gem(p=1)': [conv(4, 7), { type: 'normalize', p: 1 }, conv(5, 9), { type: 'gem', p: 1, eps: 0.01 }],
};
const SIZES: [number, number][] = [[2, 2], [5, 7], [17, 23], [32, 9]];

function spec(layers: unknown[]) {
  return { input: { channels: 3 }, layers: layers.map((l, i) => ({ ...(l as object), name: `l${i}` })) };
}

function input(seed: number, s: Shape) {
  const r = mulberry32(seed);
  return tensor(s.channels, s.height, s.width, Float32Array.from({ length: s.channels * s.height * s.width }, () => r() * 4 - 2));
}

const engines: Engine[] = [];
afterAll(async () => {
  for (const e of engines) await e.close();
});

async function fast(): Promise<Engine> {
  const engine = await createEngine({ kind: 'fast', threads: 2 });
  engines.push(engine);
  return engine;
}

describe('fast engine against the reference', () => {
  test.each(Object.keys(STACKS))('%s, every layer, on several sizes', async (name) => {
    const net = await parseNetwork(spec(STACKS[name]), origin);
    const engine = await fast();
    const ref = createReferenceEngine();
    const all = net.layers.map((l) => l.index);
    for (const [h, w] of SIZES) {
      const x = input(h * 31 + w, { channels: 3, height: h, width: w });
      const shapes = inferShapes(net, x, 'x');
      const band = { tensor: x, y0: 0, fullHeight: h };
      const got = await engine.run(net, band, wholeMapRows(net, shapes, all, h), all);
      const want = await ref.run(net, band, wholeMapRows(net, shapes, all, h), all);
      for (const i of all) {
        const t = want[i].tensor;
        expect(compareWithTolerance(got[i].tensor.data, t.data, [t.channels, t.height, t.width]), `${name} ${h}x${w} layer ${i}`).toBeNull();
      }
      net.layers.forEach((l, i) => {
        if (l.type === 'gem') expect([shapes[i].height, shapes[i].width]).toEqual([1, 1]);
      });
    }
  });
});

describe('bands', () => {
  test('gem needs every input row; normalize only the rows it writes', async () => {
    const net = await parseNetwork(spec([{ type: 'gem' }, { type: 'normalize' }]), origin);
    expect(neededRows(net.layers[0], { start: 0, end: 1 }, 37, { height: 1, width: 1 })).toEqual({ start: 0, end: 37 });
    expect(neededRows(net.layers[1], { start: 3, end: 9 }, 20, { height: 20, width: 20 })).toEqual({ start: 3, end: 9 });
  });

  test('normalize on a band gives the same bytes as those rows of a whole run', async () => {
    const net = await parseNetwork(spec([{ type: 'normalize', p: 3 }]), origin);
    const x = input(4, { channels: 5, height: 11, width: 6 });
    const ref = createReferenceEngine();
    const [whole] = await ref.run(net, { tensor: x, y0: 0, fullHeight: 11 }, [{ start: 0, end: 11 }], [0]);
    const rows = { start: 4, end: 9 };
    const part = tensor(5, 5, 6, new Float32Array(5 * 5 * 6));
    for (let c = 0; c < 5; c++) part.data.set(x.data.subarray((c * 11 + 4) * 6, (c * 11 + 9) * 6), c * 5 * 6);
    const [band] = await ref.run(net, { tensor: part, y0: 4, fullHeight: 11 }, [rows], [0]);
    for (let c = 0; c < 5; c++) {
      expect(Buffer.from(band.tensor.data.buffer).subarray(c * 120, (c + 1) * 120)).toEqual(Buffer.from(whole.tensor.data.buffer).subarray((c * 11 + 4) * 24, (c * 11 + 9) * 24));
    }
  });
});

describe('streamed runs', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cnnx-heads-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(['reference', 'fast'] as const)('%s engine: a conv stack ending in gem and normalize streams bit-identically', async (kind) => {
    const net: Network = await parseNetwork(spec(STACKS['conv relu maxpool gem(p=2.5) normalize']), origin);
    const engine = kind === 'fast' ? await fast() : createReferenceEngine();
    const x = input(11, { channels: 3, height: 45, width: 13 });
    const shapes = inferShapes(net, x, 'x');
    const outputs = [1, 3, 4];
    const whole = await engine.run(net, { tensor: x, y0: 0, fullHeight: 45 }, wholeMapRows(net, shapes, outputs, 45), outputs);
    for (const bandRows of [1, 3, 8]) {
      const files = outputs.map((o) => path.join(dir, `${kind}-${bandRows}-${o}.npy`));
      await streamNetwork(engine, net, tensorSource(x), 'x', outputs, files, { bandRows });
      outputs.forEach((o, i) => {
        const t = whole[i].tensor;
        expect(readFileSync(files[i]).equals(Buffer.from(encodeNpy([t.channels, t.height, t.width], t.data))), `layer ${o}, bands of ${bandRows}`).toBe(true);
      });
    }
  });
});

describe('inspect and where', () => {
  test('gem ends the receptive field (it reads the whole map), normalize keeps it', async () => {
    const net = await parseNetwork(spec([conv(4, 1), { type: 'normalize' }, { type: 'gem' }]), origin);
    const summary = summarize(net, { channels: 3, height: 10, width: 12 });
    expect(summary.layers.map((l) => l.receptiveField)).toEqual([[3, 3], [3, 3], null]);
    expect(summary.layers[2].output).toEqual({ channels: 4, height: 1, width: 1 });
    expect(inputRegion(net, { channels: 3, height: 10, width: 12 }, 2, 0, 0).read).toEqual({ rows: [[0, 9]], cols: [[0, 11]] });
    expect(inputRegion(net, { channels: 3, height: 10, width: 12 }, 1, 4, 5).read).toEqual({ rows: [[3, 5]], cols: [[4, 6]] });
  });
});

describe('parsing', () => {
  test('defaults are PyTorch-side conventions: gem p 3, eps 1e-6; normalize p 2, eps 1e-12', async () => {
    const net = await parseNetwork(spec([{ type: 'gem' }, { type: 'normalize' }]), origin);
    expect(net.layers.map((l) => (l.type === 'gem' || l.type === 'normalize' ? [l.p, l.eps] : null))).toEqual([[3, 1e-6], [2, 1e-12]]);
  });

  test.each([
    [{ type: 'gem', p: 0 }, 'spec.range', /heads\.json: layers\[0\] \(gem "l0"\)\.p: expected a number greater than 0/],
    [{ type: 'normalize', eps: -1 }, 'spec.range', /heads\.json: layers\[0\] \(normalize "l0"\)\.eps: expected a number greater than 0/],
    [{ type: 'gem', p: '3' }, 'spec.type', /\.p: expected a number/],
    [{ type: 'normalize', dim: 1 }, 'spec.unknown_key', /\.dim: unknown key/],
  ])('%j is refused', async (layer, code, message) => {
    const error = await parseNetwork(spec([layer]), origin).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(CnnxError);
    expect((error as CnnxError).code).toBe(code);
    expect((error as CnnxError).message).toMatch(message);
  });
});
