// Edits `cnnx serve` makes to a spec's JSON: its conv layers for the page's controls, a conv field set from a control, and the files a page-sent spec may name.
import path from 'node:path';
import { CnnxError } from '../errors.js';
import { isPlainObject } from '../network/reader.js';

/** A key path into the spec JSON, e.g. ['layers', 3, 'layers', 0]. */
export type KeyPath = readonly (string | number)[];

/** The conv fields the page has a control for, as the spec writes them (PyTorch's names). */
export const CONV_FIELDS = ['kernel_size', 'stride', 'padding', 'dilation', 'padding_mode'] as const;
export type ConvField = (typeof CONV_FIELDS)[number];

export const PADDING_MODES = ['zeros', 'reflect', 'replicate', 'circular', 'symmetric'] as const;

export interface ConvControl {
  readonly path: KeyPath;
  /** `conv1`, or the JSON path of an unnamed layer. */
  readonly label: string;
  /** Each field as the spec writes it (absent: PyTorch's default). */
  readonly values: Readonly<Record<ConvField, unknown>>;
  /** Its weights come from a file or named filters, so their size fixes the kernel. */
  readonly fixedKernel: boolean;
}

const DEFAULTS: Readonly<Record<ConvField, unknown>> = { kernel_size: null, stride: 1, padding: 0, dilation: 1, padding_mode: 'zeros' };

/** `layers[3].layers[0]`: a key path as cnnx's messages write JSON paths. */
export function pathText(keys: KeyPath): string {
  return keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

/** Every `conv2d` object in the spec, in document order. */
export function convControls(raw: unknown): ConvControl[] {
  const found: ConvControl[] = [];
  walk(raw, [], (value, keys) => {
    if (!isPlainObject(value) || value.type !== 'conv2d') return;
    const values = Object.fromEntries(CONV_FIELDS.map((f) => [f, f in value ? value[f] : DEFAULTS[f]])) as Record<ConvField, unknown>;
    const weight = value.weight;
    const fixedKernel = 'kernels' in value || (weight !== undefined && !(isPlainObject(weight) && 'random' in weight));
    found.push({ path: keys, label: typeof value.name === 'string' ? value.name : pathText(keys), values, fixedKernel });
  });
  return found;
}

function walk(value: unknown, keys: KeyPath, visit: (value: unknown, keys: KeyPath) => void): void {
  visit(value, keys);
  if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...keys, i], visit));
  else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) walk(v, [...keys, k], visit);
}

/**
 * A control's text as a spec value: `3` -> 3, `3,5` -> [3, 5] (and 4 numbers for padding), `same` and
 * `valid` for padding, a mode name for padding_mode. The spec's own validation judges the rest.
 */
export function controlValue(field: ConvField, text: string): unknown {
  const t = text.trim();
  if (field === 'padding_mode') {
    if (!(PADDING_MODES as readonly string[]).includes(t)) throw usage(`padding_mode: expected one of ${PADDING_MODES.join(', ')}, got ${JSON.stringify(t)}`);
    return t;
  }
  if (field === 'padding' && (t === 'same' || t === 'valid')) return t;
  if (/^\d+$/.test(t)) return Number(t);
  if (/^\d+(\s*,\s*\d+)+$/.test(t)) {
    const list = t.split(',').map(Number);
    if (list.length === 2 || (field === 'padding' && list.length === 4)) return list;
  }
  const forms = field === 'padding' ? 'N, H,W, T,B,L,R, same or valid' : 'N or H,W';
  throw usage(`${field}: expected ${forms}, got ${JSON.stringify(t)}`);
}

/** A copy of the spec object with `field` of the conv at `keys` set to `value`. */
export function setConvField(raw: unknown, keys: KeyPath, field: ConvField, value: unknown): unknown {
  const copy = structuredClone(raw);
  let node: unknown = copy;
  for (const k of keys) node = isPlainObject(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[k] : undefined;
  if (!isPlainObject(node) || node.type !== 'conv2d') throw usage(`${pathText(keys) || '(top)'}: no conv2d layer there`);
  node[field] = value;
  return copy;
}

/**
 * A spec sent from the page may name only the tensor files the spec file itself names (`allowed`,
 * resolved paths): a request never makes the server read a file the user did not point it at.
 */
export function checkNamedFiles(raw: unknown, dir: string, allowed: ReadonlySet<string>, shown: string): void {
  walk(raw, [], (value, keys) => {
    if (!isPlainObject(value)) return;
    for (const key of ['npy', 'safetensors']) {
      const file = value[key];
      if (typeof file !== 'string' || allowed.has(path.resolve(dir, file))) continue;
      throw new CnnxError('spec.read', `${shown}: ${pathText([...keys, key])}: ${file}: a spec edited in the page may only name the files the spec file names; add it to the spec file instead`);
    }
  });
}

/** The resolved tensor files a spec object names. */
export function namedFiles(raw: unknown, dir: string): Set<string> {
  const files = new Set<string>();
  walk(raw, [], (value) => {
    if (!isPlainObject(value)) return;
    for (const key of ['npy', 'safetensors']) if (typeof value[key] === 'string') files.add(path.resolve(dir, value[key] as string));
  });
  return files;
}

function usage(message: string): CnnxError {
  return new CnnxError('spec.type', message);
}
