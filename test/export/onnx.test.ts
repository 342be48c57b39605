// ONNX export: the protobuf writer against known bytes, exported models decoded back, and the unsupported cases' errors.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportOnnxCommand } from '../../src/cli/export-onnx.js';
import { createReferenceEngine } from '../../src/engine/reference.js';
import { CnnxError } from '../../src/errors.js';
import { exportOnnx } from '../../src/export/onnx.js';
import { ProtoWriter, encodeVarint } from '../../src/export/protobuf.js';
import { runNetwork, selectLayers } from '../../src/network/run.js';
import type { Conv2dLayer, Layer, Network, PaddingMode } from '../../src/network/types.js';
import { stackNetwork, type StackLayer } from '../../src/network/tree.js';
import { compareArrays, describeFailure } from '../../src/verify/compare.js';

// ---- a tiny protobuf reader, independent of the writer, so the test checks bytes not symmetry ----

type Field = { wire: number; value: bigint | Uint8Array };
type Message = Map<number, Field[]>;

function readVarint(bytes: Uint8Array, pos: { at: number }): bigint {
  let result = 0n;
  for (let shift = 0n; ; shift += 7n) {
    const b = bytes[pos.at++];
    if (b === undefined) throw new Error('truncated varint');
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
  }
}

function decode(bytes: Uint8Array): Message {
  const fields: Message = new Map();
  const pos = { at: 0 };
  while (pos.at < bytes.length) {
    const key = Number(readVarint(bytes, pos));
    const [field, wire] = [key >>> 3, key & 7];
    let value: bigint | Uint8Array;
    if (wire === 0) value = readVarint(bytes, pos);
    else if (wire === 2) {
      const n = Number(readVarint(bytes, pos));
      value = bytes.subarray(pos.at, pos.at + n);
      pos.at += n;
    } else if (wire === 5) {
      value = bytes.subarray(pos.at, pos.at + 4);
      pos.at += 4;
    } else throw new Error(`unexpected wire type ${wire}`);
    if (!fields.has(field)) fields.set(field, []);
    fields.get(field)!.push({ wire, value });
  }
  return fields;
}

const all = (m: Message, f: number): Field[] => m.get(f) ?? [];
const one = (m: Message, f: number): Field => {
  const list = all(m, f);
  expect(list.length, `field ${f}`).toBe(1);
  return list[0];
};
const int = (m: Message, f: number): number => Number(one(m, f).value as bigint);
const str = (m: Message, f: number): string => new TextDecoder().decode(one(m, f).value as Uint8Array);
const strs = (m: Message, f: number): string[] => all(m, f).map((x) => new TextDecoder().decode(x.value as Uint8Array));
const sub = (m: Message, f: number): Message => decode(one(m, f).value as Uint8Array);
const subs = (m: Message, f: number): Message[] => all(m, f).map((x) => decode(x.value as Uint8Array));

function packedInts(m: Message, f: number): number[] {
  const bytes = one(m, f).value as Uint8Array;
  const pos = { at: 0 };
  const out: number[] = [];
  while (pos.at < bytes.length) out.push(Number(readVarint(bytes, pos)));
  return out;
}

// ---- the ONNX structure we read back ----

interface DecodedNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, number | number[] | string>;
}

function decodeNode(n: Message): DecodedNode {
  const attrs = new Map<string, number | number[] | string>();
  for (const a of subs(n, 5)) {
    const type = int(a, 20);
    const name = str(a, 1);
    if (type === 2) attrs.set(name, int(a, 3));
    else if (type === 7) attrs.set(name, packedInts(a, 8));
    else if (type === 3) attrs.set(name, str(a, 4));
    else if (type === 1) attrs.set(name, new DataView((one(a, 2).value as Uint8Array).slice().buffer).getFloat32(0, true));
    else throw new Error(`attribute ${name} has unexpected type ${type}`);
  }
  return { op: str(n, 4), inputs: strs(n, 1), outputs: strs(n, 2), attrs };
}

function decodeModel(bytes: Uint8Array) {
  const model = decode(bytes);
  const graph = sub(model, 7);
  const dims = (vi: Message) => subs(sub(sub(sub(vi, 2), 1), 2), 1).map((d) => (d.has(1) ? int(d, 1) : d.has(2) ? str(d, 2) : '?'));
  return {
    irVersion: int(model, 1),
    opset: int(sub(model, 8), 2),
    nodes: subs(graph, 1).map(decodeNode),
    initializers: new Map(subs(graph, 5).map((t) => [str(t, 8), t])),
    inputs: subs(graph, 11).map((vi) => ({ name: str(vi, 1), dims: dims(vi) })),
    outputs: subs(graph, 12).map((vi) => ({ name: str(vi, 1), dims: dims(vi) })),
  };
}

// ---- networks built directly in validated form ----

function conv(index: number, extra: Partial<Conv2dLayer> = {}): Conv2dLayer {
  const inChannels = extra.inChannels ?? 3;
  const outChannels = extra.outChannels ?? 4;
  const [kh, kw] = extra.kernelSize ?? [3, 3];
  const weight = Float32Array.from({ length: outChannels * inChannels * kh * kw }, (_, i) => (i % 7) - 3.5);
  return {
    type: 'conv2d', index, inChannels, outChannels, kernelSize: [kh, kw], stride: [1, 1], dilation: [1, 1],
    padding: { top: 1, bottom: 1, left: 1, right: 1 }, paddingMode: 'zeros', groups: 1,
    weight, bias: Float32Array.from({ length: outChannels }, (_, i) => i), ...extra,
  };
}

function network(layers: StackLayer[], channels = 3): Network {
  return stackNetwork({ name: 'test', file: 'net.json', hash: 'ab'.repeat(32), input: { channels, mean: null, std: null, resize: null } }, layers);
}

function seedNet(): Network {
  return network([
    conv(0, { name: 'conv1' }),
    { type: 'relu', index: 1 },
    { type: 'maxpool2d', index: 2, kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false },
    conv(3, { inChannels: 4, outChannels: 8, stride: [2, 2], dilation: [1, 2], padding: { top: 1, bottom: 2, left: 3, right: 4 } }),
    { type: 'leaky_relu', index: 4, negativeSlope: 0.25 },
    { type: 'avgpool2d', index: 5, kernelSize: [3, 3], stride: [1, 1], padding: [1, 1], ceilMode: true, countIncludePad: false, divisorOverride: null },
  ]);
}

function expectCnnxError(fn: () => unknown, code: string, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(CnnxError);
  expect((caught as CnnxError).code).toBe(code);
  expect((caught as CnnxError).message).toMatch(message);
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('protobuf writer', () => {
  it('encodes varints as the protobuf documentation does', () => {
    expect(hex(encodeVarint(0))).toBe('00');
    expect(hex(encodeVarint(1))).toBe('01');
    expect(hex(encodeVarint(127))).toBe('7f');
    expect(hex(encodeVarint(128))).toBe('8001');
    expect(hex(encodeVarint(300))).toBe('ac02');
    expect(hex(encodeVarint(2 ** 32))).toBe('8080808010');
    // Negative int64 is ten bytes of two's complement.
    expect(hex(encodeVarint(-1))).toBe('ffffffffffffffffff01');
  });

  it('encodes tagged fields, strings, floats, packed and nested messages', () => {
    expect(hex(new ProtoWriter().varint(1, 150).finish())).toBe('089601');
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    expect(hex(new ProtoWriter().float(1, 1).finish())).toBe('0d0000803f');
    expect(hex(new ProtoWriter().packedVarints(4, [3, 270, 86942]).finish())).toBe('2206038e029ea705');
    expect(hex(new ProtoWriter().packedFloats(1, Float32Array.of(1, -2)).finish())).toBe('0a080000803f000000c0');
    expect(hex(new ProtoWriter().message(3, new ProtoWriter().varint(1, 150)).finish())).toBe('1a03089601');
    // A field number above 15 needs a two-byte tag: (20 << 3 | 0) = 160.
    expect(hex(new ProtoWriter().varint(20, 7).finish())).toBe('a00107');
  });
});

describe('exportOnnx', () => {
  it('emits the layers as standard ONNX ops with PyTorch attributes', () => {
    const m = decodeModel(exportOnnx(seedNet()));
    expect(m.opset).toBe(17);
    expect(m.irVersion).toBe(8);
    expect(m.nodes.map((n) => n.op)).toEqual(['Conv', 'Relu', 'MaxPool', 'Conv', 'LeakyRelu', 'AveragePool']);

    const [c0, , pool, c1, leaky, avg] = m.nodes;
    expect(c0.inputs).toEqual(['input', 'layers[0].weight', 'layers[0].bias']);
    expect(c0.outputs).toEqual(['conv1']);
    expect(c1.attrs.get('pads')).toEqual([1, 3, 2, 4]);
    expect(c1.attrs.get('strides')).toEqual([2, 2]);
    expect(c1.attrs.get('dilations')).toEqual([1, 2]);
    expect(c1.attrs.get('group')).toBe(1);
    expect(c1.attrs.get('kernel_shape')).toEqual([3, 3]);
    expect(pool.attrs.get('ceil_mode')).toBe(0);
    expect(leaky.attrs.get('alpha')).toBe(0.25);
    expect(avg.attrs.get('count_include_pad')).toBe(0);
    expect(avg.attrs.get('ceil_mode')).toBe(1);
    expect(avg.attrs.get('pads')).toEqual([1, 1, 1, 1]);
    expect(avg.outputs).toEqual(['output']);
    // Each node reads the previous one's output.
    for (let i = 1; i < m.nodes.length; i++) expect(m.nodes[i].inputs[0]).toBe(m.nodes[i - 1].outputs[0]);
  });

  it('stores weights as float32 raw_data with PyTorch dims', () => {
    const net = seedNet();
    const m = decodeModel(exportOnnx(net));
    const w = m.initializers.get('layers[3].weight')!;
    expect(packedInts(w, 1)).toEqual([8, 4, 3, 3]);
    expect(int(w, 2)).toBe(1);
    const raw = (one(w, 9).value as Uint8Array).slice();
    expect(new Float32Array(raw.buffer)).toEqual((net.layers[3] as Conv2dLayer).weight);
  });

  it('declares a symbolic input and output size unless a size is given', () => {
    const symbolic = decodeModel(exportOnnx(seedNet()));
    expect(symbolic.inputs).toEqual([{ name: 'input', dims: [1, 3, 'height', 'width'] }]);
    expect(symbolic.outputs).toEqual([{ name: 'output', dims: [1, 8, '?', '?'] }]);

    const fixed = decodeModel(exportOnnx(seedNet(), { size: [32, 40] }));
    expect(fixed.inputs).toEqual([{ name: 'input', dims: [1, 3, 32, 40] }]);
    // conv 32x40 -> pool 16x20 -> conv (stride 2, dilation [1, 2], pads 1/2, 3/4): 9x12 -> avgpool keeps it.
    expect(fixed.outputs).toEqual([{ name: 'output', dims: [1, 8, 9, 12] }]);
  });

  it('exposes requested layers, by name as apply --layer does, as extra outputs', () => {
    const net = seedNet();
    const named = network(net.layers.map((l) => (l.index === 2 ? { ...l, name: 'pool1' } : l)));
    const m = decodeModel(exportOnnx(named, { layers: ['pool1', 'conv1'], size: [8, 8] }));
    expect(m.outputs.map((o) => o.name)).toEqual(['output', 'conv1', 'pool1']);
    expect(m.outputs[1].dims).toEqual([1, 4, 8, 8]);
    expect(m.outputs[2].dims).toEqual([1, 4, 4, 4]);
    expectCnnxError(() => exportOnnx(net, { layers: ['conv'] }), 'usage.layer', /no layer named "conv" \(did you mean "conv1"\?\)/);
  });

  it.each<[PaddingMode, string]>([
    ['reflect', 'reflect'],
    ['replicate', 'edge'],
  ])('puts an explicit Pad (%s -> %s) before a conv whose border is not zeros', (mode, onnxMode) => {
    const net = network([conv(0, { paddingMode: mode, padding: { top: 1, bottom: 2, left: 3, right: 4 } })]);
    const m = decodeModel(exportOnnx(net));
    expect(m.opset).toBe(17);
    expect(m.nodes.map((n) => n.op)).toEqual(['Pad', 'Conv']);
    expect(m.nodes[0].attrs.get('mode')).toBe(onnxMode);
    expect(packedInts(m.initializers.get(m.nodes[0].inputs[1])!, 7)).toEqual([0, 0, 1, 3, 0, 0, 2, 4]);
    expect(m.nodes[1].attrs.get('pads')).toEqual([0, 0, 0, 0]);
  });

  it('uses Pad mode "wrap" and opset 19 for circular padding, and refuses an older opset', () => {
    const net = network([conv(0, { paddingMode: 'circular' })]);
    const m = decodeModel(exportOnnx(net));
    expect(m.opset).toBe(19);
    expect(m.irVersion).toBe(9);
    expect(m.nodes[0].attrs.get('mode')).toBe('wrap');
    expectCnnxError(() => exportOnnx(net, { opset: 17 }), 'export.opset', /layers\[0\] \(conv2d\)\.padding_mode: .*"wrap".*opset 19/);
  });

  it('needs no Pad when a non-zeros padding mode has no padding', () => {
    const net = network([conv(0, { paddingMode: 'symmetric', padding: { top: 0, bottom: 0, left: 0, right: 0 } })]);
    expect(decodeModel(exportOnnx(net)).nodes.map((n) => n.op)).toEqual(['Conv']);
  });

  it('maps adaptive pools to output 1 onto global pools, batchnorm onto BatchNormalization', () => {
    const c = Float32Array.of(1, 2, 3);
    const net = network([
      { type: 'batchnorm2d', index: 0, channels: 3, weight: c, bias: c, runningMean: c, runningVar: c, eps: 1e-5 },
      { type: 'adaptive_maxpool2d', index: 1, outputSize: [1, 1] },
      { type: 'adaptive_avgpool2d', index: 2, outputSize: [1, 1] },
    ]);
    const m = decodeModel(exportOnnx(net, { size: [5, 7] }));
    expect(m.nodes.map((n) => n.op)).toEqual(['BatchNormalization', 'GlobalMaxPool', 'GlobalAveragePool']);
    expect(m.nodes[0].inputs.length).toBe(5);
    expect(m.nodes[0].attrs.get('epsilon')).toBeCloseTo(1e-5, 10);
    expect(m.outputs[0].dims).toEqual([1, 3, 1, 1]);
  });

  it('writes gem as Clip/Pow/GlobalAveragePool/Pow and normalize as a channel norm, Max(eps) and Div', () => {
    const net = network([
      { type: 'normalize', index: 0, p: 2, eps: 1e-12 },
      { type: 'normalize', index: 1, p: 3, eps: 0.5 },
      { type: 'gem', index: 2, p: 3, eps: 1e-6 },
      { type: 'normalize', index: 3, p: 1, eps: 1e-12 },
    ]);
    const ops = (opset: number) => decodeModel(exportOnnx(net, { opset, size: [4, 5] }));
    const m = ops(17);
    expect(m.nodes.map((n) => n.op)).toEqual([
      'ReduceL2', 'Max', 'Div',
      'Abs', 'Pow', 'ReduceSum', 'Pow', 'Max', 'Div',
      'Clip', 'Pow', 'GlobalAveragePool', 'Pow',
      'ReduceL1', 'Max', 'Div',
    ]);
    expect(m.outputs[0].dims).toEqual([1, 3, 1, 1]);
    // ReduceL2 takes axes as an attribute before opset 18, ReduceSum before 13; as an input after.
    expect(m.nodes[0].attrs.get('axes')).toEqual([1]);
    expect(m.nodes[5].attrs.has('axes')).toBe(false);
    expect(m.nodes[5].inputs).toHaveLength(2);
    const m18 = ops(18);
    expect(m18.nodes[0].attrs.has('axes')).toBe(false);
    expect(m18.nodes[0].inputs).toHaveLength(2);
    expect(ops(11).nodes[5].attrs.get('axes')).toEqual([1]);
    const scalar = (name: string) => new DataView((one(m.initializers.get(name)!, 9).value as Uint8Array).slice().buffer).getFloat32(0, true);
    expect(scalar(m.nodes[9].inputs[1])).toBeCloseTo(1e-6, 12);
    expect(scalar(m.nodes[10].inputs[1])).toBe(3);
    expect(scalar(m.nodes[12].inputs[1])).toBeCloseTo(1 / 3, 7);
    expect(scalar(m.nodes[7].inputs[1])).toBe(0.5);
  });

  it('explains what ONNX cannot express', () => {
    const symmetric = network([conv(0, { paddingMode: 'symmetric' })]);
    expectCnnxError(() => exportOnnx(symmetric), 'export.unsupported', /^net\.json: layers\[0\] \(conv2d\)\.padding_mode: cannot be exported to ONNX: "symmetric" has no ONNX equivalent/);

    const divisor = network([{ type: 'avgpool2d', index: 0, kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], ceilMode: false, countIncludePad: true, divisorOverride: 3 }]);
    expectCnnxError(() => exportOnnx(divisor), 'export.unsupported', /layers\[0\] \(avgpool2d\)\.divisor_override: cannot be exported to ONNX: ONNX AveragePool has no divisor_override/);

    const adaptive = network([{ type: 'adaptive_avgpool2d', index: 0, outputSize: [7, 7] }]);
    expectCnnxError(() => exportOnnx(adaptive), 'export.unsupported', /output_size: .*only output_size 1 .*got \[7, 7\]/);

    expectCnnxError(() => exportOnnx(seedNet(), { opset: 9 }), 'export.opset', /from 11 to 22, got 9/);
    expectCnnxError(() => exportOnnx(seedNet(), { size: [1, 1] }), 'export.size', /layers\[2\] \(maxpool2d\): does not fit a 1x1 input/);
  });
});

describe('exportOnnxCommand', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cnnx-export-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the model and leaves no temp file', async () => {
    const output = join(dir, 'net.onnx');
    await exportOnnxCommand(seedNet(), { output, size: [16, 16] });
    expect(await readdir(dir)).toEqual(['net.onnx']);
    expect(new Uint8Array(await readFile(output))).toEqual(exportOnnx(seedNet(), { size: [16, 16] }));
  });

  it('writes nothing for a network it cannot export', async () => {
    const output = join(dir, 'net.onnx');
    await expect(exportOnnxCommand(network([conv(0, { paddingMode: 'symmetric' })]), { output })).rejects.toMatchObject({ code: 'export.unsupported' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('reports a path it cannot write', async () => {
    // The target's parent is a file, so neither mkdir nor the write can succeed.
    const output = join(dir, 'net.onnx');
    await exportOnnxCommand(seedNet(), { output });
    await expect(exportOnnxCommand(seedNet(), { output: join(output, 'inner.onnx') })).rejects.toMatchObject({
      code: 'export.write',
      message: `${join(output, 'inner.onnx')}: cannot write the ONNX model: a parent is not a folder`,
    });
  });
});

// ---- optional: run exported models in ONNX Runtime against the reference engine ----
// Only where bench/peers is installed (it is not a dependency of cnnx): CI skips this block.

interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, { dims: readonly number[]; data: Float32Array }>>;
}

/** The part of onnxruntime-node used here (typed locally: the package is not a dependency of the root). */
interface Ort {
  InferenceSession: { create(model: Uint8Array): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => unknown;
}

const ort = ((): Ort | null => {
  try {
    return createRequire(new URL('../../bench/peers/package.json', import.meta.url))('onnxruntime-node') as Ort;
  } catch {
    return null;
  }
})();

describe.skipIf(ort === null)('exported models in onnxruntime-node (bench/peers installed)', () => {
  let seed = 1;
  const values = (n: number) => Float32Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1);
  const pads = (top: number, bottom: number, left: number, right: number) => ({ top, bottom, left, right });
  const maxpool = (o: object): Layer => ({ type: 'maxpool2d', index: 0, kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false, ...o });
  const avgpool = (o: object): Layer => ({ type: 'avgpool2d', index: 0, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], ceilMode: true, countIncludePad: true, divisorOverride: null, ...o });
  const cases: Record<string, () => Network> = {
    'conv stride/dilation/asymmetric pads + leaky': () => network([conv(0, { weight: values(108), padding: pads(2, 0, 1, 3), stride: [2, 1], dilation: [2, 1] }), { type: 'leaky_relu', index: 1, negativeSlope: 0.1 }]),
    'reflect pad': () => network([conv(0, { weight: values(108), paddingMode: 'reflect', padding: pads(2, 1, 0, 2) })]),
    'replicate pad': () => network([conv(0, { weight: values(108), paddingMode: 'replicate', padding: pads(2, 1, 3, 2) })]),
    'circular pad': () => network([conv(0, { weight: values(108), paddingMode: 'circular', padding: pads(2, 1, 3, 2) })]),
    'groups, no bias': () => network([conv(0, { inChannels: 4, outChannels: 6, groups: 2, weight: values(108), bias: null })], 4),
    'maxpool ceil_mode, window starting in the padding': () => network([maxpool({ padding: [1, 1], ceilMode: true })]),
    'maxpool dilation': () => network([maxpool({ kernelSize: [3, 2], stride: [2, 1], padding: [1, 1], dilation: [2, 2] })]),
    'avgpool ceil_mode count_include_pad': () => network([avgpool({})]),
    'avgpool ceil_mode exclude pad': () => network([avgpool({ countIncludePad: false })]),
    'batchnorm + global pools': () => network([
      { type: 'batchnorm2d', index: 0, channels: 3, weight: values(3), bias: values(3), runningMean: values(3), runningVar: values(3).map(Math.abs), eps: 1e-5 },
      { type: 'adaptive_avgpool2d', index: 1, outputSize: [1, 1] },
    ]),
    'gem (p 3) then normalize (p 2)': () => network([{ type: 'gem', index: 0, p: 3, eps: 1e-6 }, { type: 'normalize', index: 1, p: 2, eps: 1e-12 }]),
    'gem clamping most values (eps 0.5), normalize p 1': () => network([{ type: 'gem', index: 0, p: 4.5, eps: 0.5 }, { type: 'normalize', index: 1, p: 1, eps: 1e-12 }]),
    'normalize p 3 on a map, eps dominating': () => network([{ type: 'normalize', index: 0, p: 3, eps: 0.9 }]),
  };

  it.each(Object.keys(cases))('%s', async (name) => {
    const net = cases[name]();
    const engine = createReferenceEngine();
    const session = await ort!.InferenceSession.create(exportOnnx(net));
    for (const [h, w] of [[5, 6], [6, 7], [9, 8]]) {
      const input = { channels: net.input.channels, height: h, width: w, data: values(net.input.channels * h * w) };
      const [expected] = await runNetwork(engine, net, input, selectLayers(net, []), 'test');
      const got = (await session.run({ input: new ort!.Tensor('float32', input.data, [1, input.channels, h, w]) })).output;
      const t = expected.tensor;
      expect(got.dims).toEqual([1, t.channels, t.height, t.width]);
      const data = got.data as Float32Array;
      expect(describeFailure(compareArrays({ shape: got.dims, data }, { shape: [t.channels, t.height, t.width], data: t.data }, { atol: 1e-5, rtol: 0 }))).toBeNull();
    }
  });
});
