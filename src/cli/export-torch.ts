// `cnnx export-torch NET [-o model.py]`: prints (or writes) a runnable PyTorch script for the network.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { CnnxError } from '../errors.js';
import { exportTorch } from '../export/torch.js';
import { writeFileAtomic, writeReason } from '../io/atomic.js';
import { loadNetwork, parseJson } from '../network/load.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** Builds the script for `specFile`; writes it to `output`, or returns it for stdout when `output` is absent. */
export async function exportTorchCommand(specFile: string, output: string | undefined): Promise<string | null> {
  const net = await loadNetwork(specFile);
  // The raw JSON tells {"random"} tensors apart; loadNetwork has already validated it.
  const raw = parseJson(await readFile(specFile, 'utf8'), specFile);
  const text = exportTorch(net, { raw, version });
  if (output === undefined || output === '-') return text;
  try {
    await writeFileAtomic(output, new TextEncoder().encode(text));
  } catch (error) {
    throw new CnnxError('export.write', `${output}: cannot write the PyTorch script: ${writeReason(error)}`);
  }
  return null;
}
