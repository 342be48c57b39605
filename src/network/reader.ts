// Reads one JSON object of a spec with typed getters; every error names file and JSON path, unknown keys are errors.
import { CnnxError, describeValue, specError, type ErrorCode } from '../errors.js';
import { closest, didYouMean } from './suggest.js';
import type { Pair } from './types.js';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Wraps a raw JSON object found at `where` (e.g. `layers[2] (maxpool2d)`) in `file`.
 * Getters record which keys were read, so `finish()` can reject the rest as typos.
 */
export class ObjectReader {
  private readonly seen = new Set<string>();

  constructor(
    readonly file: string,
    readonly where: string,
    readonly raw: Record<string, unknown>,
  ) {}

  /** The JSON path of a key, as the user spells it: `layers[2] (maxpool2d).kernel_size`. */
  pathOf(key: string): string {
    return this.where ? `${this.where}.${key}` : key;
  }

  /** An error about `key` (or about the object itself when key is empty). */
  error(key: string, message: string, code: ErrorCode): CnnxError {
    return specError(code, this.file, key ? this.pathOf(key) : this.where, message);
  }

  /** An "expected X, got Y" error about `key`. */
  expected(key: string, what: string, code: ErrorCode = 'spec.type'): CnnxError {
    return this.error(key, `expected ${what}, got ${describeValue(this.raw[key])}`, code);
  }

  has(key: string): boolean {
    this.seen.add(key);
    return this.raw[key] !== undefined;
  }

  /** The raw value, marking the key as known. */
  get(key: string): unknown {
    this.seen.add(key);
    return this.raw[key];
  }

  require(key: string): unknown {
    const value = this.get(key);
    if (value === undefined) {
      // A missing key is often a misspelt one: point at it rather than only saying what is absent.
      const typo = closest(key, Object.keys(this.raw).filter((k) => !this.seen.has(k)));
      throw this.error(key, `is required${typo ? ` (is "${typo}" a typo?)` : ''}`, 'spec.missing');
    }
    return value;
  }

  int(key: string, options: { min?: number; max?: number; default?: number } = {}): number {
    const value = options.default === undefined ? this.require(key) : this.get(key) ?? options.default;
    const min = options.min ?? -Infinity;
    const max = options.max ?? Infinity;
    // Safe integers only: 1e308 is an integer to JavaScript, but no size or count cnnx computes with.
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw this.expected(key, describeIntRange(min, max));
    if (value < min || value > max) throw this.expected(key, describeIntRange(min, max), 'spec.range');
    return value;
  }

  number(key: string, options: { default?: number; positive?: boolean } = {}): number {
    const value = options.default === undefined ? this.require(key) : this.get(key) ?? options.default;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw this.expected(key, 'a number');
    if (options.positive && !(value > 0)) throw this.expected(key, 'a number greater than 0', 'spec.range');
    return value;
  }

  bool(key: string, fallback: boolean): boolean {
    const value = this.get(key) ?? fallback;
    if (typeof value !== 'boolean') throw this.expected(key, 'true or false');
    return value;
  }

  string(key: string, fallback?: string): string {
    const value = fallback === undefined ? this.require(key) : this.get(key) ?? fallback;
    if (typeof value !== 'string') throw this.expected(key, 'a string');
    return value;
  }

  optionalString(key: string): string | undefined {
    const value = this.get(key);
    if (value !== undefined && typeof value !== 'string') throw this.expected(key, 'a string');
    return value as string | undefined;
  }

  oneOf<T extends string>(key: string, choices: readonly T[], fallback: T): T {
    const value = this.get(key) ?? fallback;
    if (typeof value !== 'string' || !choices.includes(value as T)) {
      const hint = typeof value === 'string' ? didYouMean(value, choices) : '';
      throw this.error(key, `expected one of ${choices.join(', ')}, got ${describeValue(value)}${hint}`, 'spec.type');
    }
    return value as T;
  }

  /** An int or an [h, w] pair of ints (PyTorch's `_pair`). */
  pair(key: string, options: { min?: number; default?: Pair } = {}): Pair {
    const value = options.default === undefined ? this.require(key) : this.get(key);
    if (value === undefined) return options.default as Pair;
    const min = options.min ?? -Infinity;
    const what = `an integer or [h, w] of integers${min > -Infinity ? ` >= ${min}` : ''}`;
    const values = typeof value === 'number' ? [value, value] : value;
    if (!Array.isArray(values) || values.length !== 2 || !values.every((v) => typeof v === 'number' && Number.isSafeInteger(v))) {
      throw this.expected(key, what);
    }
    if (values.some((v) => v < min)) throw this.expected(key, what, 'spec.range');
    return [values[0], values[1]];
  }

  /** Rejects keys that no getter asked for, with a did-you-mean among those that were. */
  finish(extraKnown: readonly string[] = []): void {
    for (const key of extraKnown) this.seen.add(key);
    for (const key of Object.keys(this.raw)) {
      if (!this.seen.has(key)) {
        throw this.error(key, `unknown key${didYouMean(key, this.seen)}`, 'spec.unknown_key');
      }
    }
  }
}

function describeIntRange(min: number, max: number): string {
  if (min > -Infinity && max < Infinity) return `an integer from ${min} to ${max}`;
  if (min > -Infinity) return `an integer >= ${min}`;
  if (max < Infinity) return `an integer <= ${max}`;
  return 'an integer';
}
