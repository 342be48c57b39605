// Standard streams for pipelines: stdin read whole, payloads to stdout (and nothing else ever goes there).
import { CnnxError, inputError } from '../errors.js';
import { readFailure, readStdinCapped } from '../io/read-file.js';

/** Reads all of stdin, within the read limit (CNNX_MAX_READ_BYTES); a device as stdin is refused. Failures name `-` (exit 1). */
export async function readStdin(): Promise<Buffer> {
  try {
    return await readStdinCapped();
  } catch (error) {
    throw inputError('input.read', '-', readFailure(error).reason);
  }
}

/** Refuses to print binary data on a terminal, where it would only garble the screen. */
export function checkStdoutForBinary(): void {
  if (process.stdout.isTTY) {
    throw new CnnxError('usage.output', '-o - writes binary data to stdout, which is a terminal; pipe it or redirect it to a file');
  }
}

/** Writes `bytes` to stdout and resolves once they have been handed to the OS (or rejects, e.g. EPIPE). */
export async function writeStdout(bytes: Uint8Array | readonly Uint8Array[]): Promise<void> {
  for (const chunk of bytes instanceof Uint8Array ? [bytes] : bytes) await writeStdoutChunk(chunk);
}

function writeStdoutChunk(bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    process.stdout.once('error', onError);
    process.stdout.write(bytes, (error) => {
      process.stdout.off('error', onError);
      if (error) reject(error);
      else resolve();
    });
  });
}
