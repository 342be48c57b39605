// Turns errors into one line on stderr and an exit code; the only place that decides how failures look.
import { CnnxError, EXIT, oneLine } from '../errors.js';
import { cliMessage } from './option-names.js';

/** Prints `cnnx: message` for any error; stack traces only with CNNX_DEBUG=1. Returns the exit code. */
export function reportError(error: unknown): number {
  if (error instanceof CnnxError) {
    process.stderr.write(`cnnx: ${cliMessage(error)}\n`);
    return error.exitCode;
  }
  const err = error as Error;
  process.stderr.write(`cnnx: internal error: ${oneLine(err?.message ?? String(error))} (please report it; CNNX_DEBUG=1 shows details)\n`);
  if (process.env.CNNX_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
  return EXIT.internal;
}

/** Writes a line to stderr: progress and summaries never go to stdout, which carries payloads. */
export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * commander's messages as one line in cnnx's style: `unknown command 'aply' (did you mean 'apply'?)`,
 * `--threads 0: expected a positive integer`, `--engine slow: expected one of reference, fast`.
 */
export function commanderMessage(text: string): string {
  const line = text
    .replace(/^error: /, '')
    .replace(/\s*\n\(Did you mean (.+?)\?\)/, " (did you mean '$1'?)")
    .replace(/\s+$/, '');
  const invalid = /^option '(?:-\w, )?(--?[\w-]+)[^']*' argument '(.*)' is invalid\. (.*)$/s.exec(line);
  if (!invalid) return line.replace(/\s*\n\s*/g, '; ');
  const [, flag, value, reason] = invalid;
  const choices = /^Allowed choices are (.*)\.$/.exec(reason);
  return `${flag} ${value}: ${choices ? `expected one of ${choices[1]}` : reason}`;
}
