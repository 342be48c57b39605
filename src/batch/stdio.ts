// Standard streams for pipelines: stdin read whole (within the read limit), payloads to stdout (and nothing else ever goes there), stdout failures as one line.
import { fstatSync, readFileSync, statSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { CnnxError, EXIT, inputError } from '../errors.js';
import { WriteError, writeReason } from '../io/atomic.js';
import { readFailure, readStdinCapped } from '../io/read-file.js';

/** Reads all of stdin, within the read limit (CNNX_MAX_READ_BYTES); a device as stdin is refused. Failures name `-` (exit 1). */
export async function readStdin(): Promise<Buffer> {
  try {
    return await readStdinCapped();
  } catch (error) {
    throw inputError('input.read', '-', readFailure(error).reason);
  }
}

/** Refuses to print binary data on a terminal, where it would only garble the screen, or to a closed stdout. */
export function checkStdoutForBinary(): void {
  if (isatty(1)) {
    throw new CnnxError('usage.output', '-o - writes binary data to stdout, which is a terminal; pipe it or redirect it to a file');
  }
  if (stdoutWasClosed()) throw new CnnxError('usage.output', '-o - writes to stdout, which is closed; redirect it to a file or a pipe');
}

/**
 * True when cnnx was started with stdout closed (`>&-`). Node then opens /dev/null read-write on
 * fd 1 so that writes silently vanish; a shell's `> /dev/null` opens it write-only. Linux only
 * (/proc); elsewhere a closed stdout is not detected.
 */
function stdoutWasClosed(): boolean {
  try {
    const out = fstatSync(1);
    if (!out.isCharacterDevice() || out.rdev !== statSync('/dev/null').rdev) return false;
    const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/fdinfo/1', 'utf8'));
    return flags !== null && (parseInt(flags[1], 8) & 3) === 2;
  } catch {
    return false;
  }
}

/** stdout writes whose failure their caller reports (the 'error' event then needs no handling of its own). */
let payloadErrorsExpected = 0;

/**
 * Writes `bytes` to stdout and resolves once they have been handed to the OS. Rejects with a
 * WriteError for `stdout`: code output.pipe (exit 141) when the reading end of a pipe closed,
 * output.write otherwise (/dev/full: no space left on device).
 */
export async function writeStdout(bytes: Uint8Array | readonly Uint8Array[]): Promise<void> {
  const chunks = bytes instanceof Uint8Array ? [bytes] : bytes;
  if (stdoutIsFile()) {
    for (const chunk of chunks) writeFileChunk(chunk);
    return;
  }
  for (const chunk of chunks) await writeStdoutChunk(chunk);
}

/** stdout redirected to a file or a device (`> out.npy`, `> /dev/full`), where writes are synchronous anyway. */
function stdoutIsFile(): boolean {
  try {
    const out = fstatSync(1);
    return out.isFile() || (out.isCharacterDevice() && !isatty(1));
  } catch {
    return false;
  }
}

/**
 * Node's stream for a file on stdout takes a short write (a nearly full disk) as complete: the
 * rest is written again here, and the next attempt reports the error.
 */
function writeFileChunk(bytes: Uint8Array): void {
  let done = 0;
  try {
    while (done < bytes.length) {
      const n = writeSync(1, bytes, done, bytes.length - done);
      if (n <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      done += n;
    }
  } catch (error) {
    throw stdoutError(error);
  }
}

function writeStdoutChunk(bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    // The stream reports a failed write twice: to this callback, then as an 'error' event, which
    // this listener takes so that handleStdoutErrors leaves it to the caller.
    const onError = (): void => {
      payloadErrorsExpected--;
    };
    payloadErrorsExpected++;
    process.stdout.once('error', onError);
    if (process.stdout.destroyed) {
      process.stdout.off('error', onError);
      payloadErrorsExpected--;
      reject(stdoutError(Object.assign(new Error('stdout is closed'), { code: 'EPIPE' })));
      return;
    }
    process.stdout.write(bytes, (error) => {
      if (error) {
        // A stream destroyed by an earlier failure reports no second 'error' event.
        if ((error as NodeJS.ErrnoException).code === 'ERR_STREAM_DESTROYED') {
          process.stdout.off('error', onError);
          payloadErrorsExpected--;
        }
        reject(stdoutError(error));
        return;
      }
      process.stdout.off('error', onError);
      payloadErrorsExpected--;
      resolve();
    });
  });
}

function stdoutError(error: unknown): WriteError {
  const errno = (error as NodeJS.ErrnoException).code ?? null;
  const pipe = errno === 'EPIPE' || errno === 'ERR_STREAM_DESTROYED';
  return new WriteError('stdout', errno, pipe ? writeReason({ code: 'EPIPE' }) : writeReason(error), pipe ? 'output.pipe' : 'output.write');
}

/**
 * For the CLI, once at start-up: a write error on stdout that no caller reports ends the process.
 * A closed pipe (`cnnx kernels | head -1`) exits quietly with 141, as a process killed by SIGPIPE
 * would show in a shell; any other failure (/dev/full) is one line and exit 1.
 */
export function handleStdoutErrors(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (payloadErrorsExpected > 0) return;
    if (error.code === 'EPIPE') process.exit(EXIT.brokenPipe);
    process.stderr.write(`cnnx: stdout: cannot write: ${writeReason(error)}\n`);
    process.exit(EXIT.inputFailed);
  });
}
