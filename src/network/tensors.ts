// Resolves a weight-like field: nested JSON array, {"npy"}, {"safetensors", "tensor"} or {"random": {"seed"}}.
import path from 'node:path';
import { CnnxError, describeValue, specError } from '../errors.js';
import { readNpyFile } from '../io/npy.js';
import { readSafetensorsFile, type SafetensorsFile } from '../io/safetensors.js';
import { isPlainObject, ObjectReader } from './reader.js';
import { formatBytes, plural } from '../format.js';
import { MAX_TENSOR_ELEMENTS } from '../io/limits.js';

/** Loaded safetensors files, shared by all layers of one spec so a file is read once. */
export type SafetensorsCache = Map<string, Promise<SafetensorsFile>>;

export interface TensorRequest {
  /** The spec key (`weight`, `running_mean`...). */
  readonly key: string;
  /** The shape the layer needs, e.g. [out, in/groups, kh, kw]. */
  readonly shape: readonly number[];
  /** What each dimension is, for messages: "out_channels, in_channels/groups, kh, kw". */
  readonly dims: string;
  /** fan_in for {"random"}: values are uniform in +-1/sqrt(fan_in), PyTorch's default init bound. */
  readonly fanIn: number;
}

/** Loads the tensor at `r[request.key]` and checks its shape; throws a CnnxError naming the JSON path or file. */
export async function loadTensor(r: ObjectReader, request: TensorRequest, dir: string, cache: SafetensorsCache): Promise<Float32Array> {
  const raw = r.get(request.key);
  // Before anything is read or made: a tensor no engine could hold (out_channels 1e9, kernel_size 1e5).
  const count = request.shape.reduce((a, b) => a * b, 1);
  if (count > MAX_TENSOR_ELEMENTS) {
    throw r.error(request.key, `[${request.shape.join(', ')}] is ${count.toLocaleString('en-US')} values (${formatBytes(count * 4)} of float32), over the limit of ${MAX_TENSOR_ELEMENTS.toLocaleString('en-US')} for one tensor`, 'spec.limit');
  }
  const { shape, data, origin } = await readSource(r, request, raw, dir, cache);
  const want = request.shape;
  const sameShape = shape.length === want.length && shape.every((n, i) => n === want[i]);
  if (!sameShape) {
    throw r.error(
      request.key,
      `expected shape [${want.join(', ')}] (${request.dims}), got [${shape.join(', ')}]${origin}`,
      'spec.shape',
    );
  }
  return data;
}

interface Loaded {
  readonly shape: readonly number[];
  readonly data: Float32Array;
  /** ` from w.npy` for messages. */
  readonly origin: string;
}

async function readSource(r: ObjectReader, request: TensorRequest, raw: unknown, dir: string, cache: SafetensorsCache): Promise<Loaded> {
  if (Array.isArray(raw) || typeof raw === 'number') return readNested(r, request.key, raw);
  if (!isPlainObject(raw)) {
    throw r.error(request.key, `expected a nested array, {"npy": FILE}, {"safetensors": FILE, "tensor": NAME} or {"random": {"seed": N}}, got ${describeValue(raw)}`, 'spec.type');
  }
  const source = new ObjectReader(r.file, r.pathOf(request.key), raw);
  if (source.has('npy')) {
    const file = source.string('npy');
    source.finish();
    const resolved = path.resolve(dir, file);
    const array = await inSpec(r, source.where, () => readNpyFile(resolved, shownPath(file, resolved)));
    return { shape: array.shape, data: array.data, origin: ` from ${file}` };
  }
  if (source.has('safetensors')) {
    const file = source.string('safetensors');
    const name = source.string('tensor');
    source.finish();
    const resolved = path.resolve(dir, file);
    let pending = cache.get(resolved);
    if (!pending) {
      pending = readSafetensorsFile(resolved, shownPath(file, resolved));
      cache.set(resolved, pending);
    }
    const loaded = pending;
    const t = await inSpec(r, source.where, async () => (await loaded).tensor(name));
    return { shape: t.shape, data: t.data, origin: ` from ${file}:${name}` };
  }
  if (source.has('random')) {
    const options = source.get('random');
    if (!isPlainObject(options)) throw source.expected('random', '{"seed": N}');
    const random = new ObjectReader(r.file, source.pathOf('random'), options);
    const seed = random.int('seed', { min: 0, max: 2 ** 32 - 1 });
    random.finish();
    source.finish();
    return { shape: request.shape, data: uniformTensor(request.shape, request.fanIn, seed), origin: '' };
  }
  source.finish(['npy', 'safetensors', 'random']);
  throw r.error(request.key, 'expected one of the keys "npy", "safetensors" or "random"', 'spec.type');
}

/** `w.npy (resolved to /models/w.npy)`: the path as the spec writes it, and where it led when that differs. */
function shownPath(file: string, resolved: string): string {
  // A control character (a NUL byte, a line break) would garble the one-line message: quote it escaped.
  const show = (p: string) => (/[\u0000-\u001f\u007f]/.test(p) ? JSON.stringify(p) : p);
  return file === resolved ? show(file) : `${show(file)} (resolved to ${show(resolved)})`;
}

/** Runs `read`, placing its errors at `where` in the spec: `net.json: layers[0] (conv2d "conv1").weight: w.npy ...: no such file`. */
async function inSpec<T>(r: ObjectReader, where: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof CnnxError) throw specError(error.code, r.file, where, error.message);
    throw error;
  }
}

function readNested(r: ObjectReader, key: string, raw: unknown): Loaded {
  const shape: number[] = [];
  for (let level: unknown = raw; Array.isArray(level); level = level[0]) shape.push(level.length);
  const values: number[] = [];
  const walk = (value: unknown, depth: number, where: string): void => {
    if (depth === shape.length) {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw r.error(key, `${where}: expected a number, got ${describeValue(value)}`, 'spec.type');
      values.push(value);
      return;
    }
    if (!Array.isArray(value) || value.length !== shape[depth]) {
      throw r.error(key, `${where}: ragged array: expected ${plural(shape[depth], 'element')} at depth ${depth}, got ${describeValue(value)}`, 'spec.shape');
    }
    value.forEach((v, i) => walk(v, depth + 1, `${where}[${i}]`));
  };
  walk(raw, 0, '');
  return { shape, data: Float32Array.from(values), origin: ' from the inline array' };
}

/**
 * Deterministic uniform values in [-1/sqrt(fanIn), 1/sqrt(fanIn)) from a 32-bit seed (splitmix32).
 * The bound is PyTorch's default for conv weights and biases; the sequence is cnnx's own.
 */
export function uniformTensor(shape: readonly number[], fanIn: number, seed: number): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let state = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    out[i] = (z / 2 ** 32) * 2 * bound - bound;
  }
  return out;
}
