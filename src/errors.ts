// One error type for everything a user can get wrong; the CLI turns it into one line and an exit code.

/** Exit codes, documented in the README: 0 ok, 1 some inputs failed, 2 usage or spec error. */
export const EXIT = {
  ok: 0,
  inputFailed: 1,
  usage: 2,
  sigint: 130,
  sigterm: 143,
} as const;

/**
 * A failure the user can act on. `message` is complete and names the place
 * (`net.json: layers[2] (maxpool2d).padding: ...`); the CLI prefixes `cnnx: `.
 * `code` is stable (tests and --report assert it); `exitCode` is what the process returns.
 */
export class CnnxError extends Error {
  readonly code: string;
  readonly exitCode: number;

  constructor(code: string, message: string, exitCode: number = EXIT.usage) {
    super(message);
    this.name = 'CnnxError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** An error about a spec file (or a file it names): exit 2, nothing is computed. */
export function specError(code: string, file: string, where: string, message: string): CnnxError {
  return new CnnxError(code, `${file}: ${where ? `${where}: ` : ''}${message}`, EXIT.usage);
}

/** An error about one input (unreadable, corrupt, too small): exit 1, other inputs go on. */
export function inputError(code: string, input: string, message: string): CnnxError {
  return new CnnxError(code, `${input}: ${message}`, EXIT.inputFailed);
}

/** Describes a JSON value for "got ..." parts of messages: `3`, `"same"`, `an object`, `null`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const text = JSON.stringify(value);
    return text.length <= 40 ? text : `an array of ${value.length}`;
  }
  return 'an object';
}
