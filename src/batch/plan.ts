// Decides where each input's outputs go (one file, stdout, or a folder mirroring the input tree) and checks the plan before any work.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CnnxError, EXIT } from '../errors.js';
import type { LayerSelection } from '../network/run.js';
import { INPUT, type Network } from '../network/types.js';
import { mapLimit } from './limit.js';
import type { InputItem } from './walk.js';

export type BatchFormat = 'npy' | 'png' | 'safetensors';

/** Where outputs go: one named file, stdout, or files under a folder. */
export type Destination =
  | { readonly kind: 'file'; readonly path: string; readonly format: BatchFormat }
  | { readonly kind: 'stdout'; readonly format: BatchFormat }
  | { readonly kind: 'folder'; readonly dir: string; readonly format: BatchFormat };

export interface PlannedItem {
  readonly item: InputItem;
  /** Output files in layer order ('-' for stdout); one file for safetensors. */
  readonly outputs: readonly string[];
}

/** The format implied by a file name's extension, or null. */
export function formatOfName(file: string): BatchFormat | null {
  const ext = path.extname(file).toLowerCase();
  return ext === '.npy' ? 'npy' : ext === '.png' ? 'png' : ext === '.safetensors' ? 'safetensors' : null;
}

export interface DestinationRequest {
  readonly output: string;
  readonly format?: BatchFormat;
  readonly inputs: number;
  /** True when inputs came from a folder or a list: output must be a folder even for one input. */
  readonly many: boolean;
  readonly layers: number;
}

export async function chooseDestination(req: DestinationRequest): Promise<Destination> {
  const out = req.output;
  if (out === '-') {
    const format = req.format ?? 'npy';
    if (req.inputs !== 1 || req.many) throw usage(`-o - writes one input to stdout, but there are ${req.inputs} inputs${req.many ? ' (from a folder or list)' : ''}; give a folder (-o out/)`);
    checkOneFile('-o -', format, req.layers);
    return { kind: 'stdout', format };
  }
  const isDir = out.endsWith('/') || out.endsWith(path.sep) || (await stat(out).then((s) => s.isDirectory(), () => false));
  const byName = formatOfName(out);
  if (isDir || !byName) return { kind: 'folder', dir: out, format: req.format ?? 'npy' };
  if (req.inputs !== 1 || req.many) {
    throw usage(`-o ${out} is one file but there are ${req.inputs} inputs${req.many ? ' (from a folder or list)' : ''}; give a folder (-o out/)`);
  }
  if (req.format && req.format !== byName) throw usage(`-o ${out} is a .${byName} file but --format is ${req.format}`);
  checkOneFile(`-o ${out}`, byName, req.layers);
  return { kind: 'file', path: out, format: byName };
}

function checkOneFile(what: string, format: BatchFormat, layers: number): void {
  if (layers > 1 && format !== 'safetensors') {
    throw usage(`${what} is one ${format} file but ${layers} layers were asked for; give a folder (-o out/) or use --format safetensors`);
  }
}

function usage(message: string): CnnxError {
  return new CnnxError('usage.output', message, EXIT.usage);
}

/** Output paths for every item; layer files get a `.NAME` suffix when several layers go to separate files. */
export function planOutputs(items: readonly InputItem[], destination: Destination, net: Network, selection: readonly LayerSelection[]): PlannedItem[] {
  return items.map((item) => ({ item, outputs: outputsOf(item, destination, net, selection) }));
}

/** The file-name suffix of a selected output: its name, or `layerN` for an unnamed node (whose label is a JSON path). */
function outputSuffix(net: Network, s: LayerSelection): string {
  return s.node !== INPUT && net.layers[s.node].name === undefined && s.label === net.layers[s.node].path ? `layer${s.node}` : s.label;
}

function outputsOf(item: InputItem, destination: Destination, net: Network, selection: readonly LayerSelection[]): string[] {
  if (destination.kind === 'file') return [destination.path];
  if (destination.kind === 'stdout') return ['-'];
  const parsed = path.parse(item.relative);
  const at = (suffix: string): string => path.join(destination.dir, parsed.dir, `${parsed.name}${suffix}.${destination.format}`);
  if (destination.format === 'safetensors' || selection.length === 1) return [at('')];
  return selection.map((s) => at(`.${outputSuffix(net, s)}`));
}

/** Refuses (before any work) two inputs that would write the same output file. */
export function checkCollisions(plan: readonly PlannedItem[]): void {
  const seen = new Map<string, string>();
  for (const { item, outputs } of plan) {
    for (const output of outputs) {
      if (output === '-') continue;
      const key = path.resolve(output);
      const other = seen.get(key);
      if (other !== undefined) {
        throw new CnnxError(
          'usage.collision',
          `${other} and ${item.name} would both be written to ${output}; rename one, pass their folder instead, or use --from-list to keep their folders`,
          EXIT.usage,
        );
      }
      seen.set(key, item.name);
    }
  }
}

/** Drops inputs listed twice (the same file by any spelling), keeping the first. */
export function dedupeItems(items: readonly InputItem[]): InputItem[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = item.file === '-' ? '-' : path.resolve(item.file);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Splits the plan into work still to do and items whose every output already exists (--skip-existing). */
export async function partitionExisting(plan: readonly PlannedItem[]): Promise<{ todo: PlannedItem[]; done: PlannedItem[] }> {
  const complete = await mapLimit(plan, 32, async (p) => {
    if (p.outputs.includes('-')) return false;
    for (const output of p.outputs) if (!(await isFile(output))) return false;
    return true;
  });
  return { todo: plan.filter((_, i) => !complete[i]), done: plan.filter((_, i) => complete[i]) };
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then((s) => s.isFile(), () => false);
}
