// NumPy .npy files: a reader for inputs and weights (any common dtype, widened to float32) and a float32 writer.

import { checkBytes, checkData, checkSizes, checkString } from '../arguments.js';
import { CnnxError } from '../errors.js';
import { isNpy, wrongFormatError } from './file-format.js';
import { halfToFloat } from './half.js';
import { readInputFile } from './read-file.js';
import { plural } from '../format.js';

export interface NpyArray {
  /** C-order shape; `[]` for a 0-d array (one element). */
  shape: number[];
  /** The elements in C order, widened or rounded to float32. */
  data: Float32Array;
  /** The dtype as the file spelled it, e.g. `<f4`. */
  descr: string;
}

/** `\x93NUMPY`: numpy's non-ASCII first byte catches files mangled by text-mode transfers. */
const MAGIC = Uint8Array.of(0x93, ...new TextEncoder().encode('NUMPY'));
const VERSION_BYTES = 2;
/** numpy aligns the data to this so files can be memory-mapped for any dtype. */
const ARRAY_ALIGN = 64;
/** numpy leaves room for shape[0] to grow to any 64-bit size, so appending can rewrite the header in place. */
const GROWTH_AXIS_MAX_DIGITS = 21;
const VERSION_1_MAX_HEADER = 0xffff;

const IS_LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

// ---------------------------------------------------------------- element types

interface ElementType {
  readonly size: number;
  read(view: DataView, offset: number, littleEndian: boolean): number;
}

/** Keyed by kind and size (`f4`); the byte-order character is checked separately. */
const ELEMENT_TYPES: Record<string, ElementType> = {
  f2: { size: 2, read: (view, at, le) => halfToFloat(view.getUint16(at, le)) },
  f4: { size: 4, read: (view, at, le) => view.getFloat32(at, le) },
  f8: { size: 8, read: (view, at, le) => view.getFloat64(at, le) },
  u1: { size: 1, read: (view, at) => view.getUint8(at) },
  i1: { size: 1, read: (view, at) => view.getInt8(at) },
  u2: { size: 2, read: (view, at, le) => view.getUint16(at, le) },
  i2: { size: 2, read: (view, at, le) => view.getInt16(at, le) },
  i4: { size: 4, read: (view, at, le) => view.getInt32(at, le) },
};

const SUPPORTED_DTYPES = "'<f4', '<f8', '<f2', '|u1', '|i1', '<u2', '<i2', '<i4' (or big-endian '>')";

interface Dtype {
  readonly element: ElementType;
  readonly littleEndian: boolean;
}

/** null when cnnx cannot read the dtype; '|' (no byte order) is only meaningful for one-byte types. */
function dtypeOf(descr: string): Dtype | null {
  const element = ELEMENT_TYPES[descr.slice(1)];
  const order = descr[0];
  if (!element) return null;
  if (element.size === 1) return '|<>'.includes(order) ? { element, littleEndian: true } : null;
  if (order === '<' || order === '>') return { element, littleEndian: order === '<' };
  return null;
}

// ---------------------------------------------------------------- header dict literal

type PyValue = string | number | boolean | null | PyValue[] | Map<string, PyValue>;

/** A literal word at a position (sticky: no copy of the rest of the header per value). */
const WORD = /True|False|None|-?\d+L?/y;
const MAX_HEADER_NESTING = 16;
/** numpy itself refuses headers over 10,000 bytes unless told otherwise; far beyond that is no array's header. */
const MAX_HEADER_BYTES = 2 ** 20;

/**
 * A parser for the small subset of Python literals numpy headers use: dicts, tuples, lists,
 * strings, integers, True/False/None. Hand-written writers vary in spacing, key order and
 * trailing commas, so all of those are accepted.
 */
class PyLiteralParser {
  private at = 0;
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly fail: (reason: string) => never,
  ) {}

  parseWhole(): PyValue {
    const value = this.value();
    this.skipSpace();
    if (this.at < this.text.length) this.unexpected();
    return value;
  }

  private value(): PyValue {
    this.skipSpace();
    const c = this.text[this.at];
    if (c === '{' || c === '(' || c === '[') {
      // Real headers nest two deep ({'shape': (2, 3)}); a deeper one would only overflow the stack.
      if (++this.depth > MAX_HEADER_NESTING) this.fail(`header nests more than ${MAX_HEADER_NESTING} deep`);
      const value = c === '{' ? this.dict() : this.sequence(c === '(' ? ')' : ']');
      this.depth--;
      return value;
    }
    if (c === "'" || c === '"') return this.string();
    WORD.lastIndex = this.at;
    const word = WORD.exec(this.text);
    if (!word) this.unexpected();
    this.at += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    // Python 2 numpy wrote long integers with an L suffix: (3L, 4L).
    return Number(word[0].replace('L', ''));
  }

  private dict(): Map<string, PyValue> {
    const entries = new Map<string, PyValue>();
    this.at++;
    while (!this.consume('}')) {
      const key = this.value();
      if (typeof key !== 'string') this.fail(`header dict has a non-string key ${formatPy(key)}`);
      if (!this.consume(':')) this.unexpected();
      entries.set(key, this.value());
      if (!this.consume(',') && !this.peek('}')) this.unexpected();
    }
    return entries;
  }

  private sequence(close: string): PyValue[] {
    const items: PyValue[] = [];
    this.at++;
    while (!this.consume(close)) {
      items.push(this.value());
      if (!this.consume(',') && !this.peek(close)) this.unexpected();
    }
    return items;
  }

  private string(): string {
    const quote = this.text[this.at];
    let result = '';
    for (this.at++; this.at < this.text.length; this.at++) {
      const c = this.text[this.at];
      if (c === quote) {
        this.at++;
        return result;
      }
      if (c === '\\') this.at++;
      result += this.text[this.at] ?? '';
    }
    return this.fail('header has an unterminated string');
  }

  private consume(token: string): boolean {
    if (!this.peek(token)) return false;
    this.at++;
    return true;
  }

  private peek(token: string): boolean {
    this.skipSpace();
    return this.text[this.at] === token;
  }

  private skipSpace(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at])) this.at++;
  }

  private unexpected(): never {
    if (this.at >= this.text.length) return this.fail('header dict ends early');
    return this.fail(`header is not a Python dict literal: unexpected ${JSON.stringify(this.text[this.at])} at column ${this.at + 1}`);
  }
}

/** Python's repr of a header value, for messages. */
function formatPy(value: PyValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number') return String(value);
  // Headers only hold tuples (lists appear only in structured dtypes, which are rejected before printing).
  if (Array.isArray(value)) return value.length === 1 ? `(${formatPy(value[0])},)` : `(${value.map(formatPy).join(', ')})`;
  return 'a dict';
}

/** A shape as Python prints the tuple: `()`, `(5,)`, `(2, 3, 4)`. numpy's header uses exactly this. */
function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

interface Header {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

const HEADER_KEYS = ['descr', 'fortran_order', 'shape'];

function interpretHeader(value: PyValue, fail: (reason: string) => never): Header {
  if (!(value instanceof Map)) return fail(`header is ${formatPy(value)}, not a dict`);
  for (const key of HEADER_KEYS) if (!value.has(key)) fail(`header has no '${key}'`);
  for (const key of value.keys()) if (!HEADER_KEYS.includes(key)) fail(`header has an unexpected key '${key}'`);

  const descr = value.get('descr')!;
  if (Array.isArray(descr)) fail('unsupported dtype: structured dtypes (a list of fields) are not supported');
  if (typeof descr !== 'string') fail(`descr is ${formatPy(descr)}, not a dtype string`);
  const fortranOrder = value.get('fortran_order')!;
  if (typeof fortranOrder !== 'boolean') fail(`fortran_order is ${formatPy(fortranOrder)}, not True or False`);
  const shape = value.get('shape')!;
  if (!Array.isArray(shape) || !shape.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)) {
    fail(`shape is ${formatPy(shape)}, not a tuple of non-negative integers`);
  }
  return { descr, fortranOrder, shape: shape as number[] };
}

// ---------------------------------------------------------------- reading

/** Where the header length is stored and how the header text is encoded, per format version. */
const VERSIONS: Record<string, { lengthBytes: 2 | 4; encoding: 'latin1' | 'utf-8' }> = {
  '1.0': { lengthBytes: 2, encoding: 'latin1' },
  '2.0': { lengthBytes: 4, encoding: 'latin1' },
  '3.0': { lengthBytes: 4, encoding: 'utf-8' },
};

/**
 * Parses a .npy file's bytes; every problem is a CnnxError 'npy.corrupt' naming `source`, or 'tensor.format'
 * when the bytes are another known format (hints name the file as `file`).
 */
export function parseNpy(bytes: Uint8Array, source: string, file: string = source): NpyArray {
  checkBytes(bytes, 'parseNpy: bytes', 'the bytes of a .npy file (a Uint8Array)');
  checkString(source, 'parseNpy: source', 'a name for messages (a string)');
  const fail = (reason: string): never => {
    throw new CnnxError('npy.corrupt', `${source}: not a valid .npy file: ${reason}`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  if (!isNpy(bytes)) {
    throw wrongFormatError(bytes, file, source, 'npy') ?? fail('bad magic (it does not start with \\x93NUMPY)');
  }
  if (bytes.length < MAGIC.length + VERSION_BYTES) fail(`truncated header: the file is only ${plural(bytes.length, 'byte')}`);
  const versionName = `${bytes[MAGIC.length]}.${bytes[MAGIC.length + 1]}`;
  const version = VERSIONS[versionName];
  if (!version) return fail(`unsupported format version ${versionName} (cnnx reads 1.0, 2.0 and 3.0)`);

  const lengthAt = MAGIC.length + VERSION_BYTES;
  const headerStart = lengthAt + version.lengthBytes;
  if (bytes.length < headerStart) fail(`truncated header: the file is only ${plural(bytes.length, 'byte')}`);
  const headerLength = version.lengthBytes === 2 ? view.getUint16(lengthAt, true) : view.getUint32(lengthAt, true);
  const dataStart = headerStart + headerLength;
  if (headerLength > MAX_HEADER_BYTES) fail(`header is ${plural(headerLength, 'byte')}, over the limit of ${MAX_HEADER_BYTES}`);
  if (bytes.length < dataStart) {
    fail(`truncated header: it is ${plural(headerLength, 'byte')} but the file ends ${plural(dataStart - bytes.length, 'byte')} short of it`);
  }

  const headerText = decodeHeaderText(bytes.subarray(headerStart, dataStart), version.encoding, fail);
  const header = interpretHeader(new PyLiteralParser(headerText, fail).parseWhole(), fail);
  const dtype = dtypeOf(header.descr) ?? fail(`unsupported dtype '${header.descr}' (cnnx reads ${SUPPORTED_DTYPES})`);

  const count = header.shape.reduce((product, n) => product * n, 1);
  const needed = count * dtype.element.size;
  const available = bytes.length - dataStart;
  if (!Number.isSafeInteger(needed)) fail(`shape ${formatShape(header.shape)} has too many elements`);
  if (needed !== available) {
    fail(`data is ${plural(available, 'byte')} but shape ${formatShape(header.shape)} with ${header.descr} needs ${needed}`);
  }

  const stored = decodeElements(view, dataStart, count, dtype);
  const data = header.fortranOrder ? fortranToC(stored, header.shape) : stored;
  return { shape: header.shape, data, descr: header.descr };
}

function decodeHeaderText(raw: Uint8Array, encoding: 'latin1' | 'utf-8', fail: (reason: string) => never): string {
  if (encoding === 'latin1') return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return fail('header is not valid UTF-8');
  }
}

function decodeElements(view: DataView, start: number, count: number, dtype: Dtype): Float32Array {
  const out = new Float32Array(count);
  if (dtype.element === ELEMENT_TYPES.f4 && dtype.littleEndian === IS_LITTLE_ENDIAN_HOST) {
    // Same layout as memory: a byte copy, which also sidesteps the 4-byte alignment typed arrays need.
    new Uint8Array(out.buffer).set(new Uint8Array(view.buffer, view.byteOffset + start, count * 4));
    return out;
  }
  const { element, littleEndian } = dtype;
  for (let i = 0, at = start; i < count; i++, at += element.size) out[i] = element.read(view, at, littleEndian);
  return out;
}

/** Reorders column-major elements (first index fastest) into row-major order. */
function fortranToC(stored: Float32Array, shape: readonly number[]): Float32Array {
  if (shape.length < 2 || stored.length === 0) return stored;
  const rank = shape.length;
  const fortranStride = new Array<number>(rank);
  for (let axis = 0, stride = 1; axis < rank; axis++) {
    fortranStride[axis] = stride;
    stride *= shape[axis];
  }
  const out = new Float32Array(stored.length);
  const index = new Array<number>(rank).fill(0);
  let from = 0;
  for (let to = 0; to < out.length; to++) {
    out[to] = stored[from];
    // Advance the C-order odometer (last axis fastest), keeping `from` in step.
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]++;
      from += fortranStride[axis];
      if (index[axis] < shape[axis]) break;
      from -= index[axis] * fortranStride[axis];
      index[axis] = 0;
    }
  }
  return out;
}

/** Reads and parses a .npy file; messages name `displayName`. */
export async function readNpyFile(path: string, displayName: string = path): Promise<NpyArray> {
  checkString(path, 'readNpyFile: path', 'a .npy file path (a string)');
  return parseNpy(await readInputFile(path, displayName), displayName, path);
}

// ---------------------------------------------------------------- writing

/** What encodeNpy writes: a shape of sizes and a Float32Array of as many elements. */
function checkArrayToWrite(shape: readonly number[], data: Float32Array): void {
  checkSizes(shape, 'encodeNpy: shape');
  checkData(data, 'encodeNpy: data', shape.reduce((product, n) => product * n, 1), formatShape(shape));
}

/**
 * The header numpy.save writes for a float32 C-order array of this shape, byte for byte:
 * magic, version, length, the dict literal with numpy's spare space, then spaces and a
 * newline so the data starts at a multiple of 64. Version 2.0 only when 1.0's 16-bit length overflows.
 */
export function npyHeader(shape: readonly number[]): Uint8Array {
  checkSizes(shape, 'npyHeader: shape');
  const spare = shape.length > 0 ? ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length)) : '';
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${formatShape(shape)}, }${spare}`;
  let lengthBytes = 2;
  let headerLength = paddedHeaderLength(dict.length, lengthBytes);
  if (headerLength > VERSION_1_MAX_HEADER) {
    lengthBytes = 4;
    headerLength = paddedHeaderLength(dict.length, lengthBytes);
  }

  const preamble = MAGIC.length + VERSION_BYTES + lengthBytes;
  const out = new Uint8Array(preamble + headerLength).fill(' '.charCodeAt(0));
  const view = new DataView(out.buffer);
  out.set(MAGIC);
  out[MAGIC.length] = lengthBytes === 2 ? 1 : 2;
  out[MAGIC.length + 1] = 0;
  if (lengthBytes === 2) view.setUint16(MAGIC.length + VERSION_BYTES, headerLength, true);
  else view.setUint32(MAGIC.length + VERSION_BYTES, headerLength, true);
  for (let i = 0; i < dict.length; i++) out[preamble + i] = dict.charCodeAt(i);
  out[out.length - 1] = '\n'.charCodeAt(0);
  return out;
}

/** Header length including padding and newline; numpy always pads with at least one space. */
function paddedHeaderLength(dictLength: number, lengthBytes: number): number {
  const unpadded = MAGIC.length + VERSION_BYTES + lengthBytes + dictLength + 1;
  return dictLength + ARRAY_ALIGN - (unpadded % ARRAY_ALIGN) + 1;
}

/** The byte offset of the first element in a file written by encodeNpy for this shape. */
export function npyDataOffset(shape: readonly number[]): number {
  return npyHeader(shape).length;
}

/** A complete float32 little-endian C-order .npy file. */
/**
 * The .npy file as [header, data] without copying the data on little-endian hosts, for writers
 * that take several buffers (writev): a batch writes one such file per image.
 */
export function encodeNpyChunks(shape: readonly number[], data: Float32Array): Uint8Array[] {
  if (!IS_LITTLE_ENDIAN_HOST) return [encodeNpy(shape, data)];
  checkArrayToWrite(shape, data);
  return [npyHeader(shape), new Uint8Array(data.buffer, data.byteOffset, data.byteLength)];
}

/** The bytes of float32 values as a .npy stores them (little-endian): a view on little-endian hosts, else a copy. */
export function float32LittleEndian(data: Float32Array): Uint8Array {
  if (IS_LITTLE_ENDIAN_HOST) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}

export function encodeNpy(shape: readonly number[], data: Float32Array): Uint8Array {
  checkArrayToWrite(shape, data);
  const header = npyHeader(shape);
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header);
  if (IS_LITTLE_ENDIAN_HOST) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length);
  } else {
    const view = new DataView(out.buffer);
    for (let i = 0; i < data.length; i++) view.setFloat32(header.length + i * 4, data[i], true);
  }
  return out;
}
