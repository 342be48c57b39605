// Loads the NET argument of a command that also takes inputs: an image or array given first is told the order of the arguments.
import { CnnxError } from '../errors.js';
import { HEAD_BYTES, isImageFormat, sniffFormat } from '../io/file-format.js';
import { readHead } from '../io/read-file.js';
import { loadNetwork } from '../network/load.js';
import type { Network } from '../network/types.js';

/** loadNetwork(file); when `file` is an input (an image, a .npy), the message ends with `; the spec comes first: USAGE`. */
export async function loadSpecArgument(file: string, usage: string): Promise<Network> {
  try {
    return await loadNetwork(file);
  } catch (error) {
    if (!(error instanceof CnnxError) || error.code !== 'spec.format') throw error;
    const format = sniffFormat(await readHead(file, HEAD_BYTES).catch(() => new Uint8Array()));
    if (!isImageFormat(format) && format !== 'npy') throw error;
    throw new CnnxError('spec.format', `${error.message}; the spec comes first: ${usage}`);
  }
}
