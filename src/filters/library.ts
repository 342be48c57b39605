// The named filter library: loads and validates kernels/*.json, parses "name:key=value" filter strings and banks, pads banks to one size.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkString } from '../arguments.js';
import { CnnxError, describeValue, specError, type ErrorCode } from '../errors.js';
import { isPlainObject, ObjectReader } from '../network/reader.js';
import { didYouMean } from '../network/suggest.js';
import {
  box,
  COMPASS_DIRECTIONS,
  type CompassDirection,
  defaultGaussianSigma,
  defaultGaussianSize,
  dog,
  gabor,
  gaussian,
  type Kernel2d,
  kirsch,
  log,
  scharr,
  sobel,
} from './generators.js';
import { plural } from '../format.js';

export { flipKernel } from './generators.js';

/** One filter, ready to use: row-major cross-correlation weights. */
export interface ResolvedFilter {
  /** The preset name (`sobel-x`) or the filter string as written, without spaces (`gaussian:size=5,sigma=1.2`). */
  readonly name: string;
  readonly description: string;
  readonly source: string;
  readonly height: number;
  readonly width: number;
  readonly values: Float64Array;
}

/** K filters padded to one size: `values` is K x height x width, filter k at offset k * height * width. */
export interface FilterBank {
  readonly names: string[];
  readonly height: number;
  readonly width: number;
  readonly values: Float32Array;
}

/** Where a filter string came from, for error messages: `net.json`, `layers[0] (conv2d).kernels`. */
export interface FilterWhere {
  readonly file: string;
  readonly path: string;
}

export interface FilterListing {
  readonly name: string;
  readonly description: string;
  /** `HxW`, e.g. `3x3`. */
  readonly size: string;
  readonly height: number;
  readonly width: number;
}

export interface GeneratorListing {
  readonly name: string;
  readonly summary: string;
  /** `size, sigma` etc., with defaults where there is one. */
  readonly params: string[];
  /** True for bank generators (`gabor-bank`), which stand for several filters. */
  readonly bank: boolean;
  readonly example: string;
}

/** The convention every value in the library follows, stated once for the CLI (kernels/README.md has the long form). */
export const CONVENTION =
  'cross-correlation weights (PyTorch conv2d, no flip); row 0 is the top row; x points right, y points down';

/** kernels/ at the package root: this module is src/filters/library.ts or dist/filters/library.js, two levels down. */
export const KERNELS_DIR = fileURLToPath(new URL('../../kernels/', import.meta.url));

/** Largest side a generator will build; beyond this a typo (size=1100) is likelier than intent. */
const MAX_SIZE = 1001;

// ---------------------------------------------------------------- parameters

/** A record lookup that ignores Object.prototype, so "constructor" is an unknown name, not a crash. */
function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

type ParamValue = number | string | boolean;

interface ParamDef {
  readonly kind: 'int' | 'number' | 'bool' | 'enum';
  /** For messages: `expected ${what}, got ...`. */
  readonly what: string;
  readonly accept?: (value: number) => boolean;
  readonly choices?: readonly string[];
  /** Shown by `cnnx kernels`: `size=11`, `sigma`, `theta=0`. */
  readonly shown: string;
}

/** A problem with a filter's parameters, phrased without the place (the caller knows where). */
class FilterProblem extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The parameter at fault, so preset errors can point at `params.<name>`. */
    readonly param?: string,
  ) {
    super(message);
  }
}

const oddSize = (shown: string): ParamDef => ({
  kind: 'int',
  what: `an odd integer from 1 to ${MAX_SIZE}`,
  accept: (v) => v >= 1 && v <= MAX_SIZE && v % 2 === 1,
  shown,
});
const anySize = (shown: string): ParamDef => ({
  kind: 'int',
  what: `an integer from 1 to ${MAX_SIZE}`,
  accept: (v) => v >= 1 && v <= MAX_SIZE,
  shown,
});
const positive = (shown: string): ParamDef => ({ kind: 'number', what: 'a number greater than 0', accept: (v) => v > 0, shown });
const angle = (shown: string): ParamDef => ({ kind: 'number', what: 'an angle in degrees', shown });
const order = (shown: string): ParamDef => ({ kind: 'int', what: 'an integer from 0 to 30', accept: (v) => v >= 0 && v <= 30, shown });
const flag = (shown: string): ParamDef => ({ kind: 'bool', what: 'true or false', shown });

/** Validated parameters of one filter string or preset. */
class Params {
  constructor(private readonly values: ReadonlyMap<string, ParamValue>) {}
  has(key: string): boolean {
    return this.values.has(key);
  }
  num(key: string): number | undefined {
    return this.values.get(key) as number | undefined;
  }
  bool(key: string): boolean | undefined {
    return this.values.get(key) as boolean | undefined;
  }
  str(key: string): string | undefined {
    return this.values.get(key) as string | undefined;
  }
}

interface Built {
  readonly kernel: Kernel2d;
  readonly description: string;
  readonly source: string;
}

interface GeneratorDef {
  readonly summary: string;
  readonly params: Readonly<Record<string, ParamDef>>;
  readonly example: string;
  build(p: Params): Built;
}

/** Numbers as people write them in specs: 1.1, not 1.1000000000000001. */
function fmt(value: number): string {
  return String(Number(value.toPrecision(12)));
}

/** Gaussian-family size/sigma defaults: either one gives the other (OpenCV's rules), neither is an error. */
function sizeAndSigma(p: Params, generator: string): { size: number; sigma: number | undefined } {
  const size = p.num('size');
  const sigma = p.num('sigma');
  if (size === undefined && sigma === undefined) {
    throw new FilterProblem('filter.value', `${generator} needs size or sigma (e.g. "${generator}:size=5" or "${generator}:sigma=1.5")`);
  }
  return { size: size ?? defaultGaussianSize(sigma as number), sigma };
}

const GENERATORS: Readonly<Record<string, GeneratorDef>> = {
  gaussian: {
    summary: 'Gaussian blur, OpenCV getGaussianKernel (fixed tables for sizes 1-9 without sigma), sums to 1',
    params: { size: oddSize('size'), sigma: positive('sigma') },
    example: 'gaussian:size=5,sigma=1.2',
    build(p) {
      const { size, sigma } = sizeAndSigma(p, 'gaussian');
      const table = sigma === undefined && size <= 9;
      const sigmaText = sigma !== undefined ? `sigma ${fmt(sigma)}` : table ? "OpenCV's fixed table" : `sigma ${fmt(defaultGaussianSigma(size))} (OpenCV's rule)`;
      return {
        kernel: gaussian(size, sigma),
        description: `Gaussian blur ${size}x${size}, ${sigmaText}, sums to 1`,
        source: `OpenCV getGaussianKernel(${size}, ${sigma === undefined ? 0 : fmt(sigma)}), outer product with itself`,
      };
    },
  },
  log: {
    summary: 'Laplacian of Gaussian, negative centre, sums to 0 (MATLAB fspecial log recipe; sigma from size by OpenCV\'s rule)',
    params: { size: oddSize('size'), sigma: positive('sigma') },
    example: 'log:size=9,sigma=1.4',
    build(p) {
      const { size, sigma } = sizeAndSigma(p, 'log');
      const s = sigma ?? defaultGaussianSigma(size);
      return {
        kernel: log(size, s),
        description: `Laplacian of Gaussian ${size}x${size}, sigma ${fmt(s)}, negative centre, sums to 0`,
        source: "formula (r^2 - 2 sigma^2) / sigma^4 times the unit-sum Gaussian, minus its mean (MATLAB fspecial('log') recipe)",
      };
    },
  },
  dog: {
    summary: 'difference of Gaussians, narrow minus wide (positive centre), sums to 0',
    params: { size: oddSize('size'), sigma1: positive('sigma1=1'), sigma2: positive('sigma2=1.6*sigma1') },
    example: 'dog:sigma1=1,sigma2=2',
    build(p) {
      const sigma1 = p.num('sigma1') ?? 1;
      const sigma2 = p.num('sigma2') ?? 1.6 * sigma1;
      if (sigma1 === sigma2) throw new FilterProblem('filter.value', 'sigma1 and sigma2 must differ (the difference would be 0)', 'sigma2');
      const size = p.num('size') ?? defaultGaussianSize(Math.max(sigma1, sigma2));
      return {
        kernel: dog(size, sigma1, sigma2),
        description: `difference of Gaussians ${size}x${size}, sigma ${fmt(sigma1)} minus sigma ${fmt(sigma2)}, sums to 0`,
        source: `OpenCV getGaussianKernel(${size}, ${fmt(sigma1)}) and (${size}, ${fmt(sigma2)}), outer products, subtracted`,
      };
    },
  },
  sobel: {
    summary: 'Sobel derivative of any order, OpenCV getDerivKernels(dx, dy, ksize); unscaled unless normalize=true',
    params: { dx: order('dx=1'), dy: order('dy=0'), ksize: oddSize('ksize=3'), normalize: flag('normalize=false') },
    example: 'sobel:dx=2,dy=0,ksize=5',
    build(p) {
      const given = p.has('dx') || p.has('dy');
      const dx = p.num('dx') ?? (given ? 0 : 1);
      const dy = p.num('dy') ?? 0;
      const ksize = p.num('ksize') ?? 3;
      const normalize = p.bool('normalize') ?? false;
      if (ksize > 31) throw new FilterProblem('filter.value', `expected an odd integer from 1 to 31 (OpenCV's limit), got ${ksize}`, 'ksize');
      if (dx + dy === 0) throw new FilterProblem('filter.value', 'dx + dy must be at least 1 (for no derivative use a gaussian)', 'dx');
      const taps = Math.max(ksize, 3);
      if (dx >= taps || dy >= taps) {
        const key = dx >= taps ? 'dx' : 'dy';
        throw new FilterProblem('filter.value', `ksize ${ksize} allows derivative orders up to ${taps - 1}, got ${key}=${Math.max(dx, dy)}`, key);
      }
      const kernel = sobel(dx, dy, ksize, normalize);
      return {
        kernel,
        description: `Sobel derivative d${dx}/dx, d${dy}/dy, ${kernel.height}x${kernel.width}${normalize ? ', normalised' : ''}`,
        source: `OpenCV getDerivKernels(${dx}, ${dy}, ${ksize}${normalize ? ', normalize=true' : ''}), ky outer kx`,
      };
    },
  },
  scharr: {
    summary: 'Scharr first derivative, OpenCV getDerivKernels(dx, dy, FILTER_SCHARR); unscaled unless normalize=true',
    params: { dx: order('dx=1'), dy: order('dy=0'), normalize: flag('normalize=false') },
    example: 'scharr:dx=0,dy=1',
    build(p) {
      const given = p.has('dx') || p.has('dy');
      const dx = p.num('dx') ?? (given ? 0 : 1);
      const dy = p.num('dy') ?? 0;
      const normalize = p.bool('normalize') ?? false;
      if (dx + dy !== 1) throw new FilterProblem('filter.value', `Scharr takes one first derivative: dx=1,dy=0 or dx=0,dy=1, got dx=${dx},dy=${dy}`, 'dx');
      return {
        kernel: scharr(dx, dy, normalize),
        description: `Scharr derivative along ${dx === 1 ? 'x' : 'y'}, 3x3${normalize ? ', normalised' : ''}`,
        source: `OpenCV getDerivKernels(${dx}, ${dy}, FILTER_SCHARR${normalize ? ', normalize=true' : ''}), ky outer kx`,
      };
    },
  },
  gabor: {
    summary: "Gabor, OpenCV getGaborKernel incl. its 180-degree storage turn; theta and psi in degrees; even size k gives k+1",
    params: {
      size: anySize('size=11'),
      sigma: positive('sigma=2'),
      theta: angle('theta=0'),
      lambda: positive('lambda=5'),
      gamma: positive('gamma=0.5'),
      psi: angle('psi=90'),
    },
    example: 'gabor:theta=45,lambda=8',
    build(p) {
      const size = p.num('size') ?? 11;
      const sigma = p.num('sigma') ?? 2;
      const theta = p.num('theta') ?? 0;
      const lambda = p.num('lambda') ?? 5;
      const gamma = p.num('gamma') ?? 0.5;
      const psi = p.num('psi') ?? 90;
      const kernel = gabor(size, sigma, (theta * Math.PI) / 180, lambda, gamma, (psi * Math.PI) / 180);
      const args = `sigma ${fmt(sigma)}, theta ${fmt(theta)} deg, lambda ${fmt(lambda)}, gamma ${fmt(gamma)}, psi ${fmt(psi)} deg`;
      return {
        kernel,
        description: `Gabor ${kernel.height}x${kernel.width}, ${args}`,
        source: `OpenCV getGaborKernel((${size}, ${size}), ${fmt(sigma)}, ${fmt(theta)}*pi/180, ${fmt(lambda)}, ${fmt(gamma)}, ${fmt(psi)}*pi/180)`,
      };
    },
  },
  box: {
    summary: 'box blur, every weight 1/size^2 (OpenCV blur)',
    params: { size: anySize('size=3') },
    example: 'box:size=4',
    build(p) {
      const size = p.num('size') ?? 3;
      return {
        kernel: box(size),
        description: `box blur ${size}x${size}, every weight 1/${size * size}, sums to 1`,
        source: `OpenCV blur / boxFilter(normalize=true) with ksize (${size}, ${size})`,
      };
    },
  },
  kirsch: {
    summary: 'Kirsch compass mask: positive where the image is brighter towards direction (n, ne, e, se, s, sw, w, nw)',
    params: { direction: { kind: 'enum', what: `one of ${COMPASS_DIRECTIONS.join(', ')}`, choices: COMPASS_DIRECTIONS, shown: 'direction=n' } },
    example: 'kirsch:direction=se',
    build(p) {
      const direction = (p.str('direction') ?? 'n') as CompassDirection;
      return {
        kernel: kirsch(direction),
        description: `Kirsch compass ${direction.toUpperCase()}: 5 on the three cells towards ${direction.toUpperCase()}, -3 elsewhere, sums to 0`,
        source: 'Kirsch (1971) compass masks, rotated in 45-degree steps around the ring',
      };
    },
  },
};

interface BankDef {
  readonly summary: string;
  readonly params: Readonly<Record<string, ParamDef>>;
  readonly example: string;
  /** Filter strings (or preset names) of the members, resolved like any other. */
  members(p: Params, paramText: Map<string, string>): string[];
}

const { theta: _theta, ...gaborBankParams } = GENERATORS.gabor.params;

const BANKS: Readonly<Record<string, BankDef>> = {
  'gabor-bank': {
    summary: 'Gabor filters at thetas evenly spaced angles 0, 180/thetas, ... (< 180 degrees); other gabor params apply to all',
    params: { thetas: { kind: 'int', what: 'an integer from 1 to 360', accept: (v) => v >= 1 && v <= 360, shown: 'thetas=8' }, ...gaborBankParams },
    example: 'gabor-bank:thetas=8,lambda=6',
    members(p, text) {
      const count = p.num('thetas') ?? 8;
      const rest = [...text].filter(([key]) => key !== 'thetas').map(([key, value]) => `,${key}=${value}`).join('');
      return Array.from({ length: count }, (_, k) => `gabor:theta=${fmt((k * 180) / count)}${rest}`);
    },
  },
  'kirsch-bank': {
    summary: 'the eight Kirsch compass masks, kirsch-n, kirsch-ne, ... clockwise to kirsch-nw',
    params: {},
    example: 'kirsch-bank',
    members: () => COMPASS_DIRECTIONS.map((d) => `kirsch-${d}`),
  },
};

/** Converts one raw parameter value (a string from a filter string, a JSON value from a preset). */
function coerce(key: string, def: ParamDef, raw: unknown): ParamValue {
  const bad = (): FilterProblem =>
    new FilterProblem('filter.value', `${key}: expected ${def.what}, got ${typeof raw === 'string' ? raw : describeValue(raw)}`, key);
  switch (def.kind) {
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw bad();
    case 'enum':
      if (typeof raw === 'string' && def.choices?.includes(raw)) return raw;
      if (typeof raw === 'string') {
        throw new FilterProblem('filter.value', `${key}: expected ${def.what}, got ${raw}${didYouMean(raw, def.choices ?? [])}`, key);
      }
      throw bad();
    default: {
      let value: number;
      if (typeof raw === 'number') value = raw;
      else if (typeof raw === 'string' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) value = Number(raw);
      else throw bad();
      if (!Number.isFinite(value) || (def.kind === 'int' && !Number.isInteger(value))) throw bad();
      if (def.accept && !def.accept(value)) throw bad();
      return value;
    }
  }
}

/** Checks raw parameters against a generator's schema: unknown keys get a did-you-mean. */
function validateParams(generator: string, defs: Readonly<Record<string, ParamDef>>, raw: ReadonlyMap<string, unknown>): Params {
  const values = new Map<string, ParamValue>();
  const known = Object.keys(defs);
  for (const [key, value] of raw) {
    const def = own(defs, key);
    if (!def) {
      const takes = known.length ? `${generator} takes ${known.join(', ')}` : `${generator} takes no parameters`;
      throw new FilterProblem('filter.param', `unknown parameter "${key}"${didYouMean(key, known)}; ${takes}`, key);
    }
    values.set(key, coerce(key, def, value));
  }
  return new Params(values);
}

// ---------------------------------------------------------------- presets

interface Preset extends ResolvedFilter {
  readonly file: string;
}

let presetCache: Map<string, Preset> | undefined;

function presets(): Map<string, Preset> {
  presetCache ??= loadPresets(KERNELS_DIR, 'kernels');
  return presetCache;
}

/**
 * Reads and validates every `*.json` preset in `dir`; errors (code `filter.preset`) name the file
 * as `${label}/${file}`. Exported for tests; normal callers go through resolveFilter.
 */
export function loadPresets(dir: string, label: string = dir): Map<string, Preset> {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch (error) {
    throw new CnnxError('filter.preset', `${label}: cannot read the filter library: ${(error as Error).message}`);
  }
  const result = new Map<string, Preset>();
  for (const file of files) {
    const preset = loadPreset(join(dir, file), `${label}/${file}`, file.slice(0, -'.json'.length));
    result.set(preset.name, preset);
  }
  return result;
}

function loadPreset(path: string, display: string, stem: string): Preset {
  const fail = (where: string, message: string): CnnxError => specError('filter.preset', display, where, message);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw fail('', `not valid JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(raw)) throw fail('', `expected a JSON object, got ${describeValue(raw)}`);
  try {
    const reader = new ObjectReader(display, '', raw);
    const name = reader.string('name');
    if (name !== stem) throw fail('name', `expected "${stem}" (the file name), got ${describeValue(name)}`);
    if (own(GENERATORS, name) || own(BANKS, name)) throw fail('name', `"${name}" is a generator name; a preset needs its own name`);
    const description = reader.string('description');
    if (!description.trim() || /\n/.test(description)) throw fail('description', 'expected one non-empty line');
    const source = reader.string('source');
    if (!source.trim()) throw fail('source', 'expected a non-empty string');
    let kernel: Kernel2d;
    if (reader.has('values') === reader.has('generator')) {
      throw fail('', 'expected exactly one of "values" (a matrix) or "generator" (with "params")');
    }
    if (reader.has('values')) {
      kernel = readMatrix(reader.get('values'), fail);
    } else {
      const generator = reader.string('generator');
      const def = own(GENERATORS, generator);
      if (!def) {
        throw fail('generator', `expected one of ${Object.keys(GENERATORS).join(', ')}, got ${describeValue(generator)}${didYouMean(generator, Object.keys(GENERATORS))}`);
      }
      const params = reader.get('params') ?? {};
      if (!isPlainObject(params)) throw fail('params', `expected an object, got ${describeValue(params)}`);
      try {
        kernel = def.build(validateParams(generator, def.params, new Map(Object.entries(params)))).kernel;
      } catch (error) {
        if (!(error instanceof FilterProblem)) throw error;
        const message = error.message.startsWith(`${error.param}: `) ? error.message.slice(`${error.param}: `.length) : error.message;
        throw fail(error.param ? `params.${error.param}` : 'params', message);
      }
    }
    reader.finish(['values', 'generator', 'params']);
    return { file: display, name, description, source, ...kernel };
  } catch (error) {
    // The shared reader raises spec.* codes; every preset problem is one kind for callers.
    if (error instanceof CnnxError && error.code !== 'filter.preset') throw new CnnxError('filter.preset', error.message);
    throw error;
  }
}

function readMatrix(raw: unknown, fail: (where: string, message: string) => CnnxError): Kernel2d {
  if (!Array.isArray(raw) || raw.length === 0) throw fail('values', `expected a non-empty array of rows, got ${describeValue(raw)}`);
  const height = raw.length;
  const first = raw[0];
  const width = Array.isArray(first) ? first.length : 0;
  if (width === 0) throw fail('values[0]', `expected a non-empty array of numbers, got ${describeValue(first)}`);
  const values = new Float64Array(height * width);
  raw.forEach((row: unknown, y) => {
    if (!Array.isArray(row) || row.length !== width) {
      throw fail(`values[${y}]`, `expected ${plural(width, 'number')}, got ${Array.isArray(row) ? row.length : describeValue(row)}`);
    }
    row.forEach((v: unknown, x) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw fail(`values[${y}][${x}]`, `expected a number, got ${describeValue(v)}`);
      values[y * width + x] = v;
    });
  });
  return { height, width, values };
}

// ---------------------------------------------------------------- resolving

interface ParsedSpec {
  readonly base: string;
  /** Raw `key=value` texts in the order written; undefined when there is no ':'. */
  readonly params: Map<string, string> | undefined;
  /** The spec without whitespace, used as the filter's name. */
  readonly canonical: string;
}

function parseSpec(spec: string): ParsedSpec {
  const canonical = spec.replace(/\s+/g, '');
  const colon = canonical.indexOf(':');
  if (colon < 0) return { base: canonical, params: undefined, canonical };
  const base = canonical.slice(0, colon);
  const text = canonical.slice(colon + 1);
  const params = new Map<string, string>();
  if (text === '') throw new FilterProblem('filter.syntax', 'expected key=value parameters after ":"');
  for (const item of text.split(',')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(item);
    if (!match) throw new FilterProblem('filter.syntax', `expected key=value parameters separated by commas, got "${item}"`);
    if (params.has(match[1])) throw new FilterProblem('filter.param', `parameter "${match[1]}" given twice`, match[1]);
    params.set(match[1], match[2]);
  }
  return { base, params, canonical };
}

function allNames(): string[] {
  return [...presets().keys(), ...Object.keys(GENERATORS), ...Object.keys(BANKS)];
}

/** Builds the CnnxError for a problem with `spec`, placed at `where` when known. */
function toError(spec: string, problem: FilterProblem, where: FilterWhere | undefined, named = true): CnnxError {
  const message = named ? `filter "${spec.trim()}": ${problem.message}` : problem.message;
  return where ? specError(problem.code, where.file, where.path, message) : new CnnxError(problem.code, message);
}

function unknownFilter(base: string): FilterProblem {
  return new FilterProblem('filter.unknown', `unknown filter "${base}"${didYouMean(base, allNames())}; run \`cnnx kernels\` to list them`);
}

/** Resolves a spec string to one or more filters (several for a bank); throws FilterProblem. */
function expand(spec: string): ResolvedFilter[] {
  const parsed = parseSpec(spec);
  const preset = presets().get(parsed.base);
  if (preset) {
    if (parsed.params) {
      throw new FilterProblem('filter.param', `"${parsed.base}" is a preset and takes no parameters; generators with parameters: ${Object.keys(GENERATORS).join(', ')}`);
    }
    const { file: _file, ...filter } = preset;
    return [{ ...filter, values: preset.values.slice() }];
  }
  const generator = own(GENERATORS, parsed.base);
  if (generator) {
    const built = generator.build(validateParams(parsed.base, generator.params, parsed.params ?? new Map()));
    return [{ name: parsed.canonical, description: built.description, source: built.source, ...built.kernel }];
  }
  const bank = own(BANKS, parsed.base);
  if (bank) {
    const text = parsed.params ?? new Map<string, string>();
    return bank.members(validateParams(parsed.base, bank.params, text), text).flatMap(expand);
  }
  throw unknownFilter(parsed.base);
}

/**
 * One named filter: a preset (`sobel-x`) or a generator with parameters
 * (`gaussian:size=5,sigma=1.2`, `gabor:theta=45,size=11`). Errors are CnnxError with codes
 * filter.unknown, filter.param, filter.value, filter.syntax (and filter.bank for a bank name),
 * placed at `where` when given; usage.argument for a spec that is not a string.
 * @example resolveFilter('sobel-x').values // Float64Array(9), row-major
 */
export function resolveFilter(spec: string, where?: FilterWhere): ResolvedFilter {
  checkString(spec, 'resolveFilter: spec', 'a filter name (a string)');
  try {
    const parsed = parseSpec(spec);
    if (own(BANKS, parsed.base)) {
      throw new FilterProblem('filter.bank', `"${parsed.base}" is a bank of several filters; use it as a whole "kernels" value or inside a "kernels" list`);
    }
    return expand(spec)[0];
  } catch (error) {
    if (error instanceof FilterProblem) throw toError(spec, error, where, error.code !== 'filter.unknown');
    throw error;
  }
}

/**
 * The `kernels` value of a conv2d layer: a filter string (a bank generator such as
 * `gabor-bank:thetas=8`, or a single filter) or a list of them (banks inside a list expand in
 * place). Filters of different sizes are zero-padded to the largest height and width: filter
 * rows go from `floor((H - 1) / 2) - floor((h - 1) / 2)`, columns likewise, so each filter's
 * centre, the cell PyTorch's 'same' padding aligns with the output pixel, stays at the centre
 * (exact when all sizes are odd; an even filter in an odd bank gets the extra zero row on top).
 * Errors name `where.path`, with `[i]` appended for list items (no place when `where` is omitted, as in the CLI).
 * @example resolveFilterBank(['sobel-x', 'sobel-y'], { file: 'net.json', path: 'layers[0] (conv2d).kernels' })
 */
export function resolveFilterBank(spec: unknown, where?: FilterWhere): FilterBank {
  const items: { spec: string; where: FilterWhere | undefined }[] = [];
  const fail = (at: FilterWhere | undefined, message: string): CnnxError =>
    toError('', new FilterProblem('filter.bank', message), at, false);
  if (typeof spec === 'string') {
    items.push({ spec, where });
  } else if (Array.isArray(spec) && spec.length > 0) {
    spec.forEach((item: unknown, i) => {
      const itemWhere = where && { file: where.file, path: `${where.path}[${i}]` };
      if (typeof item !== 'string') throw fail(itemWhere, `expected a filter name, got ${describeValue(item)}`);
      items.push({ spec: item, where: itemWhere });
    });
  } else {
    throw fail(where, `expected a filter name or a non-empty list of filter names, got ${describeValue(spec)}`);
  }
  const filters = items.flatMap((item) => {
    try {
      return expand(item.spec);
    } catch (error) {
      if (error instanceof FilterProblem) throw toError(item.spec, error, item.where, error.code !== 'filter.unknown');
      throw error;
    }
  });
  return padBank(filters);
}

/** Stacks filters into one K x H x W array, each centred by the rule documented on resolveFilterBank. */
function padBank(filters: readonly ResolvedFilter[]): FilterBank {
  const height = Math.max(...filters.map((f) => f.height));
  const width = Math.max(...filters.map((f) => f.width));
  const values = new Float32Array(filters.length * height * width);
  filters.forEach((f, k) => {
    const top = Math.floor((height - 1) / 2) - Math.floor((f.height - 1) / 2);
    const left = Math.floor((width - 1) / 2) - Math.floor((f.width - 1) / 2);
    for (let y = 0; y < f.height; y++) {
      for (let x = 0; x < f.width; x++) {
        values[(k * height + top + y) * width + left + x] = f.values[y * f.width + x];
      }
    }
  });
  return { names: filters.map((f) => f.name), height, width, values };
}

/** Every preset in kernels/, sorted by name. */
export function listFilters(): FilterListing[] {
  return [...presets().values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((p) => ({ name: p.name, description: p.description, size: `${p.height}x${p.width}`, height: p.height, width: p.width }));
}

/** True when `spec` names a bank generator (`gabor-bank:thetas=8`), which stands for several filters. */
export function isFilterBank(spec: string): boolean {
  const base = spec.replace(/\s+/g, '').split(':')[0];
  return own(BANKS, base) !== undefined;
}

/** The parametric forms (`gaussian:...`) and bank generators (`gabor-bank:...`). */
export function listGenerators(): GeneratorListing[] {
  const plain = Object.entries(GENERATORS).map(([name, g]) => ({
    name,
    summary: g.summary,
    params: Object.values(g.params).map((d) => d.shown),
    bank: false,
    example: g.example,
  }));
  const banks = Object.entries(BANKS).map(([name, b]) => ({
    name,
    summary: b.summary,
    params: Object.values(b.params).map((d) => d.shown),
    bank: true,
    example: b.example,
  }));
  return [...plain, ...banks];
}
