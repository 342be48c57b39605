// Reads a network spec file: JSON syntax errors with line:col, then validation into a readonly Network.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { checkString, isObject, unexpected } from '../arguments.js';
import { describeValue, specError } from '../errors.js';
import { wrongFormatError } from '../io/file-format.js';
import { MAX_SPEC_BYTES, MAX_SPEC_DEPTH, maxReadBytes } from '../io/limits.js';
import { readFailure, readRegularFile } from '../io/read-file.js';
import { parseInput } from './input.js';
import { findJsonError, lineColumn } from './json-error.js';
import { tooDeepAt } from './json-depth.js';
import { duplicateKeyIn } from './json-keys.js';
import { isPlainObject, ObjectReader } from './reader.js';
import { checkMapSizes, checkMergeSizes } from './shapes.js';
import type { SafetensorsCache } from './tensors.js';
import { parseTree } from './tree.js';
import type { Network } from './types.js';

/** Loads and validates the spec at `file`; throws a CnnxError (exit 2) naming the file and JSON path. */
export async function loadNetwork(file: string): Promise<Network> {
  checkString(file, 'loadNetwork: file', 'a spec file path (a string)');
  let bytes: Buffer;
  const limit = Math.min(maxReadBytes(), MAX_SPEC_BYTES);
  try {
    bytes = await readRegularFile(file, limit);
  } catch (error) {
    const { code, reason } = readFailure(error);
    throw specError(code === 'file.too_large' ? 'spec.limit' : 'spec.read', file, '', reason);
  }
  let raw: unknown;
  try {
    raw = parseJson(bytes.toString('utf8'), file);
  } catch (error) {
    // An image, a checkpoint or an array given as the spec says what it is, not where its "JSON" breaks.
    throw wrongFormatError(bytes, file, file, 'spec') ?? error;
  }
  return parseNetwork(raw, { file, dir: path.dirname(path.resolve(file)), hash: sha256(bytes) });
}

export interface SpecOrigin {
  /** How messages name the spec. */
  readonly file: string;
  /** Folder for relative tensor paths. */
  readonly dir: string;
  readonly hash: string;
  /** Safetensors files already in memory, by resolved path: an import checks its spec before writing them. */
  readonly safetensors?: SafetensorsCache;
}

/** Validates an already-parsed spec object. */
export async function parseNetwork(raw: unknown, origin: SpecOrigin): Promise<Network> {
  if (!isObject(origin)) throw unexpected('parseNetwork: origin', 'a spec origin { file, dir, hash }', origin);
  checkString(origin.file, 'parseNetwork: origin.file', 'a name for messages (a string)');
  checkString(origin.dir, 'parseNetwork: origin.dir', 'the folder of relative tensor paths (a string)');
  checkString(origin.hash, 'parseNetwork: origin.hash', 'a hash of the spec (a string)');
  const { file } = origin;
  if (!isPlainObject(raw)) throw specError('spec.type', file, '', `expected a JSON object with "input" and "layers", got ${describeValue(raw)}`);
  const top = new ObjectReader(file, '', raw);
  const name = top.string('name', path.basename(file, path.extname(file)));
  top.optionalString('description');
  const rawInput = top.require('input');
  if (!isPlainObject(rawInput)) throw top.expected('input', 'an object such as {"channels": 3}');
  const input = parseInput(new ObjectReader(file, 'input', rawInput));
  const rawLayers = top.require('layers');
  if (!Array.isArray(rawLayers) || rawLayers.length === 0) throw top.expected('layers', 'a non-empty array of layers');
  top.finish();

  const { layers, groups, names } = await parseTree(rawLayers, file, origin.dir, input.channels, origin.safetensors);
  const net: Network = { name, file, hash: origin.hash, input, layers, groups, names };
  checkMapSizes(net);
  checkMergeSizes(net);
  return net;
}

/** JSON.parse with a message that gives line and column and says what is wrong there; nesting is limited first. */
export function parseJson(source: string, file: string): unknown {
  // A byte order mark (some Windows editors write one) is not part of the JSON.
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  const deep = tooDeepAt(text, MAX_SPEC_DEPTH);
  if (deep >= 0) {
    const { line, column } = lineColumn(text, deep);
    throw specError('spec.limit', `${file}:${line}:${column}`, '', `JSON nested more than ${MAX_SPEC_DEPTH} deep (arrays and objects inside each other); no spec needs that`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const found = findJsonError(text);
    if (!found) throw specError('spec.syntax', file, '', `invalid JSON: ${(error as Error).message}`);
    const { line, column } = lineColumn(text, found.offset);
    throw specError('spec.syntax', `${file}:${line}:${column}`, '', `invalid JSON: ${found.reason}`);
  }
  const twice = duplicateKeyIn(text);
  if (twice) {
    const at = lineColumn(text, twice.second);
    const first = lineColumn(text, twice.first);
    throw specError('spec.syntax', `${file}:${at.line}:${at.column}`, '', `${JSON.stringify(twice.key)} is given twice in one object (first at ${first.line}:${first.column}); JSON would keep only this one: give it once`);
  }
  return value;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
