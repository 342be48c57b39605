// Decides where each input's outputs go (one file, stdout, or a folder mirroring the input tree) and checks the plan before any work.
import { realpathSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CnnxError } from '../errors.js';
import type { LayerSelection } from '../network/run.js';
import { INPUT, type Network } from '../network/types.js';
import type { InputList } from './input-list.js';
import { forEachLimit } from './limit.js';
import type { InputItem } from './walk.js';

/**
 * What a run writes. In a folder or on stdout the format is --format (npy by default), whatever the
 * number of inputs and layers; a named file says it by its extension. `report` is one
 * self-contained index.html of one input's maps; `embeddings` is one row per input in shared
 * matrices (embedding-sink.ts), not a file per input.
 */
export type BatchFormat = 'npy' | 'png' | 'safetensors' | 'report' | 'embeddings';

/** The formats a named output file can have, by extension. */
const FILE_FORMATS = ['npy', 'png', 'safetensors'] as const;

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
  const ext = path.extname(file).toLowerCase().slice(1);
  return (FILE_FORMATS as readonly string[]).includes(ext) ? (ext as BatchFormat) : null;
}

export interface DestinationRequest {
  readonly output: string;
  readonly format?: BatchFormat;
  readonly inputs: number;
  /** True when inputs came from a folder or a list: output must be a folder even for one input. */
  readonly many: boolean;
  readonly layers: number;
  /** --keep-ext: outputs keep the input's extension (a.jpg -> a.jpg.npy). */
  readonly keepExt?: boolean;
}

export async function chooseDestination(req: DestinationRequest): Promise<Destination> {
  const out = req.output;
  const format = req.format;
  if (out === '-') {
    if (format === 'report' || format === 'embeddings') throw usage(`--format ${format} writes to a folder (-o out/), not to stdout`);
    if (req.inputs !== 1 || req.many) throw usage(`-o - writes one input to stdout, but there are ${req.inputs} inputs${req.many ? ' (from a folder or list)' : ''}; give a folder (-o out/)`);
    checkOneFile('-o -', format ?? 'npy', req.layers);
    return { kind: 'stdout', format: format ?? 'npy' };
  }
  const isDir = out.endsWith('/') || out.endsWith(path.sep) || (await stat(out).then((s) => s.isDirectory(), () => false));
  const byName = formatOfName(out);
  const ext = path.extname(out);
  if (!isDir && !byName && ext !== '') {
    throw usage(`-o ${out}: cnnx does not write ${ext} files; it writes ${FILE_FORMATS.map((f) => `.${f}`).join(', ')} files, or a folder (end the path with / for a folder: -o ${out}/)`);
  }
  if (isDir || !byName) {
    if (format === 'report' && (req.inputs !== 1 || req.many)) {
      throw usage(`--format report shows one input (an index.html of its maps), but there are ${req.inputs} inputs${req.many ? ' (from a folder or list)' : ''}; use --format png for pictures of each`);
    }
    if (format === 'embeddings' && req.layers !== 1) throw usage(`--format embeddings writes one layer per input as a row, but ${req.layers} layers were asked for; give one --layer`);
    return { kind: 'folder', dir: out, format: format ?? 'npy' };
  }
  if (format === 'report' || format === 'embeddings') throw usage(`--format ${format} writes to a folder: -o ${out} is a .${byName} file; give a folder (-o out/)`);
  if (req.inputs !== 1 || req.many) {
    throw usage(`-o ${out} is one file but there are ${req.inputs} inputs${req.many ? ' (from a folder or list)' : ''}; give a folder (-o out/)`);
  }
  if (format && format !== byName) throw usage(`-o ${out} is a .${byName} file but --format is ${format}`);
  checkOneFile(`-o ${out}`, byName, req.layers);
  return { kind: 'file', path: out, format: byName };
}

function checkOneFile(what: string, format: BatchFormat, layers: number): void {
  if (layers > 1 && format !== 'safetensors') {
    throw usage(`${what} is one ${format} file but ${layers} layers were asked for; give a folder (-o out/) or use --format safetensors`);
  }
}

function usage(message: string): CnnxError {
  return new CnnxError('usage.output', message);
}

/**
 * Every input's output paths, made when asked for (a million inputs hold no million plans); layer
 * files get a `.NAME` suffix when several layers go to separate files. Embeddings rows go to shared
 * parts, so their items plan no file of their own.
 */
export class Plan {
  constructor(
    readonly inputs: InputList,
    readonly destination: Destination,
    private readonly net: Network,
    private readonly selection: readonly LayerSelection[],
    private readonly keepExt: boolean,
  ) {}

  get length(): number {
    return this.inputs.length;
  }

  at(i: number): PlannedItem {
    const item = this.inputs.item(i);
    return { item, outputs: outputsOf(item, this.destination, this.net, this.selection, this.keepExt) };
  }

  /** The same plan for other inputs (a shard of these, the ones still to do). */
  over(inputs: InputList): Plan {
    return new Plan(inputs, this.destination, this.net, this.selection, this.keepExt);
  }

  /** The inputs still to do and those `isDone(i)` says are finished, each in this plan's order. */
  partition(isDone: (i: number) => boolean): { todo: Plan; done: Plan } {
    return { todo: this.over(this.inputs.filter((i) => !isDone(i))), done: this.over(this.inputs.filter(isDone)) };
  }
}

/**
 * The file-name suffix of a selected output: its name, or `layerN` for an unnamed node (whose label is a JSON path).
 * Names come from specs and imported models (ONNX names hold slashes: `/layer4/layer4.1/Add`), so path separators and
 * characters file systems refuse become `_`: a name never leads a file out of the output folder.
 */
function outputSuffix(net: Network, s: LayerSelection): string {
  const label = s.node !== INPUT && net.layers[s.node].name === undefined && s.label === net.layers[s.node].path ? `layer${s.node}` : s.label;
  return label.replace(/[/\\:*?"<>|\u0000-\u001f]/g, '_');
}

/** The name an input's outputs start with: its relative path without the extension, or with it (--keep-ext). */
export function outputStem(item: InputItem, keepExt: boolean): string {
  const parsed = path.parse(item.relative);
  return path.join(parsed.dir, keepExt ? parsed.base : parsed.name);
}

function outputsOf(item: InputItem, destination: Destination, net: Network, selection: readonly LayerSelection[], keepExt: boolean): string[] {
  if (destination.kind === 'file') return [destination.path];
  if (destination.kind === 'stdout') return ['-'];
  if (destination.format === 'embeddings') return [];
  // The report is one self-contained page (its maps inside it).
  if (destination.format === 'report') return [path.join(destination.dir, 'index.html')];
  const ext = destination.format;
  const at = (suffix: string): string => path.join(destination.dir, `${outputStem(item, keepExt)}${suffix}.${ext}`);
  if (destination.format === 'safetensors' || selection.length === 1) return [at('')];
  return selection.map((s) => at(`.${outputSuffix(net, s)}`));
}

/**
 * Where a file is, as one key however it is spelled: its folder's real path (symlinks resolved, one
 * call per folder, kept in `folders`) plus its name. A folder not made yet is its nearest existing
 * ancestor's real path plus the rest.
 */
function placeOf(file: string, folders: Map<string, string>): string {
  const absolute = path.resolve(file);
  return path.join(realFolder(path.dirname(absolute), folders), path.basename(absolute));
}

function realFolder(dir: string, folders: Map<string, string>): string {
  let real = folders.get(dir);
  if (real === undefined) {
    try {
      real = realpathSync.native(dir);
    } catch {
      const parent = path.dirname(dir);
      real = parent === dir ? dir : path.join(realFolder(parent, folders), path.basename(dir));
    }
    folders.set(dir, real);
  }
  return real;
}

/**
 * Refuses (before any work) two inputs that would write the same output file, and an output or
 * the --report log that would replace an input file (`-o photos/ --format png` over photos/a.png,
 * `x.npy -o x.npy`) or the log over an output: files are renamed over whatever holds their name,
 * so the input or output would be lost. Paths are compared as places (placeOf): a symlinked folder is
 * the folder it points to.
 */
export function checkCollisions(plan: Plan, report?: string): void {
  const { destination } = plan;
  // The --report log is renamed into place at the end of the run: over an input or an output, it would replace it.
  const folders = new Map<string, string>();
  const reportKey = report === undefined ? null : placeOf(report, folders);
  const reportHint = 'give the log another name';
  // Every output file by resolved path, with the input that writes it (the first, for a file all inputs share).
  // One map, as the duplicate check needs anyway: a million inputs are then checked against it, not held twice.
  const written = new Map<string, { name: string; output: string }>();
  // stdout and shared embeddings parts hold no file named after an input.
  if (destination.kind !== 'stdout' && !(destination.kind === 'folder' && destination.format === 'embeddings')) {
    // One output file and one report page are shared by every input: only the inputs can collide with them.
    const perInput = destination.kind === 'folder' && destination.format !== 'report';
    for (let i = 0; i < plan.length; i++) {
      const { item, outputs } = plan.at(i);
      for (const output of outputs) {
        const key = placeOf(output, folders);
        if (key === reportKey) throw new CnnxError('usage.collision', `--report ${report} would replace ${item.name}'s output ${output}; ${reportHint}`);
        const other = written.get(key);
        if (other === undefined) written.set(key, { name: item.name, output });
        else if (perInput) {
          // Only the extensions differ (a.jpg, a.png): --keep-ext keeps them apart; else their folders would.
          const hint = path.extname(other.name) !== path.extname(item.name) ? 'use --keep-ext (a.jpg -> a.jpg.npy) or rename one' : 'rename one, or pass their common folder instead';
          throw new CnnxError('usage.collision', `${other.name} and ${item.name} would both be written to ${output}; ${hint}`);
        }
      }
    }
  }
  for (let i = 0; i < plan.length; i++) {
    const { file, name } = plan.inputs.item(i);
    if (file === '-') continue;
    const key = placeOf(file, folders);
    if (key === reportKey) throw new CnnxError('usage.collision', `--report ${report} would replace the input ${name}; ${reportHint}`);
    const writer = written.get(key);
    if (writer !== undefined) {
      const hint = destination.kind === 'file' ? 'give another output name' : 'give another output folder (-o), or use --keep-ext (a.png -> a.png.png)';
      throw new CnnxError('usage.collision', `${writer.name}: its output ${writer.output} would replace ${writer.name === name ? 'the input itself' : `the input ${name}`}; ${hint}`);
    }
  }
}

/** Splits the plan into work still to do and items whose every output already exists (--skip-existing). */
export async function partitionExisting(plan: Plan): Promise<{ todo: Plan; done: Plan }> {
  const complete = new Uint8Array(plan.length);
  await forEachLimit(plan.length, 32, async (i) => {
    const { outputs } = plan.at(i);
    if (outputs.includes('-')) return;
    for (const output of outputs) if (!(await isFile(output))) return;
    complete[i] = 1;
  });
  return plan.partition((i) => complete[i] === 1);
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then((s) => s.isFile(), () => false);
}
