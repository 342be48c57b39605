// Seeded generators of hostile inputs for the fuzz suite: mutated specs, .npy and safetensors headers, corrupted and crafted images.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { encodeNpy } from '../../src/io/npy.js';
import { encodeSafetensors } from '../../src/io/safetensors.js';
import { ROOT } from '../helpers.js';
import { withDeclaredSize } from './craft.js';

export type Rng = () => number;

export const int = (rng: Rng, n: number): number => Math.floor(rng() * n);
export const pick = <T>(rng: Rng, items: readonly T[]): T => items[int(rng, items.length)];

/** A spec from the repository, its weight paths made absolute so a mutated copy can live anywhere. */
export interface BaseSpec {
  readonly name: string;
  readonly json: unknown;
  /** A .npy input that fits it (conformance cases have one), or null: an image is used. */
  readonly input: string | null;
}

/** Every spec of examples/ and of the conformance and branch fixtures. */
export function baseSpecs(): BaseSpec[] {
  const files = readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.json')).map((f) => path.join(ROOT, 'examples', f));
  for (const group of ['conformance', 'branches']) {
    const dir = path.join(ROOT, 'fixtures', group);
    for (const c of readdirSync(dir)) if (existsSync(path.join(dir, c, 'net.json'))) files.push(path.join(dir, c, 'net.json'));
  }
  return files.map((file) => {
    const input = path.join(path.dirname(file), 'input.npy');
    return { name: path.relative(ROOT, file), json: absolutePaths(JSON.parse(readFileSync(file, 'utf8')), path.dirname(file)), input: existsSync(input) ? input : null };
  });
}

function absolutePaths(value: unknown, dir: string): unknown {
  if (Array.isArray(value)) return value.map((v) => absolutePaths(v, dir));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = (k === 'npy' || k === 'safetensors') && typeof v === 'string' ? path.resolve(dir, v) : absolutePaths(v, dir);
  return out;
}

/** Values that break assumptions: extremes, negatives, fractions, numbers as strings, other types. */
const EXTREMES: readonly unknown[] = [
  0, -1, -0, 1, 2, 3, 0.5, -2.5, 7, 65536, 100000, 1e9, 2 ** 31, 2 ** 32 + 1, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, 1e-320,
  'NaN', 'Infinity', '-Infinity', '1e999', '', '3', 'same', 'valid', 'zeros', 'reflect', 'circular', 'a\u0000b', '../../../../etc/passwd', '/dev/zero',
  null, true, false, [], {}, [1], [1, 2], [1, 2, 3, 4], [0, 0], [-1, 1], [1e9, 1e9], { random: { seed: 1 } }, { npy: '/dev/urandom' }, { safetensors: '/dev/zero', tensor: 'w' },
];

const LAYER_TYPES = ['conv2d', 'relu', 'maxpool2d', 'avgpool2d', 'batchnorm2d', 'adaptive_avgpool2d', 'adaptive_maxpool2d', 'local_response_norm', 'sequential', 'add', 'concat', 'identity', 'dropout', 'leaky_relu', 'clamp', 'gem', 'normalize', 'hardtanh', 'relu6', 'sigmoid', 'tanh', 'bogus'];
const KEYS = ['padding', 'kernel_size', 'stride', 'dilation', 'out_channels', 'groups', 'output_size', 'ceil_mode', 'size', 'p', 'eps', 'shorter_side', 'center_crop', 'width', 'height', 'channels', 'kernels', 'padding_mode', 'count_include_pad', 'divisor_override', 'min', 'max', 'negative_slope'];

interface Slot {
  readonly parent: Record<string, unknown> | unknown[];
  readonly key: string | number;
}

/** Every place in a JSON tree a value sits in. */
function slots(root: unknown): Slot[] {
  const out: Slot[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      // Long weight arrays would crowd out the structure: a few of their slots are enough.
      for (let i = 0; i < Math.min(v.length, 8); i++) {
        out.push({ parent: v, key: i });
        walk(v[i]);
      }
    } else if (v !== null && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        out.push({ parent: v as Record<string, unknown>, key: k });
        walk((v as Record<string, unknown>)[k]);
      }
    }
  };
  walk(root);
  return out;
}

/**
 * Deep nesting is spliced into the text after JSON.stringify (which, like any recursive walk, would
 * overflow the generator's own stack): the tree holds a marker string, `nested` its replacement.
 */
function nest(value: unknown, depth: number, asObject: boolean, nested: string[]): string {
  const open = asObject ? '{"type": "sequential", "layers": [' : '[';
  const close = asObject ? ']}' : ']';
  nested.push(`${open.repeat(depth)}${JSON.stringify(value) ?? 'null'}${close.repeat(depth)}`);
  return `@@nest${nested.length - 1}@@`;
}

/** One mutation of a parsed spec, in place (the root is an object). Returns what was done, for the replay message. */
function mutateOnce(rng: Rng, root: Record<string, unknown>, nested: string[]): string {
  const all = slots(root);
  if (all.length === 0) return 'none';
  const slot = pick(rng, all);
  const parent = slot.parent as Record<string | number, unknown>;
  const old = parent[slot.key];
  switch (int(rng, 9)) {
    case 0:
    case 1: {
      const value = pick(rng, EXTREMES);
      parent[slot.key] = value;
      return `${String(slot.key)} = ${JSON.stringify(value)}`;
    }
    case 2:
      if (Array.isArray(parent)) parent.splice(slot.key as number, 1);
      else delete parent[slot.key];
      return `drop ${String(slot.key)}`;
    case 3: {
      // Retype: a number as a string, a string as a number, a value in an array or object.
      parent[slot.key] = typeof old === 'number' ? String(old) : typeof old === 'string' ? Number(old.length) : rng() < 0.5 ? [old] : { value: old };
      return `retype ${String(slot.key)}`;
    }
    case 4: {
      const depth = pick(rng, [2, 10, 100, 300, 1000, 5000]);
      parent[slot.key] = nest(old, depth, rng() < 0.5, nested);
      return `nest ${String(slot.key)} ${depth} deep`;
    }
    case 5: {
      // A layer of another type with a key from another layer.
      const layers = root.layers;
      if (!Array.isArray(layers) || layers.length === 0) return 'none';
      const layer = { type: pick(rng, LAYER_TYPES), [pick(rng, KEYS)]: pick(rng, EXTREMES) };
      layers.splice(int(rng, layers.length + 1), 0, layer);
      return `insert ${JSON.stringify(layer)}`;
    }
    case 6: {
      if (Array.isArray(parent) || old === null || typeof old !== 'object' || Array.isArray(old)) {
        parent[slot.key] = pick(rng, EXTREMES);
        return `${String(slot.key)} = extreme`;
      }
      const key = pick(rng, KEYS);
      (old as Record<string, unknown>)[key] = pick(rng, EXTREMES);
      return `add ${key}`;
    }
    case 7: {
      // Big numbers inside pairs and lists.
      parent[slot.key] = [pick(rng, [1, 3, 1e9, -1, 2 ** 40]), pick(rng, [1, 3, 1e9, -1, 2 ** 40])];
      return `${String(slot.key)} = pair`;
    }
    default: {
      const input = root.input as Record<string, unknown> | undefined;
      if (input && typeof input === 'object') {
        const resize = pick(rng, [{ shorter_side: pick(rng, EXTREMES) }, { shorter_side: 65536 }, { width: pick(rng, EXTREMES), height: 8, fit: pick(rng, ['fill', 'cover', 'inside', 'outside', 'contain', 'bogus']) }, { shorter_side: 8, center_crop: pick(rng, EXTREMES) }]);
        input.resize = resize;
        return `resize ${JSON.stringify(resize)}`;
      }
      return 'none';
    }
  }
}

/** A mutated spec's text: 1 to 3 mutations, sometimes a text-level change (a duplicated key, a cut). */
export function mutateSpec(rng: Rng, base: BaseSpec): { text: string; what: string } {
  const root = structuredClone(base.json) as Record<string, unknown>;
  const done: string[] = [];
  const nested: string[] = [];
  for (let n = 1 + int(rng, 3); n > 0; n--) done.push(mutateOnce(rng, root, nested));
  let text = JSON.stringify(root).replace(/"@@nest(\d+)@@"/g, (_, k: string) => nested[Number(k)]);
  const textual = rng();
  if (textual < 0.08) {
    // A duplicated key (JSON.parse keeps the last one).
    const at = text.indexOf('"layers"');
    if (at > 0) text = `${text.slice(0, at)}"layers": 7, ${text.slice(at)}`;
    done.push('duplicate "layers"');
  } else if (textual < 0.14) {
    text = text.slice(0, int(rng, text.length));
    done.push('cut');
  }
  return { text, what: `${base.name}: ${done.join('; ')}` };
}

/** A small valid .npy of `shape`. */
export function npyOf(shape: readonly number[]): Uint8Array {
  return encodeNpy(shape, new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i)));
}

const NPY_DESCRS = ["'<f4'", "'>f4'", "'<f8'", "'<f2'", "'|u1'", "'<i8'", "'<c8'", "'|b1'", "'O'", "'<U3'", "'<f16'", "''", '3', "[('a', '<f4')]"];
const NPY_SHAPES = ['(3, 8, 8)', '(1, 3, 8, 8)', '()', '(0,)', '(3, 0, 8)', '(-1, 8, 8)', '(3, 100000, 100000)', '(3, 2**31)', '(99999999999999999999, 1)', '(3, 8, 8, 8, 8, 8, 8, 8)', "('a',)", '(((((((((((((((((((((3,),),),),),),),),),),),),),),),),),),),),)', '(3.5, 8, 8)', '(True, 8, 8)', '(3, 8, 8,, )'];

/** A .npy whose header (descr, shape, fortran_order, length field) or data is mutated. */
export function mutateNpy(rng: Rng, shape: readonly number[] = [3, 8, 8]): { bytes: Uint8Array; what: string } {
  const valid = npyOf(shape);
  const choice = int(rng, 6);
  if (choice === 0) {
    const bytes = Buffer.from(valid);
    return { bytes: bytes.subarray(0, int(rng, bytes.length)), what: 'npy truncated' };
  }
  if (choice === 1) return { bytes: flipBits(rng, valid, 1 + int(rng, 8), 0, 128), what: 'npy header bit flips' };
  const descr = choice === 2 ? pick(rng, NPY_DESCRS) : "'<f4'";
  const shapeText = choice === 3 ? pick(rng, NPY_SHAPES) : `(${shape.join(', ')})`;
  const fortran = choice === 4 ? pick(rng, ['True', 'False', '1', 'None', "'yes'"]) : 'False';
  let header = `{'descr': ${descr}, 'fortran_order': ${fortran}, 'shape': ${shapeText}, }`;
  if (choice === 5) header = pick(rng, ['{}', '', "{'descr': '<f4'}", `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 8, 8), 'shape': (1,), }`, '{'.repeat(20000), `{'descr': '<f4', 'fortran_order': False, 'shape': (${'1, '.repeat(5000)}), }`]);
  const version = pick(rng, [1, 2, 3]);
  const lengthBytes = version === 1 ? 2 : 4;
  const text = Buffer.from(header + ' '.repeat(Math.max(0, 16 - ((10 + header.length) % 16) - 1)) + '\n', 'latin1');
  const lengthField = Buffer.alloc(lengthBytes);
  const declared = rng() < 0.15 ? pick(rng, [0, 1, 0xffff, 0xffffffff, text.length + 100]) : text.length;
  if (lengthBytes === 2) lengthField.writeUInt16LE(Math.min(declared, 0xffff));
  else lengthField.writeUInt32LE(declared >>> 0);
  const data = Buffer.from(valid.subarray(valid.length - shape.reduce((a, b) => a * b, 1) * 4));
  const bytes = Buffer.concat([Buffer.from([0x93, ...Buffer.from('NUMPY', 'latin1'), version, 0]), lengthField, text, data]);
  return { bytes, what: `npy v${version} header ${header.slice(0, 80)} (length ${declared})` };
}

const ST_DTYPES = ['F32', 'F16', 'BF16', 'F64', 'I64', 'U8', 'BOOL', 'F8_E4M3', 'X', ''];

/** A safetensors file holding tensor "w" of `shape` whose header (JSON, length field) or buffer is mutated. */
export function mutateSafetensors(rng: Rng, shape: readonly number[]): { bytes: Uint8Array; what: string } {
  const count = shape.reduce((a, b) => a * b, 1);
  const valid = Buffer.from(encodeSafetensors([{ name: 'w', shape, data: new Float32Array(count).fill(0.5) }]));
  const choice = int(rng, 6);
  if (choice === 0) return { bytes: valid.subarray(0, int(rng, valid.length)), what: 'safetensors truncated' };
  if (choice === 1) return { bytes: flipBits(rng, valid, 1 + int(rng, 8), 0, Math.min(valid.length, 120)), what: 'safetensors bit flips' };
  const entry: Record<string, unknown> = { dtype: 'F32', shape: [...shape], data_offsets: [0, count * 4] };
  let headerText: string;
  if (choice === 2) {
    const key = pick(rng, ['dtype', 'shape', 'data_offsets']);
    entry[key] = pick(rng, [...EXTREMES, pick(rng, ST_DTYPES), [1e9, 1e9, 1e9], [0, 2 ** 53], [-1, 4], [4, 0], [2 ** 40, 2 ** 40 + 4]]);
    headerText = JSON.stringify({ w: entry });
  } else if (choice === 3) {
    headerText = pick(rng, ['', '[]', 'null', '{"w": 1}', `{"w": ${'['.repeat(100000)}${']'.repeat(100000)}}`, `{"__metadata__": {"a": 1}, "w": ${JSON.stringify(entry)}}`, `{"w": ${JSON.stringify(entry)}, "w": ${JSON.stringify(entry)}}`, '{"w": {"dtype": "F32"']);
  } else {
    headerText = JSON.stringify({ w: entry });
  }
  const header = Buffer.from(headerText, 'utf8');
  const length = Buffer.alloc(8);
  const declared = choice === 4 ? pick(rng, [0n, 1n, 2n ** 63n, 2n ** 64n - 1n, BigInt(header.length + 1000), 100_000_001n]) : BigInt(header.length);
  length.writeBigUInt64LE(declared);
  const body = valid.subarray(8 + Number(valid.readBigUInt64LE(0)));
  const tail = choice === 5 ? body.subarray(0, int(rng, body.length)) : body;
  return { bytes: Buffer.concat([length, header, tail]), what: `safetensors header ${headerText.slice(0, 80)} (length ${declared})` };
}

/** `count` random bit flips in `bytes[from, to)` of a copy. */
export function flipBits(rng: Rng, bytes: Uint8Array, count: number, from = 0, to = bytes.length): Uint8Array {
  const out = Buffer.from(bytes);
  for (let i = 0; i < count && to > from; i++) out[from + int(rng, to - from)] ^= 1 << int(rng, 8);
  return out;
}

/** A corrupted or crafted image from `images` (valid encodings): truncated, bit-flipped, huge declared dimensions, noise, empty. */
export function corruptImage(rng: Rng, images: readonly { name: string; bytes: Uint8Array }[]): { bytes: Uint8Array; what: string } {
  const image = pick(rng, images);
  const isPng = image.bytes[0] === 0x89;
  switch (int(rng, 6)) {
    case 0:
      return { bytes: image.bytes.subarray(0, int(rng, image.bytes.length)), what: `${image.name} truncated` };
    case 1:
      return { bytes: flipBits(rng, image.bytes, 1 + int(rng, 16)), what: `${image.name} bit flips` };
    case 2:
      return { bytes: flipBits(rng, image.bytes, 1 + int(rng, 4), 0, Math.min(64, image.bytes.length)), what: `${image.name} header bit flips` };
    case 3: {
      if (!isPng) return { bytes: image.bytes.subarray(0, 16), what: `${image.name} cut to 16 bytes` };
      const [w, h] = pick(rng, [[100000, 100000], [1, 2 ** 31 - 1], [2 ** 31 - 1, 2 ** 31 - 1], [0, 5], [65535, 65535], [30000, 30000], [16384, 16384]]);
      return { bytes: withDeclaredSize(image.bytes, w, h), what: `${image.name} declared ${w}x${h}` };
    }
    case 4: {
      const noise = new Uint8Array(int(rng, 4096));
      for (let i = 0; i < noise.length; i++) noise[i] = int(rng, 256);
      // Sometimes behind a real signature, so the format is recognised and the decoder meets the noise.
      const head = rng() < 0.5 ? image.bytes.subarray(0, 8) : new Uint8Array();
      return { bytes: Buffer.concat([head, noise]), what: `noise after ${head.length} bytes of ${image.name}` };
    }
    default:
      return { bytes: new Uint8Array(), what: 'empty file' };
  }
}
