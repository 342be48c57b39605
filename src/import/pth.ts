// Reads a PyTorch checkpoint (torch.save's zip container, since PyTorch 1.6) without Python: data.pkl unpickled under weights-only rules, storages from data/N.
import { CnnxError, type ErrorCode } from '../errors.js';
import { bfloat16ToFloat, halfToFloat } from '../io/half.js';
import { MAX_TENSOR_ELEMENTS } from '../io/limits.js';
import { readFailure, readHead } from '../io/read-file.js';
import { PickleError, PyDict, PyStorage, PyTensor, PyTuple, STORAGE_DTYPES, describe, unpickle, type PyValue } from './pickle.js';
import { openZip, type ZipArchive } from './zip.js';

/** A tensor of the checkpoint: its shape at once, its float32 values on demand. */
export interface CheckpointTensor {
  readonly shape: readonly number[];
  readonly dtype: string;
  load(): Promise<Float32Array>;
}

export interface PthFile {
  readonly tensors: ReadonlyMap<string, CheckpointTensor>;
  close(): void;
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, float16: 2, bfloat16: 2, float64: 8, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1 };

/** Opens `file` (messages name `display`) and reads its tensor dict; storages are read when a tensor is loaded. */
export async function readPth(file: string, display: string): Promise<PthFile> {
  const fail = (reason: string, code: ErrorCode = 'import.checkpoint'): CnnxError => new CnnxError(code, `${display}: ${reason}`);
  let head: Uint8Array;
  try {
    head = await readHead(file, 4);
  } catch (error) {
    throw new CnnxError(readFailure(error).code, `${display}: ${readFailure(error).reason}`);
  }
  if (!ZIP_MAGIC.every((b, i) => head[i] === b)) {
    if (head[0] === 0x80 && head[1] >= 2) {
      throw fail(
        'a checkpoint in the legacy torch.save format (before PyTorch 1.6), which cnnx does not read: re-save it with a recent PyTorch, ' +
          "torch.save(torch.load('old.pth'), 'new.pth') (or pass _use_new_zipfile_serialization=True)",
      );
    }
    throw fail('not a PyTorch checkpoint (torch.save writes a zip archive; this file does not start like one)', 'import.corrupt');
  }
  const zip = await openZip(file, display);
  try {
    const tensors = await readArchive(zip, fail);
    return { tensors, close: () => zip.close() };
  } catch (error) {
    zip.close();
    throw error;
  }
}

async function readArchive(zip: ZipArchive, fail: (reason: string, code?: ErrorCode) => CnnxError): Promise<Map<string, CheckpointTensor>> {
  const pkl = zip.names.filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkl.length !== 1) {
    if (zip.names.some((n) => /^[^/]+\/(constants\.pkl|code\/)/.test(n))) {
      throw fail('a TorchScript archive (torch.jit.save): save the weights with torch.save(model.state_dict(), f) and import those with --arch');
    }
    throw fail(pkl.length === 0 ? 'a zip archive without data.pkl: not a torch.save checkpoint' : 'a zip archive with several data.pkl files: not a torch.save checkpoint', 'import.corrupt');
  }
  const root = pkl[0].slice(0, -'data.pkl'.length);
  const byteorder = zip.names.includes(`${root}byteorder`) ? new TextDecoder().decode(await zip.read(`${root}byteorder`)).trim() : 'little';
  if (byteorder !== 'little') throw fail(`stores its tensors ${byteorder}-endian; cnnx reads little-endian checkpoints`);

  const storages = new Map<string, PyStorage>();
  let value: PyValue;
  try {
    value = unpickle(await zip.read(pkl[0]), (pid) => persistentStorage(pid, storages));
  } catch (error) {
    if (error instanceof PickleError) throw fail(`data.pkl ${error.message}`, 'import.pickle');
    throw error;
  }
  const dict = stateDict(value, fail);
  const cache = new Map<string, Promise<Uint8Array>>();
  const bytesOf = (storage: PyStorage): Promise<Uint8Array> => {
    let pending = cache.get(storage.key);
    if (!pending) {
      const name = `${root}data/${storage.key}`;
      if (!zip.names.includes(name)) throw fail(`storage ${storage.key} is missing from the archive (${name})`, 'import.corrupt');
      pending = zip.read(name);
      cache.set(storage.key, pending);
    }
    return pending;
  };

  const tensors = new Map<string, CheckpointTensor>();
  for (const [key, t] of dict) {
    tensors.set(key, {
      shape: t.size,
      dtype: t.storage.dtype,
      load: async () => tensorValues(key, t, await bytesOf(t.storage), fail),
    });
  }
  return tensors;
}

/** persistent_load of ('storage', storage_type, key, location, numel): the only persistent ids torch allows. */
function persistentStorage(pid: PyValue, storages: Map<string, PyStorage>): PyStorage {
  if (!(pid instanceof PyTuple) || pid.items.length < 5) throw new PickleError(`loads a persistent id that is ${describe(pid)}, not a storage`);
  const [kind, type, key, , numel] = pid.items;
  const kindText = kind instanceof Uint8Array ? new TextDecoder().decode(kind) : kind;
  if (kindText !== 'storage') throw new PickleError(`loads a persistent ${describe(kind)}; only storages are allowed`);
  const typeName = type !== null && typeof type === 'object' && 'path' in type ? (type as { path: string }).path : describe(type);
  const dtype = STORAGE_DTYPES[typeName];
  if (dtype === undefined || typeof key !== 'string' || typeof numel !== 'number') throw new PickleError(`loads a storage of ${typeName}, which cnnx does not know`);
  let storage = storages.get(key);
  if (!storage) storages.set(key, (storage = new PyStorage(key, dtype, numel)));
  return storage;
}

/**
 * The name -> tensor dict in the pickle: a state_dict itself, or one held under "state_dict" or
 * "model" (training checkpoints). Entries that are not tensors (an epoch counter...) are an error in a
 * state_dict, since the architecture would silently miss them.
 */
function stateDict(value: PyValue, fail: (reason: string, code?: ErrorCode) => CnnxError): Map<string, PyTensor> {
  if (!(value instanceof PyDict)) throw fail(`data.pkl holds ${describe(value)}, not a dict of tensors (a state_dict)`);
  const tensorsOf = (dict: PyDict): Map<string, PyTensor> | null => {
    const out = new Map<string, PyTensor>();
    for (const [k, v] of dict.map) {
      if (typeof k !== 'string' || !(v instanceof PyTensor)) return null;
      out.set(k, v);
    }
    return out.size > 0 ? out : null;
  };
  const direct = tensorsOf(value);
  if (direct) return direct;
  for (const key of ['state_dict', 'model_state_dict', 'model']) {
    const inner = value.map.get(key);
    if (inner instanceof PyDict) {
      const nested = tensorsOf(inner);
      if (nested) return nested;
    }
  }
  const keys = [...value.map.keys()].slice(0, 5).map((k) => JSON.stringify(k)).join(', ');
  throw fail(`data.pkl holds a dict that is not a state_dict (name -> tensor), nor holds one under "state_dict" or "model"; its keys: ${keys}`);
}

/** The tensor's values in C order as float32: contiguous views are sliced, other strides gathered. */
function tensorValues(name: string, t: PyTensor, bytes: Uint8Array, fail: (reason: string, code?: ErrorCode) => CnnxError): Float32Array {
  const { dtype } = t.storage;
  const size = BYTES_PER_ELEMENT[dtype];
  // An untyped storage (uint8) does not say what it holds; integers are no weights either way.
  if (!FLOAT_DTYPES.has(dtype)) throw fail(`tensor "${name}" holds ${dtype} values; cnnx reads float32, float16, bfloat16 and float64 weights`, 'import.tensor');
  const count = t.size.reduce((a, b) => a * b, 1);
  // Checked before anything is allocated: zero strides let a tiny storage claim any size.
  if (count > MAX_TENSOR_ELEMENTS) {
    throw fail(`tensor "${name}" has shape [${t.size.join(', ')}], ${count.toLocaleString('en-US')} values, over the limit of ${MAX_TENSOR_ELEMENTS.toLocaleString('en-US')} for one tensor`, 'spec.limit');
  }
  const elements = bytes.length / size;
  if (count > 0) {
    const last = t.offset + t.size.reduce((end, n, i) => end + (n - 1) * t.stride[i], 0);
    if (last >= elements) throw fail(`tensor "${name}" reaches element ${last} of a storage of ${elements}`, 'import.corrupt');
  }
  const read = READERS[dtype];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const contiguous = t.size.every((n, i) => n === 1 || t.stride[i] === t.size.slice(i + 1).reduce((a, b) => a * b, 1));
  if (contiguous && dtype === 'float32' && bytes.byteOffset % 4 === 0 && LITTLE_ENDIAN_HOST) {
    return new Float32Array(bytes.buffer, bytes.byteOffset + t.offset * 4, count);
  }
  const out = new Float32Array(count);
  if (contiguous) {
    for (let i = 0; i < count; i++) out[i] = read(view, (t.offset + i) * size);
    return out;
  }
  // Any strides (a transposed or sliced view saved as is): walk the index in C order.
  const index = new Array<number>(t.size.length).fill(0);
  for (let i = 0; i < count; i++) {
    let element = t.offset;
    for (let d = 0; d < index.length; d++) element += index[d] * t.stride[d];
    out[i] = read(view, element * size);
    for (let d = index.length - 1; d >= 0; d--) {
      if (++index[d] < t.size[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
const FLOAT_DTYPES = new Set(['float32', 'float16', 'bfloat16', 'float64']);
const READERS: Record<string, (v: DataView, at: number) => number> = {
  float32: (v, at) => v.getFloat32(at, true),
  float16: (v, at) => halfToFloat(v.getUint16(at, true)),
  bfloat16: (v, at) => bfloat16ToFloat(v.getUint16(at, true)),
  float64: (v, at) => v.getFloat64(at, true),
};
