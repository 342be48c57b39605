// Reads a network spec file: JSON syntax errors with line:col, then validation into a readonly Network.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describeValue, specError } from '../errors.js';
import { wrongFormatError } from '../io/file-format.js';
import { readFailure } from '../io/read-file.js';
import { LAYER_TYPES, layerDefByType } from '../layers/index.js';
import { parseInput } from './input.js';
import { findJsonError, lineColumn } from './json-error.js';
import { isPlainObject, ObjectReader } from './reader.js';
import { didYouMean } from './suggest.js';
import type { SafetensorsCache } from './tensors.js';
import type { Layer, Network } from './types.js';

/** Loads and validates the spec at `file`; throws a CnnxError (exit 2) naming the file and JSON path. */
export async function loadNetwork(file: string): Promise<Network> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw specError('spec.read', file, '', readFailure(error).reason);
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
}

/** Validates an already-parsed spec object. */
export async function parseNetwork(raw: unknown, origin: SpecOrigin): Promise<Network> {
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

  const layers: Layer[] = [];
  const names = new Map<string, number>();
  const safetensors: SafetensorsCache = new Map();
  let channels = input.channels;
  for (const [index, rawLayer] of rawLayers.entries()) {
    const at = `layers[${index}]`;
    if (!isPlainObject(rawLayer)) throw specError('spec.type', file, at, `expected a layer object such as {"type": "relu"}, got ${describeValue(rawLayer)}`);
    const type = rawLayer.type;
    const def = typeof type === 'string' ? layerDefByType(type) : undefined;
    if (!def) {
      const hint = typeof type === 'string' ? didYouMean(type, LAYER_TYPES) : '';
      throw specError('spec.type', file, `${at}.type`, `expected one of ${LAYER_TYPES.join(', ')}, got ${describeValue(type)}${hint}`);
    }
    // Messages place a named layer by its name too: `layers[0] (conv2d "conv1").weight`.
    const named = typeof rawLayer.name === 'string' && rawLayer.name !== '' ? ` ${JSON.stringify(rawLayer.name)}` : '';
    const r = new ObjectReader(file, `${at} (${type}${named})`, rawLayer);
    r.get('type');
    const layerName = r.optionalString('name');
    if (layerName !== undefined) {
      if (layerName === '' || layerName === 'all' || layerName === 'input') throw r.error('name', `"${layerName}" is reserved; choose another name`, 'spec.name');
      const previous = names.get(layerName);
      if (previous !== undefined) throw r.error('name', `"${layerName}" is already the name of layers[${previous}]`, 'spec.name');
      names.set(layerName, index);
    }
    const params = await def.parse(r, { file, dir: origin.dir, index, where: r.where, inChannels: channels, safetensors });
    const layer = { type, index, ...(layerName !== undefined ? { name: layerName } : {}), ...params } as Layer;
    channels = def.outChannels(layer, channels);
    layers.push(layer);
  }
  return { name, file, hash: origin.hash, input, layers };
}

/** JSON.parse with a message that gives line and column and says what is wrong there. */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const found = findJsonError(text);
    if (!found) throw specError('spec.syntax', file, '', `invalid JSON: ${(error as Error).message}`);
    const { line, column } = lineColumn(text, found.offset);
    throw specError('spec.syntax', `${file}:${line}:${column}`, '', `invalid JSON: ${found.reason}`);
  }
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
