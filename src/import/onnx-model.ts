// Decodes an ONNX ModelProto into plain objects: nodes, attributes, initializers (decoded on demand), inputs, outputs.
import { closeSync, constants, openSync, readSync, fstatSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { CnnxError } from '../errors.js';
import { bfloat16ToFloat, halfToFloat } from '../io/half.js';
import { ProtoError, ProtoMessage } from './protobuf.js';

/** TensorProto.DataType values (onnx.proto). */
export const DTYPE = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, BFLOAT16: 16,
} as const;

const DTYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(DTYPE).map(([k, v]) => [v, k]));

/** AttributeProto.AttributeType values. */
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export type AttributeValue = number | string | number[] | string[] | OnnxTensor;

export interface OnnxNode {
  /** Position in graph.node, for messages ("node 57"). */
  readonly index: number;
  readonly name: string;
  readonly op: string;
  /** '' for the standard ai.onnx operators. */
  readonly domain: string;
  /** Tensor names; '' marks an omitted optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, AttributeValue>;
}

/** A graph input or output: element type and dimensions (a number, a symbolic name, or null when unknown). */
export interface ValueInfo {
  readonly name: string;
  readonly elemType: number;
  readonly dims: readonly (number | string | null)[] | null;
}

/** One TensorProto; its values are decoded only when asked for (weights can be gigabytes). */
export interface OnnxTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: number;
  /** The values as float32 (float16/bfloat16 widened, double rounded, integers converted). */
  floats(): Float32Array;
  /** The values as numbers (integer tensors, or floats). */
  numbers(): number[];
}

export interface OnnxModel {
  readonly file: string;
  /** ai.onnx opset version. */
  readonly opset: number;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: ReadonlyMap<string, OnnxTensor>;
  /** Graph inputs that are not initializers. */
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
}

/** Decodes a whole model; `file` names it in messages and locates external data files (relative to its folder). */
export function decodeOnnxModel(bytes: Uint8Array, file: string): OnnxModel {
  const corrupt = (reason: string): CnnxError => new CnnxError('import.corrupt', `${file}: not a valid ONNX model: ${reason}`);
  const external = new ExternalData(file, corrupt);
  try {
    const model = new ProtoMessage(bytes);
    const graph = model.message(7);
    if (!graph || model.int(1) === 0) throw corrupt('no ir_version or graph (is this an ONNX file?)');
    let opset = 0;
    for (const entry of model.messages(8)) {
      const domain = entry.string(1);
      if (domain === '' || domain === 'ai.onnx') opset = entry.int(2);
    }
    if (opset === 0) throw corrupt('no ai.onnx opset_import');

    const initializers = new Map<string, OnnxTensor>();
    for (const t of graph.messages(5)) {
      const tensor = decodeTensor(t, external, corrupt);
      initializers.set(tensor.name, tensor);
    }
    if (graph.all(15).length > 0) throw new CnnxError('import.unsupported', `${file}: sparse initializers are not supported`);
    const nodes = graph.messages(1).map((n, index) => decodeNode(n, index, external, corrupt));
    const inputs = graph.messages(11).map(decodeValueInfo).filter((v) => !initializers.has(v.name));
    const outputs = graph.messages(12).map(decodeValueInfo);
    return { file, opset, nodes, initializers, inputs, outputs };
  } catch (error) {
    if (error instanceof ProtoError) throw corrupt(`${error.message}`);
    throw error;
  }
}

function decodeNode(n: ProtoMessage, index: number, external: ExternalData, corrupt: (r: string) => CnnxError): OnnxNode {
  const attributes = new Map<string, AttributeValue>();
  for (const a of n.messages(5)) {
    const name = a.string(1);
    const value = decodeAttribute(a, external, corrupt);
    if (value !== undefined) attributes.set(name, value);
  }
  return { index, name: n.string(3), op: n.string(4), domain: n.string(7), inputs: n.strings(1), outputs: n.strings(2), attributes };
}

/** The attribute's value by its declared type (or, for old files without a type, by the field present). */
function decodeAttribute(a: ProtoMessage, external: ExternalData, corrupt: (r: string) => CnnxError): AttributeValue | undefined {
  let type = a.int(20);
  if (type === 0) {
    if (a.last(2)) type = ATTR.FLOAT;
    else if (a.last(3)) type = ATTR.INT;
    else if (a.last(4)) type = ATTR.STRING;
    else if (a.last(5)) type = ATTR.TENSOR;
    else if (a.all(7).length) type = ATTR.FLOATS;
    else if (a.all(8).length) type = ATTR.INTS;
  }
  switch (type) {
    case ATTR.FLOAT:
      return a.float(2, 0);
    case ATTR.INT:
      return a.int(3);
    case ATTR.STRING:
      return a.string(4);
    case ATTR.TENSOR: {
      const t = a.message(5);
      return t ? decodeTensor(t, external, corrupt) : undefined;
    }
    case ATTR.FLOATS:
      return Array.from(littleEndianFloats(a.fixedBytes(7)));
    case ATTR.INTS:
      return a.ints(8);
    case ATTR.STRINGS:
      return a.strings(9);
    default:
      // Graphs and other kinds: kept out; the ops cnnx maps never need them.
      return undefined;
  }
}

function decodeValueInfo(v: ProtoMessage): ValueInfo {
  const tensorType = v.message(2)?.message(1);
  const shape = tensorType?.message(2);
  const dims = shape
    ? shape.messages(1).map((d) => (d.last(1) ? d.int(1) : d.last(2) ? d.string(2) : null))
    : null;
  return { name: v.string(1), elemType: tensorType?.int(1) ?? 0, dims };
}

function decodeTensor(t: ProtoMessage, external: ExternalData, corrupt: (r: string) => CnnxError): OnnxTensor {
  const name = t.string(8);
  const dims = t.ints(1);
  const dataType = t.int(2);
  const count = dims.reduce((a, b) => a * b, 1);
  const what = `tensor "${name}"`;
  if (dims.some((d) => d < 0)) throw corrupt(`${what} has negative dimensions [${dims.join(', ')}]`);
  if (t.last(3)) throw corrupt(`${what} is segmented, which cnnx does not read`);

  const raw = (): Uint8Array | null => {
    if (t.int(14) === 1) return external.read(t, what);
    const f = t.last(9);
    return f ? f.bytes : null;
  };
  const checkCount = (n: number): void => {
    if (n !== count) throw corrupt(`${what} holds ${n} values but its dims [${dims.join(', ')}] need ${count}`);
  };
  const dtypeName = DTYPE_NAMES[dataType] ?? `data type ${dataType}`;

  const guard = <T>(decode: () => T): (() => T) => () => {
    try {
      return decode();
    } catch (error) {
      if (error instanceof ProtoError) throw corrupt(`${what}: ${error.message}`);
      throw error;
    }
  };
  const floats = guard((): Float32Array => {
    const bytes = raw();
    let out: Float32Array;
    if (bytes) {
      out = decodeRaw(bytes, dataType, what, dtypeName, corrupt);
    } else if (dataType === DTYPE.FLOAT) {
      out = littleEndianFloats(t.fixedBytes(4));
    } else if (dataType === DTYPE.DOUBLE) {
      const b = t.fixedBytes(10);
      out = decodeRaw(b, DTYPE.DOUBLE, what, dtypeName, corrupt);
    } else if (dataType === DTYPE.FLOAT16 || dataType === DTYPE.BFLOAT16) {
      // Typed 16-bit floats are stored as their bit patterns in int32_data.
      const widen = dataType === DTYPE.FLOAT16 ? halfToFloat : bfloat16ToFloat;
      out = Float32Array.from(t.ints(5), (bits) => widen(bits & 0xffff));
    } else {
      out = Float32Array.from(integers(t, dataType, null, what, dtypeName, corrupt));
    }
    checkCount(out.length);
    return out;
  });
  const numbers = guard((): number[] => {
    let out: number[];
    if (isFloatType(dataType)) out = Array.from(floats());
    else out = integers(t, dataType, raw(), what, dtypeName, corrupt);
    checkCount(out.length);
    return out;
  });
  return { name, dims, dataType, floats, numbers };
}

function isFloatType(dataType: number): boolean {
  return dataType === DTYPE.FLOAT || dataType === DTYPE.DOUBLE || dataType === DTYPE.FLOAT16 || dataType === DTYPE.BFLOAT16;
}

/** raw_data of a float or integer type, little-endian, as float32. */
function decodeRaw(bytes: Uint8Array, dataType: number, what: string, dtypeName: string, corrupt: (r: string) => CnnxError): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sized = (size: number): number => {
    if (bytes.length % size !== 0) throw corrupt(`${what}: ${bytes.length} bytes of raw_data is not a whole number of ${dtypeName} values`);
    return bytes.length / size;
  };
  switch (dataType) {
    case DTYPE.FLOAT:
      sized(4);
      return littleEndianFloats(bytes);
    case DTYPE.DOUBLE:
      return Float32Array.from({ length: sized(8) }, (_, i) => view.getFloat64(i * 8, true));
    case DTYPE.FLOAT16:
      return Float32Array.from({ length: sized(2) }, (_, i) => halfToFloat(view.getUint16(i * 2, true)));
    case DTYPE.BFLOAT16:
      return Float32Array.from({ length: sized(2) }, (_, i) => bfloat16ToFloat(view.getUint16(i * 2, true)));
    default:
      return Float32Array.from(rawIntegers(bytes, dataType, what, dtypeName, corrupt));
  }
}

function integers(t: ProtoMessage, dataType: number, bytes: Uint8Array | null, what: string, dtypeName: string, corrupt: (r: string) => CnnxError): number[] {
  if (bytes) return rawIntegers(bytes, dataType, what, dtypeName, corrupt);
  switch (dataType) {
    case DTYPE.INT64:
      return t.ints(7);
    case DTYPE.UINT64:
    case DTYPE.UINT32:
      return t.ints(11);
    case DTYPE.INT32:
    case DTYPE.INT16:
    case DTYPE.INT8:
    case DTYPE.UINT16:
    case DTYPE.UINT8:
    case DTYPE.BOOL:
      return t.ints(5);
    default:
      throw new CnnxError('import.unsupported', `${what} has data type ${dtypeName}, which cnnx does not read`);
  }
}

const INT_READERS: Record<number, [number, (v: DataView, at: number) => number]> = {
  [DTYPE.INT64]: [8, (v, at) => Number(v.getBigInt64(at, true))],
  [DTYPE.UINT64]: [8, (v, at) => Number(v.getBigUint64(at, true))],
  [DTYPE.INT32]: [4, (v, at) => v.getInt32(at, true)],
  [DTYPE.UINT32]: [4, (v, at) => v.getUint32(at, true)],
  [DTYPE.INT16]: [2, (v, at) => v.getInt16(at, true)],
  [DTYPE.UINT16]: [2, (v, at) => v.getUint16(at, true)],
  [DTYPE.INT8]: [1, (v, at) => v.getInt8(at)],
  [DTYPE.UINT8]: [1, (v, at) => v.getUint8(at)],
  [DTYPE.BOOL]: [1, (v, at) => v.getUint8(at)],
};

function rawIntegers(bytes: Uint8Array, dataType: number, what: string, dtypeName: string, corrupt: (r: string) => CnnxError): number[] {
  const reader = INT_READERS[dataType];
  if (!reader) throw new CnnxError('import.unsupported', `${what} has data type ${dtypeName}, which cnnx does not read`);
  const [size, get] = reader;
  if (bytes.length % size !== 0) throw corrupt(`${what}: ${bytes.length} bytes of raw_data is not a whole number of ${dtypeName} values`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / size }, (_, i) => get(view, i * size));
}

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Little-endian float32 bytes as a Float32Array: a view when aligned (no copy), else one copy. */
function littleEndianFloats(bytes: Uint8Array): Float32Array {
  if (bytes.length % 4 !== 0) throw new ProtoError(`${bytes.length} bytes of float data is not a whole number of floats`);
  if (LITTLE_ENDIAN_HOST) {
    if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    // new Uint8Array(view) copies (a Buffer's slice() would not).
    return new Float32Array(new Uint8Array(bytes).buffer);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

/**
 * Tensors stored outside the model (data_location EXTERNAL): `location` is relative to the model's
 * folder and may not leave it (as the ONNX checker requires); `offset`/`length` select a byte range.
 */
class ExternalData {
  private readonly dir: string;
  /** The folder with its links resolved, once: what a location's real path must stay inside. */
  private realDir: string | undefined;

  constructor(
    private readonly file: string,
    private readonly corrupt: (reason: string) => CnnxError,
  ) {
    this.dir = path.dirname(path.resolve(file));
  }

  read(t: ProtoMessage, what: string): Uint8Array {
    const entries = new Map(t.messages(13).map((e) => [e.string(1), e.string(2)]));
    const location = entries.get('location');
    if (!location) throw this.corrupt(`${what} is stored externally but names no location`);
    const resolved = path.resolve(this.dir, location);
    if (path.isAbsolute(location) || outside(this.dir, resolved)) {
      throw this.corrupt(`${what}: external data location "${location}" is outside the model's folder`);
    }
    const offset = parseCount(entries.get('offset') ?? '0');
    const requested = entries.has('length') ? parseCount(entries.get('length')!) : null;
    if (offset === null || (entries.has('length') && requested === null)) {
      throw this.corrupt(`${what}: external data offset/length must be non-negative integers`);
    }
    let fd: number;
    try {
      // A symlink may not lead out of the folder either.
      const real = realpathSync(resolved);
      if (outside((this.realDir ??= realpathSync(this.dir)), real)) {
        throw this.corrupt(`${what}: external data location "${location}" is a link to ${real}, outside the model's folder`);
      }
      // Without blocking, as openRegularFile (io/read-file.ts) opens: a FIFO with no writer would block open() forever.
      fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (error) {
      if (error instanceof CnnxError) throw error;
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new CnnxError('import.external', `${this.file}: ${what}: cannot read its external data file ${location} (${code})`);
    }
    try {
      // fstat looks at what was opened: only a regular file is read.
      const info = fstatSync(fd);
      if (!info.isFile()) throw new CnnxError('import.external', `${this.file}: ${what}: external data ${location} is not a regular file`);
      const size = info.size;
      const length = requested ?? Math.max(0, size - offset);
      if (offset + length > size) {
        throw new CnnxError('import.external', `${this.file}: ${what}: external data ${location} is ${size} bytes, too short for offset ${offset} + length ${length}`);
      }
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, out, done, length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
      return out;
    } finally {
      closeSync(fd);
    }
  }
}

function parseCount(text: string): number | null {
  return /^\d+$/.test(text) ? Number(text) : null;
}

/** Whether `target` (absolute) lies outside folder `base`. */
function outside(base: string, target: string): boolean {
  return path.relative(base, target).split(path.sep).includes('..');
}
