// `cnnx verify NET INPUT --against EXPECTED.npy`: runs the network and compares one layer with another framework's output (exit 0 pass, 1 fail).
import { createEngine } from '../engine/create.js';
import type { EngineKind } from '../engine/engine.js';
import { formatShape, type Tensor } from '../engine/tensor.js';
import { CnnxError, EXIT } from '../errors.js';
import { readInput } from '../io/image.js';
import { readNpyFile, type NpyArray } from '../io/npy.js';
import { runNetwork, selectionPlace, selectLayers } from '../network/run.js';
import { INPUT } from '../network/types.js';
import { compareArrays, formatComparison } from '../verify/compare.js';
import { reportError } from './print-error.js';
import { loadSpecArgument } from './spec-argument.js';

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

/** Runs the check, printing the report with `print`; returns the exit code (0 pass, 1 fail, 2 nothing compared). */
export async function verifyCommand(specFile: string, inputFile: string, options: VerifyOptions, print: (line: string) => void): Promise<number> {
  const net = await loadSpecArgument(specFile, 'cnnx verify NET INPUT --against EXPECTED.npy');
  if (options.layer === 'all') throw new CnnxError('usage.layer', 'verify compares one layer, not "all"');
  const [selected] = selectLayers(net, options.layer === undefined ? [] : [options.layer]);
  let expected: NpyArray;
  let output: Tensor;
  try {
    expected = await readNpyFile(options.against);
    const input = await readInput(inputFile, inputFile, net.input);
    const engine = await createEngine({ kind: options.engine, threads: options.threads, winograd: options.winograd, fma: options.fma });
    try {
      [{ tensor: output }] = await runNetwork(engine, net, input, [selected], inputFile);
    } finally {
      await engine.close();
    }
  } catch (error) {
    // An input that cannot be read or run means nothing was compared: a usage error (2), not a failed check (1).
    if (!(error instanceof CnnxError) || error.exitCode !== EXIT.inputFailed) throw error;
    reportError(error);
    return EXIT.usage;
  }
  print(`verify: ${selected.node === INPUT ? "input tensor" : `${selectionPlace(net, selected)} output`} ${formatShape(output)} on ${inputFile} against ${options.against}`);
  const actual = { shape: [output.channels, output.height, output.width], data: output.data };
  const comparison = compareArrays(actual, expected, { atol: options.atol, rtol: options.rtol });
  for (const line of formatComparison(comparison, { actual: 'cnnx', expected: options.against })) print(line);
  return comparison.pass ? EXIT.ok : EXIT.inputFailed;
}
