// A restricted unpickler: exactly what torch.load(weights_only=True) allows (dicts, lists, tensors, storages); nothing is ever executed.

/** A Python tuple (a JS array is a list). */
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** A dict or collections.OrderedDict: insertion-ordered, keys are str/int/float/bool/None. */
export class PyDict {
  readonly map = new Map<string | number | boolean | null, PyValue>();
}

/** One of the few globals the pickle may name; anything else is refused when it is named. */
export class PyGlobal {
  constructor(readonly path: string) {}
}

/** A storage loaded through persistent_load: the caller's object. */
export class PyStorage {
  constructor(
    readonly key: string,
    /** torch dtype name: float32, float16, bfloat16, float64, int64, ..., or uint8 for an untyped storage. */
    readonly dtype: string,
    readonly numel: number,
  ) {}
}

/** torch._utils._rebuild_tensor_v2's result: a view of a storage. */
export class PyTensor {
  constructor(
    readonly storage: PyStorage,
    readonly offset: number,
    readonly size: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | PyTuple | PyDict | PyGlobal | PyStorage | PyTensor;

/** Refused or malformed content: the message says what, without location (the caller names the file). */
export class PickleError extends Error {}

/** Typed storages as torch.save names them, and the dtype each holds. */
export const STORAGE_DTYPES: Record<string, string> = {
  'torch.FloatStorage': 'float32',
  'torch.HalfStorage': 'float16',
  'torch.BFloat16Storage': 'bfloat16',
  'torch.DoubleStorage': 'float64',
  'torch.LongStorage': 'int64',
  'torch.IntStorage': 'int32',
  'torch.ShortStorage': 'int16',
  'torch.CharStorage': 'int8',
  'torch.ByteStorage': 'uint8',
  'torch.BoolStorage': 'bool',
  // Untyped storages count bytes; the tensor's dtype is not in the pickle then.
  'torch.UntypedStorage': 'uint8',
  'torch.storage.UntypedStorage': 'uint8',
};

const REBUILD_TENSOR = 'torch._utils._rebuild_tensor_v2';
const REBUILD_PARAMETER = 'torch._utils._rebuild_parameter';
const ORDERED_DICT = 'collections.OrderedDict';
const ALLOWED = new Set([ORDERED_DICT, REBUILD_TENSOR, REBUILD_PARAMETER, ...Object.keys(STORAGE_DTYPES)]);

const ALLOWED_TEXT = 'only dicts, lists, tensors and storages are allowed, as in torch.load(weights_only=True)';

/**
 * Unpickles `bytes` (protocol 2, as torch.save writes) with torch's weights-only rules: the opcodes of
 * its _weights_only_unpickler, the globals collections.OrderedDict, torch._utils._rebuild_tensor_v2 and
 * _rebuild_parameter and the storage classes; REDUCE only of those; BUILD only on an OrderedDict (its
 * attributes, such as _metadata, are dropped). Anything else stops with a PickleError before it is used.
 */
export function unpickle(bytes: Uint8Array, persistentLoad: (pid: PyValue) => PyStorage): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let at = 0;
  let stack: PyValue[] = [];
  const marks: PyValue[][] = [];
  const memo = new Map<number, PyValue>();

  const need = (n: number): number => {
    if (at + n > bytes.length) throw new PickleError('the pickle ends early (truncated file?)');
    const start = at;
    at += n;
    return start;
  };
  const pop = (): PyValue => {
    if (stack.length === 0) throw new PickleError('stack underflow (corrupt pickle)');
    return stack.pop()!;
  };
  const top = (): PyValue => {
    if (stack.length === 0) throw new PickleError('stack underflow (corrupt pickle)');
    return stack[stack.length - 1];
  };
  const popMark = (): PyValue[] => {
    const items = stack;
    const previous = marks.pop();
    if (!previous) throw new PickleError('no MARK for a collection (corrupt pickle)');
    stack = previous;
    return items;
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0) throw new PickleError('the pickle ends early (truncated file?)');
    const text = utf8.decode(bytes.subarray(at, end));
    at = end + 1;
    return text;
  };
  const setItem = (target: PyValue, key: PyValue, value: PyValue): void => {
    if (!(target instanceof PyDict)) throw new PickleError(`sets an item on ${describe(target)}; ${ALLOWED_TEXT}`);
    if (key !== null && typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'boolean') {
      throw new PickleError(`a dict key is ${describe(key)}; ${ALLOWED_TEXT}`);
    }
    target.map.set(key, value);
  };

  for (;;) {
    const op = bytes[need(1)];
    switch (op) {
      case 0x80: // PROTO
        need(1);
        break;
      case 0x2e: // STOP
        return pop();
      case 0x63: {
        // GLOBAL: refused here, when named, unless on the list (as torch does).
        const path = `${line()}.${line()}`;
        if (!ALLOWED.has(path)) throw new PickleError(`names ${path}; ${ALLOWED_TEXT}; nothing was executed`);
        stack.push(new PyGlobal(path));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        stack.push(reduce(fn, args));
        break;
      }
      case 0x81: // NEWOBJ
        throw new PickleError(`creates an object of ${describe(stack[stack.length - 2] ?? null)}; ${ALLOWED_TEXT}; nothing was executed`);
      case 0x62: {
        // BUILD
        pop();
        const inst = top();
        if (!(inst instanceof PyDict)) throw new PickleError(`sets the state of ${describe(inst)}; ${ALLOWED_TEXT}; nothing was executed`);
        break;
      }
      case 0x61: {
        // APPEND
        const item = pop();
        const list = top();
        if (!Array.isArray(list)) throw new PickleError(`appends to ${describe(list)}`);
        list.push(item);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const list = top();
        if (!Array.isArray(list)) throw new PickleError(`appends to ${describe(list)}`);
        // One at a time: push(...items) passes every item as an argument, past V8's stack for a long list.
        for (const item of items) list.push(item);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItem(top(), key, value);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        if (items.length % 2 !== 0) throw new PickleError('SETITEMS with an odd number of values (corrupt pickle)');
        const target = top();
        for (let i = 0; i < items.length; i += 2) setItem(target, items[i], items[i + 1]);
        break;
      }
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x74: {
        // TUPLE (popMark replaces `stack`, so it runs before `stack.push` is looked up)
        const items = popMark();
        stack.push(new PyTuple(items));
        break;
      }
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(new PyTuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(new PyTuple([pop(), b, c]));
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x8f: // EMPTY_SET (a list stands in: nothing cnnx reads is a set)
        stack.push([]);
        break;
      case 0x4a: // BININT
        stack.push(view.getInt32(need(4), true));
        break;
      case 0x4b: // BININT1
        stack.push(bytes[need(1)]);
        break;
      case 0x4d: // BININT2
        stack.push(view.getUint16(need(2), true));
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement of n bytes
        const n = bytes[need(1)];
        stack.push(decodeLong(bytes.subarray(need(n), at)));
        break;
      }
      case 0x47: // BINFLOAT: big-endian double
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x58: {
        // BINUNICODE
        const n = view.getUint32(need(4), true);
        stack.push(decodeText(utf8, bytes.subarray(need(n), at)));
        break;
      }
      case 0x55: {
        // SHORT_BINSTRING: bytes (torch.load's default encoding keeps them as bytes)
        const n = bytes[need(1)];
        stack.push(bytes.slice(need(n), at));
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistentLoad(pop()));
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const index = op === 0x68 ? bytes[need(1)] : view.getUint32(need(4), true);
        if (!memo.has(index)) throw new PickleError(`memo ${index} is read before it is written (corrupt pickle)`);
        stack.push(memo.get(index)!);
        break;
      }
      case 0x71: // BINPUT
      case 0x72: {
        // LONG_BINPUT
        const index = op === 0x71 ? bytes[need(1)] : view.getUint32(need(4), true);
        memo.set(index, top());
        break;
      }
      default:
        throw new PickleError(`opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at - 1} is not one torch.save writes for weights; ${ALLOWED_TEXT}`);
    }
  }
}

function decodeText(utf8: TextDecoder, raw: Uint8Array): string {
  try {
    return utf8.decode(raw);
  } catch {
    throw new PickleError('a string is not valid UTF-8 (corrupt pickle)');
  }
}

function decodeLong(raw: Uint8Array): number | bigint {
  if (raw.length === 0) return 0;
  let value = 0n;
  for (let i = raw.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(raw[i]);
  if (raw[raw.length - 1] & 0x80) value -= 1n << BigInt(8 * raw.length);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** REDUCE of an allowed callable: an OrderedDict, a tensor rebuilt on its storage, or a Parameter's data. */
function reduce(fn: PyValue, args: PyValue): PyValue {
  if (!(fn instanceof PyGlobal) || !(args instanceof PyTuple)) {
    throw new PickleError(`calls ${describe(fn)}; ${ALLOWED_TEXT}; nothing was executed`);
  }
  const a = args.items;
  switch (fn.path) {
    case ORDERED_DICT: {
      const dict = new PyDict();
      const pairs = a[0];
      if (a.length > 1 || (pairs !== undefined && !Array.isArray(pairs))) throw new PickleError('OrderedDict is called with unexpected arguments');
      for (const pair of pairs ?? []) {
        if (!(pair instanceof PyTuple) || pair.items.length !== 2) throw new PickleError('OrderedDict is called with items that are not pairs');
        const [k, v] = pair.items;
        if (k !== null && typeof k !== 'string' && typeof k !== 'number' && typeof k !== 'boolean') throw new PickleError(`a dict key is ${describe(k)}`);
        dict.map.set(k, v);
      }
      return dict;
    }
    case REBUILD_TENSOR: {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      const [storage, offset, size, stride] = a;
      if (!(storage instanceof PyStorage) || typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || !isIntTuple(size) || !isIntTuple(stride) || size.items.length !== stride.items.length) {
        throw new PickleError('_rebuild_tensor_v2 is called with arguments that are not (storage, offset, size, stride, ...)');
      }
      return new PyTensor(storage, offset, size.items as number[], stride.items as number[]);
    }
    case REBUILD_PARAMETER: {
      // (data, requires_grad, backward_hooks): a Parameter is its data here.
      if (!(a[0] instanceof PyTensor)) throw new PickleError('_rebuild_parameter is called without a tensor');
      return a[0];
    }
    default:
      throw new PickleError(`calls ${fn.path}; ${ALLOWED_TEXT}; nothing was executed`);
  }
}

function isIntTuple(v: PyValue | undefined): v is PyTuple {
  return v instanceof PyTuple && v.items.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0);
}

/** A short description of a value for messages. */
export function describe(v: PyValue): string {
  if (v === null) return 'None';
  if (v instanceof PyGlobal) return v.path;
  if (v instanceof PyTuple) return 'a tuple';
  if (v instanceof PyDict) return 'a dict';
  if (v instanceof PyTensor) return 'a tensor';
  if (v instanceof PyStorage) return 'a storage';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Uint8Array) return 'bytes';
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}
