// Shared by the import tests: ONNX models built from a few lines, stored zip archives, the import tolerance, running imported specs.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createEngine } from '../../src/engine/create.js';
import { readInput } from '../../src/io/image.js';
import { readNpyFile } from '../../src/io/npy.js';
import { loadNetwork, parseNetwork } from '../../src/network/load.js';
import { runNetwork, selectLayers } from '../../src/network/run.js';
import { ProtoWriter, float32Bytes } from '../../src/export/protobuf.js';
import { FIXTURES, runCli, tempDir } from '../helpers.js';

export const IMPORT_FIXTURES = path.join(FIXTURES, 'import');

export function fixture(...parts: string[]): string {
  return path.join(IMPORT_FIXTURES, ...parts);
}

export function meta(name: string): { arch: string; outputs: string[]; onnx?: { until: string | null } } {
  return JSON.parse(readFileSync(fixture(name, 'meta.json'), 'utf8'));
}

/**
 * Whether the fast engine runs branching networks (add, concat): main's engine refuses them until its
 * planner walks a graph. The reference engine runs them; the fast engine's runs of branching imports
 * are skipped until then.
 */
export async function fastRunsBranches(): Promise<boolean> {
  const net = await parseNetwork({ input: { channels: 1 }, layers: [{ type: 'add', branches: [[{ type: 'relu' }], []] }] }, { file: '<probe>', dir: '.', hash: '' });
  const engine = await createEngine({ kind: 'fast', threads: 1 });
  try {
    await runNetwork(engine, net, { channels: 1, height: 2, width: 2, data: new Float32Array(4) }, selectLayers(net, []), 'probe');
    return true;
  } catch {
    return false;
  } finally {
    await engine.close();
  }
}

/**
 * The acceptance rule: |cnnx - torch| <= 1e-3 * max|torch| + 1e-4 * |torch|.
 * Null when it holds, else the first offending element.
 */
export function importMismatch(actual: Float32Array, expected: Float32Array): string | null {
  if (actual.length !== expected.length) return `${actual.length} values, expected ${expected.length}`;
  let max = 0;
  for (const v of expected) max = Math.max(max, Math.abs(v));
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= 1e-3 * max + 1e-4 * Math.abs(expected[i]))) {
      return `element ${i}: cnnx ${actual[i]}, PyTorch ${expected[i]} (max |PyTorch| ${max})`;
    }
  }
  return null;
}

/** Runs an imported spec on a .npy input with one engine; returns each named layer's output. */
export async function runSpec(spec: string, input: string, layers: readonly string[], engine: 'fast' | 'reference'): Promise<Map<string, Float32Array>> {
  const net = await loadNetwork(spec);
  const tensor = await readInput(readFileSync(input), input, net.input);
  const e = await createEngine({ kind: engine, threads: 2 });
  try {
    const outputs = await runNetwork(e, net, tensor, selectLayers(net, layers), input);
    return new Map(outputs.map((o) => [o.label, o.tensor.data]));
  } finally {
    await e.close();
  }
}

/** Every item of a spec's layer tree, depth first: a group, then what it holds (its layers, or its branches in order). */
export function specItems<T extends { type: string; layers?: unknown; branches?: unknown }>(items: readonly T[]): T[] {
  const inside = (item: T): T[] => (item.type === 'sequential' ? (item.layers as T[]) : ((item.branches as T[][] | undefined) ?? []).flat());
  return items.flatMap((item) => [item, ...specItems(inside(item))]);
}

/**
 * The case folders of a full-size check made outside the repository, in the folder `root` names (an
 * environment variable: none, no cases), each with its meta.json.
 */
export function outsideCases<M>(root: string | undefined): { name: string; dir: string; meta: M }[] {
  if (!root) return [];
  return readdirSync(root)
    .filter((d) => !d.includes('.'))
    .sort()
    .map((name) => ({ name, dir: path.join(root, name), meta: JSON.parse(readFileSync(path.join(root, name, 'meta.json'), 'utf8')) as M }));
}

/**
 * Full-size models made outside the repository (a folder named by an environment variable): imports
 * `model` of each case with the CLI, runs `cnnx apply` on its input at each [layer, expected file] pair,
 * and expects PyTorch's outputs within the import tolerance.
 */
export async function importAndCompare(dir: string, model: string, importArgs: readonly string[], pairs: readonly (readonly [string, string])[], engine: 'fast' | 'reference'): Promise<void> {
  const net = path.join(tempDir(), 'net.json');
  const imported = await runCli(['import', path.join(dir, model), ...importArgs, '-o', net]);
  if (imported.code !== 0) throw new Error(`import ${model}: ${imported.stderr}`);
  for (const [layer, expected] of pairs) {
    const out = path.join(path.dirname(net), `${layer}.npy`);
    const applied = await runCli(['apply', net, path.join(dir, 'input.npy'), '--layer', layer, '-o', out, '--engine', engine, '-q']);
    if (applied.code !== 0) throw new Error(`apply --layer ${layer}: ${applied.stderr}`);
    const mismatch = importMismatch(await npy(out), await npy(path.join(dir, expected)));
    if (mismatch !== null) throw new Error(`${model} ${layer} (${engine} engine): ${mismatch}`);
  }
}

export async function npy(file: string): Promise<Float32Array> {
  return (await readNpyFile(file)).data;
}

// ---------------------------------------------------------------- ONNX models in a few lines

export interface TestNode {
  op: string;
  inputs: string[];
  outputs?: string[];
  name?: string;
  domain?: string;
  attrs?: Record<string, number | number[] | string | { float: number } | { floats: number[] }>;
}

export interface TestInitializer {
  name: string;
  dims: number[];
  /** float32 values as raw_data (default), or another encoding. */
  values: number[];
  as?: 'raw' | 'float_data' | 'float16_raw' | 'float16_typed' | 'int64' | 'external';
  /** For `external`: the file (relative to the model) and the byte offset. */
  location?: string;
  offset?: number;
}

/** An ONNX ModelProto with the given nodes; the graph input is "input" [1, channels, height, width] (symbolic, unless `size` fixes them). */
export function onnxModel(options: { nodes: TestNode[]; initializers?: TestInitializer[]; channels?: number | string; size?: [number, number]; output?: string | string[]; opset?: number; inputs?: string[] }): Uint8Array {
  const g = new ProtoWriter();
  options.nodes.forEach((n, i) => {
    const node = new ProtoWriter();
    for (const x of n.inputs) node.string(1, x);
    for (const x of n.outputs ?? [`t${i}`]) node.string(2, x);
    node.string(3, n.name ?? `/n${i}/${n.op}`).string(4, n.op);
    if (n.domain) node.string(7, n.domain);
    for (const [key, value] of Object.entries(n.attrs ?? {})) node.message(5, attribute(key, value));
    g.message(1, node);
  });
  g.string(2, 'test');
  for (const t of options.initializers ?? []) g.message(5, tensorProto(t));
  for (const name of options.inputs ?? ['input']) g.message(11, valueInfo(name, options.channels ?? 3, options.size));
  const outputs = options.output === undefined ? [options.nodes.length === 0 ? 'input' : (options.nodes.at(-1)!.outputs ?? [`t${options.nodes.length - 1}`])[0]] : [options.output].flat();
  for (const o of outputs) g.message(12, valueInfo(o, 0));
  return new ProtoWriter()
    .varint(1, 8)
    .string(2, 'test')
    .message(7, g)
    .message(8, new ProtoWriter().string(1, '').varint(2, options.opset ?? 13))
    .finish();
}

function attribute(name: string, value: NonNullable<TestNode['attrs']>[string]): ProtoWriter {
  const a = new ProtoWriter().string(1, name);
  if (typeof value === 'number') return a.varint(20, 2).varint(3, value);
  if (typeof value === 'string') return a.varint(20, 3).string(4, value);
  if (Array.isArray(value)) return a.varint(20, 7).packedVarints(8, value);
  if ('float' in value) return a.varint(20, 1).float(2, value.float);
  return a.varint(20, 6).packedFloats(7, Float32Array.from(value.floats));
}

function tensorProto(t: TestInitializer): ProtoWriter {
  const p = new ProtoWriter().packedVarints(1, t.dims).string(8, t.name);
  switch (t.as ?? 'raw') {
    case 'raw':
      return p.varint(2, 1).bytes(9, float32Bytes(Float32Array.from(t.values)));
    case 'float_data':
      return p.varint(2, 1).packedFloats(4, Float32Array.from(t.values));
    case 'float16_raw':
      return p.varint(2, 10).bytes(9, new Uint8Array(Uint16Array.from(t.values.map(toHalf)).buffer));
    case 'float16_typed':
      return p.varint(2, 10).packedVarints(5, t.values.map(toHalf));
    case 'int64':
      return p.varint(2, 7).packedVarints(7, t.values);
    case 'external':
      return p
        .varint(2, 1)
        .message(13, new ProtoWriter().string(1, 'location').string(2, t.location!))
        .message(13, new ProtoWriter().string(1, 'offset').string(2, String(t.offset ?? 0)))
        .message(13, new ProtoWriter().string(1, 'length').string(2, String(t.values.length * 4)))
        .varint(14, 1);
  }
}

/** IEEE half bits of a value that half represents exactly (the tests use such values). */
function toHalf(v: number): number {
  if (v === 0) return Object.is(v, -0) ? 0x8000 : 0;
  const sign = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  const e = Math.floor(Math.log2(a));
  const mantissa = Math.round((a / 2 ** e - 1) * 1024);
  return sign | ((e + 15) << 10) | mantissa;
}

function valueInfo(name: string, channels: number | string, size: [number, number] = [0, 0]): ProtoWriter {
  const dims = new ProtoWriter();
  for (const d of [1, channels, size[0] || 'height', size[1] || 'width']) {
    const dim = new ProtoWriter();
    if (typeof d === 'number' && d > 0) dim.varint(1, d);
    else if (typeof d === 'string') dim.string(2, d);
    dims.message(1, dim);
  }
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, new ProtoWriter().varint(1, 1).message(2, dims)));
}

// ---------------------------------------------------------------- zip archives (stored entries)

/** A zip archive of stored (uncompressed) entries, as torch.save writes them. */
export function zipArchive(entries: Record<string, Uint8Array>): Uint8Array {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of Object.entries(entries)) {
    const fileName = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    locals.push(local, fileName, Buffer.from(data));
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(data.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(fileName.length, 28);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, fileName);
    offset += 30 + fileName.length + data.length;
  }
  const centralSize = central.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(central.length / 2, 8);
  end.writeUInt16LE(central.length / 2, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...central, end]);
}

function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
