// The readers under `cnnx import`: protobuf fields, the restricted unpickler, torch.save archives and checkpoints against PyTorch's files.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CnnxError } from '../../src/errors.js';
import { ProtoWriter } from '../../src/export/protobuf.js';
import { readCheckpoint } from '../../src/import/checkpoint.js';
import { PickleError, PyDict, PyStorage, PyTensor, unpickle } from '../../src/import/pickle.js';
import { ProtoError, ProtoMessage } from '../../src/import/protobuf.js';
import { readPth } from '../../src/import/pth.js';
import { parseSafetensors } from '../../src/io/safetensors.js';
import { errorOf, tempDir } from '../helpers.js';
import { fixture, zipArchive } from './helpers.js';

describe('protobuf reader', () => {
  it('reads what the writer writes: varints (negative int64 too), strings, floats, packed and unpacked ints, nested messages', () => {
    const inner = new ProtoWriter().string(1, 'conv').varint(2, 7);
    const bytes = new ProtoWriter()
      .varint(1, 300)
      .varint(2, -1)
      .varint(3, -9223372036854775807n)
      .varint(4, 2 ** 40 + 3)
      .string(5, 'héllo')
      .float(6, 1.5)
      .packedVarints(7, [1, 200, 70000])
      .varint(7, 5)
      .message(8, inner)
      .message(8, inner)
      .finish();
    const m = new ProtoMessage(bytes);
    expect(m.int(1)).toBe(300);
    expect(m.int(2)).toBe(-1);
    expect(m.int(3)).toBe(-9223372036854775807);
    expect(m.int(4)).toBe(2 ** 40 + 3);
    expect(m.string(5)).toBe('héllo');
    expect(m.float(6, 0)).toBe(1.5);
    expect(m.ints(7)).toEqual([1, 200, 70000, 5]);
    expect(m.messages(8).map((x) => [x.string(1), x.int(2)])).toEqual([
      ['conv', 7],
      ['conv', 7],
    ]);
    expect(m.int(99, 42)).toBe(42);
  });

  it('refuses truncated data with a ProtoError', () => {
    const bytes = new ProtoWriter().string(1, 'a long enough string').finish();
    expect(() => new ProtoMessage(bytes.subarray(0, bytes.length - 3))).toThrow(ProtoError);
    expect(() => new ProtoMessage(Uint8Array.of(0x08, 0x80))).toThrow(/truncated/);
    expect(() => new ProtoMessage(Uint8Array.of(0x0b))).toThrow(/wire type 3/);
  });
});

// ---------------------------------------------------------------- pickles

const te = new TextEncoder();
const bytesOf = (...parts: (string | number[])[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...te.encode(p)] : p)));
const binunicode = (s: string): (string | number[])[] => ['X', [s.length, 0, 0, 0], s];

describe('restricted unpickler', () => {
  const noStorage = (): never => {
    throw new Error('no persistent load expected');
  };

  it('builds an OrderedDict of tensors rebuilt on their storages', () => {
    // OrderedDict() ; {"w": _rebuild_tensor_v2(pid, 2, (2, 3), (3, 1), False, OrderedDict())}
    const pickle = bytesOf(
      [0x80, 2],
      'ccollections\nOrderedDict\n', 'q', [0], ')', 'R', '(',
      ...binunicode('w'),
      'ctorch._utils\n_rebuild_tensor_v2\n', '(',
      '(', ...binunicode('storage'), 'ctorch\nFloatStorage\n', ...binunicode('0'), ...binunicode('cpu'), 'K', [8], 't', 'Q',
      'K', [2], '(', 'K', [2], 'K', [3], 't', '(', 'K', [3], 'K', [1], 't', [0x89], 'h', [0], ')', 'R', 't', 'R',
      'u', '.',
    );
    const value = unpickle(pickle, (pid) => {
      expect(pid).toMatchObject({ items: ['storage', { path: 'torch.FloatStorage' }, '0', 'cpu', 8] });
      return new PyStorage('0', 'float32', 8);
    });
    expect(value).toBeInstanceOf(PyDict);
    const t = (value as PyDict).map.get('w') as PyTensor;
    expect(t).toBeInstanceOf(PyTensor);
    expect([t.offset, t.size, t.stride]).toEqual([2, [2, 3], [3, 1]]);
  });

  it('refuses a global that is not on the weights-only list, before anything uses it', () => {
    const evil = bytesOf([0x80, 2], 'cos\nsystem\n', ...binunicode('echo pwned'), [0x85], 'R', '.');
    expect(() => unpickle(evil, noStorage)).toThrow(PickleError);
    expect(() => unpickle(evil, noStorage)).toThrow('names os.system; only dicts, lists, tensors and storages are allowed, as in torch.load(weights_only=True); nothing was executed');
  });

  it('refuses REDUCE of a storage class, BUILD on a tensor-like value, NEWOBJ and unknown opcodes', () => {
    const reduceStorage = bytesOf([0x80, 2], 'ctorch\nFloatStorage\n', ')', 'R', '.');
    expect(() => unpickle(reduceStorage, noStorage)).toThrow(/calls torch.FloatStorage; .*nothing was executed/);
    const build = bytesOf([0x80, 2], ']', '}', 'b', '.');
    expect(() => unpickle(build, noStorage)).toThrow(/sets the state of a list/);
    const newobj = bytesOf([0x80, 2], 'ccollections\nOrderedDict\n', ')', [0x81], '.');
    expect(() => unpickle(newobj, noStorage)).toThrow(/creates an object of collections.OrderedDict/);
    expect(() => unpickle(bytesOf([0x80, 2], 'i'), noStorage)).toThrow(/opcode 0x69/);
    expect(() => unpickle(bytesOf([0x80, 2], 'X', [9, 0, 0, 0], 'ab'), noStorage)).toThrow(/truncated/);
  });
});

describe('restricted unpickler on hostile pickles', () => {
  const noStorage = (): never => {
    throw new Error('no persistent load expected');
  };
  const storage = (): PyStorage => new PyStorage('0', 'float32', 4);
  // {"w": _rebuild_tensor_v2(pid, OFFSET, (2,), (1,), False, OrderedDict())}, OFFSET's opcodes given.
  const tensorAt = (...offset: (string | number[])[]): Uint8Array =>
    bytesOf(
      [0x80, 2], '}', ...binunicode('w'),
      'ctorch._utils\n_rebuild_tensor_v2\n', '(',
      '(', ...binunicode('storage'), 'ctorch\nFloatStorage\n', ...binunicode('0'), ...binunicode('cpu'), 'K', [4], 't', 'Q',
      ...offset, 'K', [2], [0x85], 'K', [1], [0x85], [0x89], 'ccollections\nOrderedDict\n', ')', 'R', 't', 'R',
      's', '.',
    );

  it('appends a list of 300,000 items (APPENDS) without overflowing the stack', () => {
    const n = 300_000;
    const pickle = bytesOf([0x80, 2], ']', '(', 'N'.repeat(n), 'e', '.');
    expect(unpickle(pickle, noStorage)).toHaveLength(n);
  });

  it('refuses a tensor whose storage offset is negative or not an integer', () => {
    expect(((unpickle(tensorAt('K', [1]), storage) as PyDict).map.get('w') as PyTensor).offset).toBe(1);
    const negative = tensorAt('J', [0x60, 0x79, 0xfe, 0xff]);
    expect(() => unpickle(negative, storage)).toThrow(/_rebuild_tensor_v2 is called with arguments that are not/);
    const fraction = tensorAt('G', [0x3f, 0xf8, 0, 0, 0, 0, 0, 0]);
    expect(() => unpickle(fraction, storage)).toThrow(/_rebuild_tensor_v2 is called with arguments that are not/);
  });
});

// ---------------------------------------------------------------- torch.save archives

describe('PyTorch checkpoints', () => {
  it('reads every tensor of a torch.save file exactly as the safetensors copy PyTorch wrote of the same state_dict', async () => {
    const pth = await readPth(fixture('resnet18', 'model.pth'), 'model.pth');
    const st = parseSafetensors(readFileSync(fixture('resnet18', 'model.safetensors')), 'model.safetensors');
    try {
      expect([...pth.tensors.keys()]).toEqual(st.tensorNames());
      let compared = 0;
      for (const [name, t] of pth.tensors) {
        if (t.dtype !== 'float32') {
          expect(name).toMatch(/num_batches_tracked$/);
          continue;
        }
        const reference = st.tensor(name);
        expect(t.shape).toEqual(reference.shape);
        expect(await t.load()).toEqual(reference.data);
        compared++;
      }
      expect(compared).toBeGreaterThan(90);
    } finally {
      pth.close();
    }
  });

  it('widens float16 storages and gathers strided (permuted) tensors into C order', async () => {
    const plain = await readCheckpoint(fixture('vgg11_bn', 'model.pth'), 'a', { keep: (n) => !n.endsWith('num_batches_tracked') });
    const half = await readCheckpoint(fixture('vgg11_bn', 'model_f16_strided.pth'), 'b', { keep: (n) => !n.endsWith('num_batches_tracked') });
    const w = plain.tensors.get('features.0.weight')!;
    const h = half.tensors.get('features.0.weight')!;
    expect(h.shape).toEqual(w.shape);
    // Each float16 value is the float32 one rounded to 11 significant bits: never further than 2^-11 relative.
    for (let i = 0; i < w.data.length; i++) expect(Math.abs(h.data[i] - w.data[i])).toBeLessThanOrEqual(Math.abs(w.data[i]) * 2 ** -11 + 1e-7);
  });

  it('names the way out of the legacy format, TorchScript archives, zips without data.pkl and pickles that call globals', async () => {
    const dir = tempDir();
    const cases: [string, Uint8Array, RegExp][] = [
      ['legacy.pth', bytesOf([0x80, 2, 0x8a, 0x0a]), /legacy torch.save format \(before PyTorch 1.6\).*torch.save\(torch.load\('old.pth'\), 'new.pth'\).*_use_new_zipfile_serialization=True/],
      ['text.pth', te.encode('hello world'), /not a PyTorch checkpoint/],
      ['nodata.pth', zipArchive({ 'archive/version': te.encode('3\n') }), /a zip archive without data.pkl/],
      ['script.pth', zipArchive({ 'm/constants.pkl': bytesOf([0x80, 2, 0x29, 0x2e]), 'm/code/x.py': te.encode('') }), /TorchScript archive/],
      ['evil.pth', zipArchive({ 'archive/data.pkl': bytesOf([0x80, 2], 'cos\nsystem\n', ...binunicode('touch /tmp/cnnx-pwned'), [0x85], 'R', '.') }), /data.pkl names os.system; .*nothing was executed/],
      ['truncated.pth', readFileSync(fixture('alexnet', 'model.pth')).subarray(0, 3000), /not a valid zip archive/],
    ];
    for (const [name, bytes, message] of cases) {
      const file = path.join(dir, name);
      writeFileSync(file, bytes);
      const error = await readPth(file, name).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, name).toBeInstanceOf(CnnxError);
      expect((error as CnnxError).message, name).toMatch(message);
      expect((error as CnnxError).message.startsWith(`${name}: `), name).toBe(true);
      expect((error as CnnxError).message, name).not.toContain('\n');
    }
  });

  it('refuses a zero-stride tensor of a huge shape before allocating it', async () => {
    // {"w": _rebuild_tensor_v2(pid, 0, (2**26, 3, 7, 7), (0, 0, 0, 0), ...)} on a storage of one float.
    const int4 = (n: number): (string | number[])[] => ['J', [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff]];
    const pickle = bytesOf(
      [0x80, 2], '}', ...binunicode('w'),
      'ctorch._utils\n_rebuild_tensor_v2\n', '(',
      '(', ...binunicode('storage'), 'ctorch\nFloatStorage\n', ...binunicode('0'), ...binunicode('cpu'), 'K', [1], 't', 'Q',
      'K', [0], '(', ...int4(2 ** 26), 'K', [3], 'K', [7], 'K', [7], 't', '(', 'K', [0], 'K', [0], 'K', [0], 'K', [0], 't', [0x89], 'ccollections\nOrderedDict\n', ')', 'R', 't', 'R',
      's', '.',
    );
    const file = path.join(tempDir(), 'expanded.pth');
    writeFileSync(file, zipArchive({ 'archive/data.pkl': pickle, 'archive/data/0': new Uint8Array(4) }));
    const pth = await readPth(file, 'expanded.pth');
    try {
      const error = await errorOf(() => pth.tensors.get('w')!.load());
      expect(error).toBeInstanceOf(CnnxError);
      expect((error as CnnxError).exitCode).toBe(2);
      expect((error as CnnxError).message).toBe('expanded.pth: tensor "w" has shape [67108864, 3, 7, 7], 9,865,003,008 values, over the limit of 268,435,456 for one tensor');
    } finally {
      pth.close();
    }
  });

  it('refuses safetensors data_offsets past the end of the file before allocating them', async () => {
    const dir = tempDir();
    for (const end of [2 ** 33, 2 ** 60, 1000]) {
      const file = path.join(dir, `lying-${end}.safetensors`);
      const header = te.encode(JSON.stringify({ w: { dtype: 'F32', shape: [end / 4], data_offsets: [0, end] } }));
      const bytes = new Uint8Array(8 + header.length + 16);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
      bytes.set(header, 8);
      writeFileSync(file, bytes);
      const error = await errorOf(() => readCheckpoint(file, 'lying.safetensors', { keep: () => true }));
      expect(error, String(end)).toBeInstanceOf(CnnxError);
      expect((error as CnnxError).message, String(end)).toMatch(/^lying.safetensors: not a valid safetensors file: tensor "w": data_offsets \[0, \d+\] run past the end of the \d+-byte file \(16 bytes of tensor data\)$/);
    }
  });

  it('reads a safetensors checkpoint by ranges: only the kept tensors, I64 entries listed but never decoded', async () => {
    const st = await readCheckpoint(fixture('resnet18', 'model.safetensors'), 'model.safetensors', { keep: (n) => n.startsWith('layer1.0.') && !n.endsWith('num_batches_tracked') });
    expect(st.names).toContain('fc.weight');
    expect(st.names).toContain('bn1.num_batches_tracked');
    expect([...st.tensors.keys()].every((n) => n.startsWith('layer1.0.'))).toBe(true);
    const reference = parseSafetensors(readFileSync(fixture('resnet18', 'model.safetensors')), 'x').tensor('layer1.0.conv2.weight');
    expect(st.tensors.get('layer1.0.conv2.weight')).toEqual({ shape: reference.shape, data: reference.data });
  });

  it('drops the module. prefix of a DataParallel state_dict', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'dp.safetensors');
    const header = JSON.stringify({ 'module.conv.weight': { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }).padEnd(56, ' ');
    const bytes = new Uint8Array(8 + header.length + 4);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(te.encode(header), 8);
    new DataView(bytes.buffer).setFloat32(8 + header.length, 2.5, true);
    writeFileSync(file, bytes);
    const st = await readCheckpoint(file, 'dp.safetensors', { keep: () => true });
    expect(st.names).toEqual(['conv.weight']);
    expect(st.tensors.get('conv.weight')!.data[0]).toBe(2.5);
  });
});
