// A state_dict from a .pth (torch.save) or .safetensors file: every tensor name, and the float32 values of the ones an architecture keeps.
import { CnnxError } from '../errors.js';
import { open, type FileHandle } from 'node:fs/promises';
import { parseSafetensors } from '../io/safetensors.js';
import { readFailure } from '../io/read-file.js';
import { readPth } from './pth.js';
import type { Weight } from './spec-tree.js';

export interface Checkpoint {
  /** How messages name the file. */
  readonly file: string;
  /** Every tensor name, after renaming (see readCheckpoint). */
  readonly names: readonly string[];
  /** The kept tensors, loaded. */
  readonly tensors: ReadonlyMap<string, Weight>;
}

export interface CheckpointOptions {
  /** Maps stored names to the names the architecture uses (e.g. DenseNet's legacy `norm.1` keys). */
  readonly rename?: (name: string) => string;
  /** Which tensors to load (the feature extractor's); the others are only listed. */
  readonly keep: (name: string) => boolean;
}

/**
 * Reads `file` by its extension. Names saved from a DataParallel model (every one starting with
 * `module.`) lose that prefix, as `model.module.state_dict()` would have written them.
 */
export async function readCheckpoint(file: string, display: string, options: CheckpointOptions): Promise<Checkpoint> {
  const lower = file.toLowerCase();
  if (lower.endsWith('.safetensors')) {
    const st = await openSafetensors(file, display);
    try {
      return await collect(display, st.names, options, st.load);
    } finally {
      await st.close();
    }
  }
  if (lower.endsWith('.pth') || lower.endsWith('.pt') || lower.endsWith('.bin') || lower.endsWith('.ckpt')) {
    const pth = await readPth(file, display);
    try {
      return await collect(display, [...pth.tensors.keys()], options, async (name) => {
        const t = pth.tensors.get(name)!;
        return { shape: [...t.shape], data: await t.load() };
      });
    } finally {
      pth.close();
    }
  }
  throw new CnnxError('import.usage', `${display}: expected a PyTorch checkpoint (.pth, .pt) or a .safetensors file`);
}

async function collect(file: string, stored: readonly string[], options: CheckpointOptions, load: (name: string) => Promise<Weight>): Promise<Checkpoint> {
  const strip = stored.length > 0 && stored.every((n) => n.startsWith('module.'));
  const original = new Map<string, string>();
  for (const name of stored) {
    const renamed = (options.rename ?? ((n: string) => n))(strip ? name.slice('module.'.length) : name);
    if (original.has(renamed)) throw new CnnxError('import.checkpoint', `${file}: tensors "${original.get(renamed)}" and "${name}" both stand for "${renamed}"`);
    original.set(renamed, name);
  }
  const tensors = new Map<string, Weight>();
  for (const [name, source] of original) {
    if (options.keep(name)) tensors.set(name, await load(source));
  }
  return { file, names: [...original.keys()], tensors };
}

/**
 * A safetensors checkpoint read by ranges: the header, then only the tensors asked for (a VGG's
 * classifier is most of its file and is never read). Each tensor is decoded by the project's
 * safetensors reader from a one-tensor file of its bytes, so dtypes and sizes get its checks.
 */
async function openSafetensors(file: string, display: string): Promise<{ names: string[]; load: (name: string) => Promise<Weight>; close: () => Promise<void> }> {
  const fail = (reason: string): CnnxError => new CnnxError('safetensors.corrupt', `${display}: not a valid safetensors file: ${reason}`);
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    const { code, reason } = readFailure(error);
    throw new CnnxError(code, `${display}: ${reason}`);
  }
  const read = async (at: number, length: number, out = new Uint8Array(length), into = 0): Promise<Uint8Array> => {
    const { bytesRead } = await handle.read(out, into, length, at);
    if (bytesRead !== length) throw fail(`the file ends at byte ${at + bytesRead}, before the ${length} bytes at ${at} (truncated?)`);
    return out;
  };
  try {
    const size = (await handle.stat()).size;
    if (size < 8) throw fail(`the file is only ${size} bytes`);
    const headerLength = Number(new DataView((await read(0, 8)).buffer).getBigUint64(0, true));
    if (headerLength > Math.min(size - 8, 100_000_000)) throw fail(`header length ${headerLength} runs past the end of the ${size}-byte file`);
    let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    try {
      header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await read(8, headerLength)));
    } catch {
      throw fail('header is not valid UTF-8 JSON');
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) throw fail('header is not a JSON object');
    const start = 8 + headerLength;
    const names = Object.keys(header).filter((n) => n !== '__metadata__');
    const load = async (name: string): Promise<Weight> => {
      const entry = header[name];
      const offsets = entry?.data_offsets;
      if (!Array.isArray(offsets) || offsets.length !== 2 || !(offsets[0] >= 0 && offsets[1] >= offsets[0])) throw fail(`tensor "${name}" has no valid data_offsets`);
      // Before allocating: a lying header may claim any range.
      if (!Number.isSafeInteger(offsets[0]) || !Number.isSafeInteger(offsets[1]) || start + offsets[1] > size) {
        throw fail(`tensor "${name}": data_offsets [${offsets[0]}, ${offsets[1]}] run past the end of the ${size}-byte file (${size - start} bytes of tensor data)`);
      }
      // A one-tensor file around these bytes: the shared reader checks dtype and size and widens to float32.
      const json = new TextEncoder().encode(JSON.stringify({ [name]: { dtype: entry.dtype, shape: entry.shape, data_offsets: [0, offsets[1] - offsets[0]] } }));
      const single = new Uint8Array(8 + json.length + offsets[1] - offsets[0]);
      new DataView(single.buffer).setBigUint64(0, BigInt(json.length), true);
      single.set(json, 8);
      await read(start + offsets[0], offsets[1] - offsets[0], single, 8 + json.length);
      const t = parseSafetensors(single, display).tensor(name);
      return { shape: t.shape, data: t.data };
    };
    return { names, load, close: () => handle.close() };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
