// safetensors files: a validating reader (F32, F16, BF16, F64 widened to float32) and a float32 writer.

import { argumentError, checkArray, checkBytes, checkData, checkSizes, checkString, isObject, unexpected } from '../arguments.js';
import { CnnxError, describeValue } from '../errors.js';
import { didYouMean } from '../network/suggest.js';
import { wrongFormatError } from './file-format.js';
import { bfloat16ToFloat, halfToFloat } from './half.js';
import { readInputFile } from './read-file.js';
import { MAX_HEADER_DEPTH } from './limits.js';
import { tooDeepAt } from '../network/json-depth.js';
import { plural } from '../format.js';

export interface SafetensorsTensor {
  shape: number[];
  /** The dtype as stored, e.g. `BF16`; the data is float32 whatever it was. */
  dtype: string;
  data: Float32Array;
}

export interface SafetensorsFile {
  /** Tensor names in the order their data appears in the file. */
  tensorNames(): string[];
  has(name: string): boolean;
  /** The decoded tensor; a CnnxError 'tensor.missing' (with a suggestion) when there is none by that name. */
  tensor(name: string): SafetensorsTensor;
  /** The `__metadata__` strings, empty when the file has none. */
  readonly metadata: Record<string, string>;
}

const LENGTH_BYTES = 8;
/** The reference implementation refuses larger headers, so no valid file has one. */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';
/** The reference writer pads the header so the buffer starts 8-byte aligned. */
const HEADER_ALIGN = 8;
const SPACE = ' '.charCodeAt(0);

const IS_LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Bits per element of every dtype the format defines, so offsets can be checked even for dtypes cnnx cannot decode. */
const DTYPE_BITS: Record<string, number> = {
  BOOL: 8, U8: 8, I8: 8, F8_E4M3: 8, F8_E5M2: 8, F8_E8M0: 8, F8_E4M3FNUZ: 8, F8_E5M2FNUZ: 8,
  I16: 16, U16: 16, F16: 16, BF16: 16,
  I32: 32, U32: 32, F32: 32,
  I64: 64, U64: 64, F64: 64, C64: 64,
  F6_E2M3: 6, F6_E3M2: 6, F4: 4,
};

type Decoder = (view: DataView, start: number, out: Float32Array) => void;

const DECODERS: Record<string, Decoder> = {
  F32: (view, start, out) => {
    if (IS_LITTLE_ENDIAN_HOST) {
      // A byte copy: same layout as memory, and the data need not be 4-byte aligned in the file.
      new Uint8Array(out.buffer).set(new Uint8Array(view.buffer, view.byteOffset + start, out.length * 4));
    } else {
      for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(start + i * 4, true);
    }
  },
  F16: (view, start, out) => {
    for (let i = 0; i < out.length; i++) out[i] = halfToFloat(view.getUint16(start + i * 2, true));
  },
  BF16: (view, start, out) => {
    for (let i = 0; i < out.length; i++) out[i] = bfloat16ToFloat(view.getUint16(start + i * 2, true));
  },
  F64: (view, start, out) => {
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(start + i * 8, true);
  },
};

const READABLE_DTYPES = 'F32, F16, BF16 and F64';

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

type Fail = (reason: string) => never;

// ---------------------------------------------------------------- reading

/**
 * Parses and validates a whole safetensors file; problems are CnnxError 'safetensors.corrupt' naming `source`,
 * or 'tensor.format' when the bytes are another known format (hints name the file as `file`).
 */
export function parseSafetensors(bytes: Uint8Array, source: string, file: string = source): SafetensorsFile {
  checkBytes(bytes, 'parseSafetensors: bytes', 'the bytes of a safetensors file (a Uint8Array)');
  checkString(source, 'parseSafetensors: source', 'a name for messages (a string)');
  const fail: Fail = (reason) => {
    throw new CnnxError('safetensors.corrupt', `${source}: not a valid safetensors file: ${reason}`);
  };
  const wrong = wrongFormatError(bytes, file, source, 'safetensors');
  if (wrong) throw wrong;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < LENGTH_BYTES) fail(`the file is only ${plural(bytes.length, 'byte')}, too short for the 8-byte header length`);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) fail(`header length ${declared} is over the limit of ${MAX_HEADER_BYTES} bytes`);
  const headerLength = Number(declared);
  const bufferStart = LENGTH_BYTES + headerLength;
  if (bufferStart > bytes.length) fail(`header length ${headerLength} runs past the end of the ${bytes.length}-byte file`);

  const { header, keys } = parseHeaderJson(bytes.subarray(LENGTH_BYTES, bufferStart), fail);
  const metadata = readMetadata(header[METADATA_KEY], fail);
  const entries = keys.filter((name) => name !== METADATA_KEY).map((name) => readEntry(name, header[name], fail));
  const bufferLength = bytes.length - bufferStart;
  checkLayout(entries, bufferLength, fail);

  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  const names = entries.map((entry) => entry.name);
  const dataView = new DataView(bytes.buffer, bytes.byteOffset + bufferStart, bufferLength);

  return {
    metadata,
    tensorNames: () => [...names],
    has: (name) => byName.has(name),
    tensor(name) {
      const entry = byName.get(name);
      if (!entry) throw missingTensor(source, name, names);
      const decode = DECODERS[entry.dtype];
      if (!decode) {
        throw new CnnxError('tensor.dtype', `${source}: tensor "${name}" has dtype ${entry.dtype}; cnnx reads ${READABLE_DTYPES}`);
      }
      const data = new Float32Array(elementCount(entry.shape));
      decode(dataView, entry.begin, data);
      return { shape: [...entry.shape], dtype: entry.dtype, data };
    },
  };
}

function parseHeaderJson(raw: Uint8Array, fail: Fail): { header: Record<string, unknown>; keys: string[] } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return fail('header is not valid UTF-8');
  }
  if (tooDeepAt(text, MAX_HEADER_DEPTH) >= 0) return fail(`header JSON is nested more than ${MAX_HEADER_DEPTH} deep`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    return fail('header is not valid JSON');
  }
  if (!isPlainObject(header)) return fail(`header is ${describeValue(header)}, not a JSON object`);
  const keys = new Set(topLevelKeys(text));
  // The scan is only for order; if it ever disagrees with JSON.parse, JSON.parse's key set wins.
  return { header, keys: keys.size === Object.keys(header).length ? [...keys] : Object.keys(header) };
}

/**
 * The keys of a valid JSON object in the order the text has them. JSON.parse moves integer-like
 * keys ("0") first, which would misorder tensors that share an offset (zero-size ones).
 */
function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let at = 0; at < json.length; at++) {
    const c = json[at];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === '"') {
      const start = at;
      for (at++; json[at] !== '"'; at++) if (json[at] === '\\') at++;
      // At depth 1 the only strings are keys and string values; a key is followed by a colon.
      let next = at + 1;
      while (/\s/.test(json[next] ?? '')) next++;
      if (depth === 1 && json[next] === ':') keys.push(JSON.parse(json.slice(start, at + 1)) as string);
    }
  }
  return keys;
}

function readMetadata(value: unknown, fail: Fail): Record<string, string> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) return fail(`__metadata__ is ${describeValue(value)}, not an object`);
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') fail(`__metadata__.${key} is ${describeValue(item)}, not a string`);
  }
  return { ...(value as Record<string, string>) };
}

function readEntry(name: string, value: unknown, fail: Fail): Entry {
  const where = `tensor "${name}"`;
  if (!isPlainObject(value)) return fail(`${where} is ${describeValue(value)}, not an object`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') return fail(`${where}: dtype is ${describeValue(dtype)}, not a string`);
  const bits = DTYPE_BITS[dtype];
  if (bits === undefined) return fail(`${where}: unknown dtype ${describeValue(dtype)}`);
  if (!isCountList(shape)) return fail(`${where}: shape is ${describeValue(shape)}, not a list of non-negative integers`);
  if (!isCountList(offsets) || offsets.length !== 2 || offsets[0] > offsets[1]) {
    return fail(`${where}: data_offsets is ${describeValue(offsets)}, not [begin, end] with begin <= end`);
  }
  const [begin, end] = offsets;
  const neededBits = elementCount(shape) * bits;
  if (neededBits !== (end - begin) * 8) {
    fail(`${where}: data_offsets [${begin}, ${end}] hold ${plural(end - begin, 'byte')} but shape [${shape.join(', ')}] of ${dtype} needs ${neededBits / 8}`);
  }
  return { name, dtype, shape, begin, end };
}

/**
 * Like the reference reader: tensors must tile the buffer exactly, in offset order, with no gaps
 * or overlaps. Sorts `entries` into that order (stable, so zero-size ties keep header order).
 */
function checkLayout(entries: Entry[], bufferLength: number, fail: Fail): void {
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const entry of entries) {
    if (entry.begin !== covered) {
      const problem = entry.begin > covered ? 'a gap' : 'an overlap';
      fail(`tensor "${entry.name}" starts at buffer byte ${entry.begin} but the data before it ends at ${covered} (${problem})`);
    }
    covered = entry.end;
  }
  if (covered !== bufferLength) {
    const problem = covered > bufferLength ? 'the file is truncated' : 'trailing bytes';
    fail(`the tensors cover ${plural(covered, 'byte')} but the buffer is ${plural(bufferLength, 'byte')} (${problem})`);
  }
}

function missingTensor(source: string, name: string, names: readonly string[]): CnnxError {
  const suggestion = didYouMean(name, names);
  let listing = '';
  if (!suggestion) {
    const shown = names.slice(0, 5).map((n) => `"${n}"`).join(', ');
    const more = names.length > 5 ? ` and ${names.length - 5} more` : '';
    listing = names.length === 0 ? '; the file holds no tensors' : `; it holds ${shown}${more}`;
  }
  return new CnnxError('tensor.missing', `${source}: no tensor "${name}"${suggestion}${listing}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCountList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((n) => Number.isSafeInteger(n) && n >= 0);
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, n) => product * n, 1);
}

/** Reads and parses a safetensors file; messages name `displayName`. */
export async function readSafetensorsFile(path: string, displayName: string = path): Promise<SafetensorsFile> {
  checkString(path, 'readSafetensorsFile: path', 'a safetensors file path (a string)');
  return parseSafetensors(await readInputFile(path, displayName), displayName, path);
}

// ---------------------------------------------------------------- writing

export interface TensorToWrite {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

/**
 * A complete safetensors file of F32 tensors, stored in the given order, with `__metadata__`.
 * The header is built as text so the key order is exactly metadata first, then the tensors
 * (a JS object would move integer-like names such as "0" to the front).
 */
export function encodeSafetensors(tensors: readonly TensorToWrite[], metadata: Record<string, string> = {}): Uint8Array {
  const chunks = encodeSafetensorsChunks(tensors, metadata);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * The same file as consecutive chunks: the header, then each tensor's bytes (views of the tensors'
 * own memory on little-endian hosts), for writing a large file without assembling it in memory.
 */
export function encodeSafetensorsChunks(tensors: readonly TensorToWrite[], metadata: Record<string, string> = {}): Uint8Array[] {
  checkTensorsToWrite(tensors, metadata);
  const fields = [`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`];
  let offset = 0;
  for (const { name, shape, data } of tensors) {
    const entry = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
    fields.push(`${JSON.stringify(name)}:${JSON.stringify(entry)}`);
    offset += data.byteLength;
  }

  const json = new TextEncoder().encode(`{${fields.join(',')}}`);
  const headerLength = Math.ceil(json.length / HEADER_ALIGN) * HEADER_ALIGN;
  const head = new Uint8Array(LENGTH_BYTES + headerLength);
  new DataView(head.buffer).setBigUint64(0, BigInt(headerLength), true);
  head.set(json, LENGTH_BYTES);
  head.fill(SPACE, LENGTH_BYTES + json.length);
  return [head, ...tensors.map(({ data }) => float32LE(data))];
}

/** encodeSafetensors' arguments: tensors of distinct names, each a Float32Array of its shape's size, and string metadata. */
function checkTensorsToWrite(tensors: readonly TensorToWrite[], metadata: Record<string, string>): void {
  const seen = new Set<string>([METADATA_KEY]);
  checkArray(tensors, 'encodeSafetensors: tensors', 'an array of tensors { name, shape, data }', (t, at) => {
    if (!isObject(t)) throw unexpected(at, 'a tensor { name, shape, data }', t);
    checkString(t.name, `${at}.name`, 'a tensor name (a string)');
    if (seen.has(t.name)) throw argumentError(`${at}.name: ${JSON.stringify(t.name)} is ${t.name === METADATA_KEY ? 'reserved for the metadata' : 'the name of an earlier tensor'}`);
    seen.add(t.name);
    checkSizes(t.shape, `${at}.shape`);
    checkData(t.data, `${at}.data`, elementCount(t.shape), `[${t.shape.join(', ')}]`);
  });
  if (!isObject(metadata)) throw unexpected('encodeSafetensors: metadata', 'an object of strings', metadata);
  for (const [key, value] of Object.entries(metadata)) checkString(value, `encodeSafetensors: metadata[${JSON.stringify(key)}]`, 'a string');
}

function float32LE(data: Float32Array): Uint8Array {
  if (IS_LITTLE_ENDIAN_HOST) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}
