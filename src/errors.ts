// One error type for everything a user can get wrong; the CLI turns it into one line and an exit code.

/** Exit codes, documented in the README's table: every error code below has one of them. */
export const EXIT = {
  ok: 0,
  inputFailed: 1,
  usage: 2,
  internal: 70,
  sigint: 130,
  /** stdout was a pipe whose reading end closed (`| head`): 128 + SIGPIPE, as a shell shows a process SIGPIPE killed. */
  brokenPipe: 141,
  sigterm: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const spec = EXIT.usage;
const input = EXIT.inputFailed;

/**
 * Every error code cnnx gives, with the exit code it means and what it is about. Codes are stable:
 * tests, `--report` logs and library users match on them. A code is `area.what`.
 */
export const ERROR_CODES = {
  // The spec (exit 2: nothing is computed).
  'spec.read': { exit: spec, meaning: 'the spec file cannot be read' },
  'spec.syntax': { exit: spec, meaning: 'the spec is not valid JSON, or an object in it gives one key twice' },
  'spec.format': { exit: spec, meaning: 'the file given as the spec is something else: an image, a model, an array' },
  'spec.type': { exit: spec, meaning: 'a spec value has the wrong type or is not one of the allowed values' },
  'spec.missing': { exit: spec, meaning: 'a required spec key is absent' },
  'spec.unknown_key': { exit: spec, meaning: 'a spec key cnnx does not know (usually a typo)' },
  'spec.range': { exit: spec, meaning: 'a spec number is outside its allowed range' },
  'spec.shape': { exit: spec, meaning: 'a tensor does not have the shape its layer needs' },
  'spec.conflict': { exit: spec, meaning: 'two spec keys that cannot be given together' },
  'spec.name': { exit: spec, meaning: 'a layer name that is reserved or already taken' },
  'spec.unsupported': { exit: spec, meaning: 'a PyTorch option cnnx does not implement' },
  'spec.limit': { exit: spec, meaning: 'a spec beyond what cnnx can hold: JSON nested too deep, a tensor or feature map too large to allocate' },
  'filter.unknown': { exit: spec, meaning: 'no named filter by that name' },
  'filter.syntax': { exit: spec, meaning: 'a parametric filter string that does not parse' },
  'filter.param': { exit: spec, meaning: 'a filter parameter the generator does not take' },
  'filter.value': { exit: spec, meaning: 'a filter parameter value out of range' },
  'filter.bank': { exit: spec, meaning: 'a filter bank whose filters cannot be combined' },
  'filter.preset': { exit: spec, meaning: 'a preset file of the filter library is invalid' },
  // Files a spec names (exit 2).
  'file.missing': { exit: spec, meaning: 'a file the spec or a command names does not exist' },
  'file.unreadable': { exit: spec, meaning: 'a file exists but cannot be read (also: a folder, a FIFO or a device where a file is needed)' },
  'file.too_large': { exit: spec, meaning: 'a file larger than the read limit (CNNX_MAX_READ_BYTES)' },
  'npy.corrupt': { exit: spec, meaning: 'a .npy file that is not valid' },
  'safetensors.corrupt': { exit: spec, meaning: 'a safetensors file that is not valid' },
  'tensor.format': { exit: spec, meaning: 'a weight file of another format (a PyTorch checkpoint, an ONNX model...)' },
  'tensor.missing': { exit: spec, meaning: 'a safetensors file has no tensor by that name' },
  'tensor.dtype': { exit: spec, meaning: 'a tensor of a dtype cnnx cannot read' },
  // One input (exit 1: the other inputs go on).
  'input.read': { exit: input, meaning: 'an input file cannot be read' },
  'input.decode': { exit: input, meaning: 'an input is not an image or .npy cnnx can decode' },
  'input.shape': { exit: input, meaning: 'a .npy input of the wrong shape' },
  'input.channels': { exit: input, meaning: 'an image given to a network whose input channels are not 1, 3 or 4' },
  'input.too_small': { exit: input, meaning: 'an input the network shrinks to nothing' },
  'input.branch_mismatch': { exit: input, meaning: "an input for which the branches of an add or concat give maps of different sizes" },
  'input.memory': { exit: input, meaning: "an input that does not fit the memory limit even one row at a time, or whose whole run or band needs more than the engine's memory can hold (the fast engine's 4 GiB)" },
  'input.stream': { exit: input, meaning: 'a huge input that cannot be streamed as asked' },
  'input.too_large': { exit: input, meaning: 'an input over the pixel limit (--max-pixels), or an image input.resize makes larger than it' },
  'output.too_large': { exit: input, meaning: 'a report page that would hold more feature-map values than a report can (--format report, serve)' },
  'output.write': { exit: input, meaning: 'an output file cannot be written' },
  'output.embedding_length': { exit: input, meaning: 'an input whose output row has a different length from the rows before it (--format embeddings)' },
  'output.report': { exit: input, meaning: 'the run log cannot be written during the run' },
  'output.pipe': { exit: EXIT.brokenPipe, meaning: 'stdout is a pipe whose reader exited early (e.g. head -c 10): the run stops' },
  // How cnnx was called (exit 2: nothing is computed or written).
  'usage.inputs': { exit: spec, meaning: 'no inputs, or none found' },
  'usage.stdin': { exit: spec, meaning: 'stdin asked for twice' },
  'usage.list': { exit: spec, meaning: 'an input list that cannot be read or is misused' },
  'usage.output': { exit: spec, meaning: 'an output path or format that cannot hold what was asked' },
  'usage.collision': { exit: spec, meaning: 'two inputs that would write the same output, or an output that would replace an input' },
  'usage.layer': { exit: spec, meaning: 'a layer name the network does not have, or "all" where one layer is needed' },
  'usage.memory': { exit: spec, meaning: 'a memory size that does not parse or is too small' },
  'usage.band_rows': { exit: spec, meaning: 'a band height that is not a positive integer' },
  'usage.report': { exit: spec, meaning: 'the run log cannot be created' },
  'usage.kernels': { exit: spec, meaning: 'a filter picture or array asked for without a filter name' },
  'usage.engine': { exit: spec, meaning: 'an engine option that is not valid (kind, threads, algorithm, fma), or a run on a closed engine' },
  'usage.argument': { exit: spec, meaning: 'a library function given an argument of the wrong type or size: null where a network is needed, a size that is not an integer, data whose length does not fit its shape' },
  'usage.size': { exit: spec, meaning: 'an --size the network shrinks to nothing (inspect, where)' },
  'usage.pixel': { exit: spec, meaning: 'a pixel that does not parse or lies outside the map' },
  'usage.where': { exit: spec, meaning: 'neither or both of an output cell and an input pixel' },
  'usage.tolerance': { exit: spec, meaning: 'a tolerance that is not a number >= 0' },
  'usage.serve': { exit: spec, meaning: 'cnnx serve cannot listen where asked, or a file it was given is not a readable file' },
  'render.scale': { exit: spec, meaning: 'a picture scaling that does not parse' },
  'render.cmap': { exit: spec, meaning: 'an unknown colour map' },
  'render.sort': { exit: spec, meaning: 'an unknown tile order' },
  'render.grid': { exit: spec, meaning: 'a grid shape that does not parse or does not fit the channels' },
  'render.input': { exit: spec, meaning: 'overlay pixels that do not match their size' },
  'render.alignment': { exit: spec, meaning: 'an overlay alignment that is not finite and positive' },
  'render.report': { exit: spec, meaning: 'a picture name the HTML page cannot link to' },
  'export.opset': { exit: spec, meaning: 'an ONNX opset out of range, or too old for the network' },
  'export.size': { exit: spec, meaning: 'an export input size that is invalid or too small for the network' },
  'export.unsupported': { exit: spec, meaning: 'a layer option ONNX cannot express' },
  // cnnx import (exit 2: nothing is written).
  'import.usage': { exit: spec, meaning: 'a cnnx import option that is missing, unknown or contradictory' },
  'import.arch': { exit: spec, meaning: 'a checkpoint that does not fit the --arch template (missing, unexpected or misshapen tensors)' },
  'import.checkpoint': { exit: spec, meaning: 'a file given as a PyTorch checkpoint that is not one cnnx can read' },
  'import.pickle': { exit: spec, meaning: "a checkpoint's pickle that does more than weights-only loading allows (refused, never executed)" },
  'import.corrupt': { exit: spec, meaning: 'a truncated or malformed ONNX model' },
  'import.external': { exit: spec, meaning: "an ONNX model's external weight data that is missing, outside its folder or too short" },
  'import.graph': { exit: spec, meaning: 'an ONNX graph cnnx cannot turn into a spec (several inputs, dynamic shapes, branches that do not nest)' },
  'import.unsupported': { exit: spec, meaning: 'an ONNX node whose op (or attribute) cnnx cannot map; --until keeps the graph before it' },
  'import.shape': { exit: spec, meaning: 'a tensor whose shape disagrees with the node that reads it' },
  'import.tensor': { exit: spec, meaning: 'a tensor cnnx cannot read (data type, layout)' },
  'import.spec': { exit: spec, meaning: 'an imported model whose spec cnnx would refuse to load (channels or sizes the graph does not hold)' },
  'import.write': { exit: input, meaning: 'the imported spec or weights cannot be written' },
  'export.write': { exit: spec, meaning: 'the exported file cannot be written' },
  'engine.simd': { exit: spec, meaning: 'this Node.js has no WebAssembly SIMD for the fast engine' },
  'engine.wasm_missing': { exit: spec, meaning: "the fast engine's .wasm is not built" },
  'engine.worker': { exit: spec, meaning: 'a fast engine worker cannot start' },
  // Not a CnnxError: a bug in cnnx.
  internal: { exit: EXIT.internal, meaning: 'an internal error: a bug in cnnx' },
} as const satisfies Record<string, { exit: ExitCode; meaning: string }>;

/** A known error code: a misspelt one does not compile. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * A failure the user can act on. `message` is complete and names the place
 * (`net.json: layers[2] (maxpool2d).padding: ...`); the CLI prefixes `cnnx: `.
 * `code` is stable (tests and --report assert it); `exitCode` is the catalogue's for that code.
 */
export class CnnxError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'CnnxError';
    this.code = code;
    // A code from outside TypeScript that is not in the catalogue is a bug: exit 70.
    this.exitCode = ERROR_CODES[code]?.exit ?? EXIT.internal;
  }
}

/** An error about a spec file (or a file it names), placed at a JSON path when there is one. */
export function specError(code: ErrorCode, file: string, where: string, message: string): CnnxError {
  return new CnnxError(code, `${file}: ${where ? `${where}: ` : ''}${message}`);
}

/** An error about one input (unreadable, corrupt, too small), named first. */
export function inputError(code: ErrorCode, input: string, message: string): CnnxError {
  return new CnnxError(code, `${input}: ${message}`);
}

/**
 * `text` with its control characters as JSON escapes (`a\u0000b`, `x\ny.jpg`): file names may hold
 * line breaks, and an error or progress line that names one must stay one line on a terminal.
 */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => (c === '\u007f' ? '\\u007f' : JSON.stringify(c).slice(1, -1)));
}

/** Describes a JSON value for "got ..." parts of messages: `3`, `"same"`, `an object`, `null`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const text = arrayText(value);
    return text.length <= 40 ? text : `an array of ${value.length}`;
  }
  return 'an object';
}

/** An array as JSON writes it, but a number as it is (1e999 parses to Infinity, which JSON.stringify would print as null). */
function arrayText(value: readonly unknown[]): string {
  return `[${value.map((v) => (Array.isArray(v) ? arrayText(v) : typeof v === 'number' ? String(v) : JSON.stringify(v) ?? 'null')).join(',')}]`;
}
