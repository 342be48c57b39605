// `cnnx verify NET INPUT --against EXPECTED.npy`: runs the network and compares one layer with another framework's output (exit 0 pass, 1 fail).
import { createEngine } from '../engine/create.js';
import type { EngineKind } from '../engine/engine.js';
import { formatShape, type Tensor } from '../engine/tensor.js';
import { CnnxError, EXIT } from '../errors.js';
import { readInput } from '../io/image.js';
import { readNpyFile, type NpyArray } from '../io/npy.js';
import { runNetwork, selectionPlace, selectLayers } from '../network/run.js';
import { loadNetwork } from '../network/load.js';

/** The conformance suite's tolerances: |out - expected| <= atol * max(1, max|expected|) + rtol * |expected|. */
export const DEFAULT_ATOL = 1e-4;
export const DEFAULT_RTOL = 1e-4;

export interface VerifyOptions {
  readonly against: string;
  readonly layer?: string;
  readonly atol: number;
  readonly rtol: number;
  readonly engine: EngineKind;
  readonly threads?: number;
  /** --no-winograd: direct convolutions only (see EngineOptions.winograd). */
  readonly winograd?: boolean;
  /** --no-fma: multiply, then add (see EngineOptions.fma). */
  readonly fma?: boolean;
}

/** One notable element: where it is and both values. */
export interface ErrorAt {
  readonly error: number;
  readonly at: readonly [number, number, number];
  readonly actual: number;
  readonly expected: number;
}

export interface Comparison {
  readonly count: number;
  /** Elements whose difference exceeds the allowed one (a NaN on one side only counts). */
  readonly over: number;
  readonly maxExpected: number;
  /** The absolute allowance every element gets: atol * max(1, max|expected|). */
  readonly base: number;
  readonly maxAbs: ErrorAt | null;
  /** Largest |d| / |expected| over elements with expected != 0. */
  readonly maxRel: ErrorAt | null;
  /** Largest |d| / allowed(element): above 1 fails. */
  readonly worst: ErrorAt | null;
}

/** Compares two (C, H, W) arrays of the same shape element by element. */
export function compare(actual: Tensor, expected: Float32Array, atol: number, rtol: number): Comparison {
  const { height: h, width: w } = actual;
  let maxExpected = 0;
  for (const e of expected) if (Number.isFinite(e)) maxExpected = Math.max(maxExpected, Math.abs(e));
  const base = atol * Math.max(1, maxExpected);
  let over = 0;
  let maxAbs: ErrorAt | null = null;
  let maxRel: ErrorAt | null = null;
  let worst: ErrorAt | null = null;
  const at = (i: number) => [Math.floor(i / (h * w)), Math.floor((i % (h * w)) / w), i % w] as const;
  for (let i = 0; i < expected.length; i++) {
    const a = actual.data[i];
    const e = expected[i];
    // Equal values (both NaN, or equal infinities) differ by nothing; a one-sided NaN by infinitely much.
    const d = a === e || (Number.isNaN(a) && Number.isNaN(e)) ? 0 : Number.isNaN(a - e) ? Infinity : Math.abs(a - e);
    const allowed = base + rtol * (Number.isFinite(e) ? Math.abs(e) : 0);
    if (d > allowed) over++;
    if (!maxAbs || d > maxAbs.error) maxAbs = { error: d, at: at(i), actual: a, expected: e };
    if (e !== 0 && Number.isFinite(e) && (!maxRel || d / Math.abs(e) > maxRel.error)) maxRel = { error: d / Math.abs(e), at: at(i), actual: a, expected: e };
    if (!worst || d / allowed > worst.error) worst = { error: d / allowed, at: at(i), actual: a, expected: e };
  }
  return { count: expected.length, over, maxExpected, base, maxAbs, maxRel, worst };
}

/** Short, stable number formatting for the report. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e5 ? String(Number(x.toPrecision(6))) : x.toExponential(3);
}

/** The report's lines for a comparison; the last line is PASS or FAIL. */
export function formatComparison(c: Comparison, atol: number, rtol: number): string[] {
  const where = (e: ErrorAt) => `at (c=${e.at[0]}, y=${e.at[1]}, x=${e.at[2]}): cnnx ${num(e.actual)}, expected ${num(e.expected)}`;
  return [
    `max abs error: ${c.maxAbs ? `${num(c.maxAbs.error)} ${where(c.maxAbs)}` : 'n/a (empty)'}`,
    `max rel error: ${c.maxRel ? `${num(c.maxRel.error)} ${where(c.maxRel)}` : 'n/a (expected is all zero)'}`,
    `worst vs tolerance: ${c.worst ? `${num(c.worst.error)} x allowed ${where(c.worst)}` : 'n/a (empty)'}`,
    `tolerance: |cnnx - expected| <= ${atol} * max(1, ${num(c.maxExpected)}) + ${rtol} * |expected|`,
    `over tolerance: ${c.over} of ${c.count} elements`,
    c.over === 0 ? 'PASS' : `FAIL: ${c.over} of ${c.count} elements over tolerance`,
  ];
}

/** Accepts (C, H, W), a leading batch of 1 (PyTorch's N), or (H, W) for one channel. */
function squeezeShape(shape: readonly number[]): number[] {
  if (shape.length === 4 && shape[0] === 1) return shape.slice(1);
  if (shape.length === 2) return [1, ...shape];
  return [...shape];
}

/** Files that cannot be read mean nothing was compared: a usage error (2), not a failed check (1). */
function asUsage(error: unknown): never {
  if (error instanceof CnnxError && error.exitCode !== EXIT.usage) throw new CnnxError(error.code, error.message, EXIT.usage);
  throw error;
}

/** Runs the check, printing the report with `print`; returns the exit code (0 pass, 1 fail). */
export async function verifyCommand(specFile: string, inputFile: string, options: VerifyOptions, print: (line: string) => void): Promise<number> {
  for (const [name, v] of [['--atol', options.atol], ['--rtol', options.rtol]] as const) {
    if (!Number.isFinite(v) || v < 0) throw new CnnxError('usage.tolerance', `${name}: expected a number >= 0, got ${v}`, EXIT.usage);
  }
  const net = await loadNetwork(specFile);
  if (options.layer === 'all') throw new CnnxError('usage.layer', 'verify compares one layer, not "all"', EXIT.usage);
  const [selected] = selectLayers(net, options.layer === undefined ? [] : [options.layer]);
  const expected: NpyArray = await readNpyFile(options.against).catch(asUsage);
  const input = await readInput(inputFile, inputFile, net.input).catch(asUsage);
  const engine = await createEngine({ kind: options.engine, threads: options.threads, winograd: options.winograd, fma: options.fma });
  let output: Tensor;
  try {
    [{ tensor: output }] = await runNetwork(engine, net, input, [selected], inputFile).catch(asUsage);
  } finally {
    await engine.close();
  }
  const actualShape = [output.channels, output.height, output.width];
  print(`verify: ${selectionPlace(net, selected)} output ${formatShape(output)} on ${inputFile} against ${options.against}`);
  const shape = squeezeShape(expected.shape);
  if (shape.length !== 3 || shape.some((n, i) => n !== actualShape[i])) {
    print(`FAIL: shape mismatch: cnnx gives (${actualShape.join(', ')}), ${options.against} is (${expected.shape.join(', ')})`);
    return EXIT.inputFailed;
  }
  const lines = formatComparison(compare(output, expected.data, options.atol, options.rtol), options.atol, options.rtol);
  for (const line of lines) print(line);
  return lines[lines.length - 1] === 'PASS' ? EXIT.ok : EXIT.inputFailed;
}
