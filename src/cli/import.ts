// `cnnx import`: an ONNX model, or a checkpoint with --arch, to NET.json + NET.safetensors; --list-archs lists the templates.
import path from 'node:path';
import { createRequire } from 'node:module';
import { CnnxError } from '../errors.js';
import { readInputFile } from '../io/read-file.js';
import { checkImported } from '../import/check.js';
import { archByName, importCheckpoint } from '../import/arch-import.js';
import { listArchs } from '../import/archs/index.js';
import { inputBlock, type PreprocessOptions } from '../import/input-block.js';
import { importOnnx } from '../import/onnx-import.js';
import { decodeOnnxModel } from '../import/onnx-model.js';
import { WeightStore, type SpecItem } from '../import/spec-tree.js';
import { weightsFileFor, writeImported } from '../import/write.js';
import { note } from './print-error.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export interface ImportCommandOptions extends PreprocessOptions {
  readonly output?: string;
  readonly arch?: string;
  readonly listArchs?: boolean;
  readonly until?: string;
  readonly prefix?: string;
  readonly name?: string;
  /** false with --no-transform-input. */
  readonly transformInput?: boolean;
}

/** Runs the command; returns lines for stdout (the architecture list); the summary of an import goes to stderr. */
export async function importCommand(model: string | undefined, opts: ImportCommandOptions): Promise<string[]> {
  if (opts.listArchs) return listArchs().map((a) => `${a.name.padEnd(18)} ${a.summary}`);
  if (model === undefined) throw usage('import: give a model (.onnx, or .pth/.safetensors with --arch NAME), or --list-archs');
  if (opts.output === undefined) throw usage('import: -o NET.json is required (the weights go beside it as NET.safetensors)');
  const isOnnx = model.toLowerCase().endsWith('.onnx');
  if (isOnnx && opts.arch !== undefined) throw usage(`--arch is for checkpoints (.pth, .safetensors); ${model} is an ONNX model, which carries its architecture`);
  if (!isOnnx && opts.arch === undefined) throw usage(`${model}: a checkpoint holds weights only: name its architecture with --arch NAME (cnnx import --list-archs)`);
  for (const [flag, value] of [['--until', opts.until], ['--prefix', opts.prefix]] as const) {
    if (!isOnnx && value !== undefined) throw usage(`${flag} is for ONNX models`);
  }
  const transformInput = opts.transformInput !== false;
  if (!transformInput && isOnnx) throw usage(`--no-transform-input is for checkpoints of googlenet and inception_v3; ${model} is an ONNX model, whose graph has its transform_input or not`);

  const store = new WeightStore(weightsFileFor(opts.output));
  let imported: { channels: number; layers: SpecItem[] };
  let source: string;
  let archResize: Readonly<Record<string, number>> | undefined;
  /** Said once the import has succeeded: how names were chosen when the user did not say. */
  let inferred: string | null = null;
  if (isOnnx) {
    const onnx = decodeOnnxModel(await readInputFile(model, model), model);
    const result = importOnnx(onnx, store, { until: opts.until, prefix: opts.prefix });
    if (opts.prefix === undefined && result.prefix) {
      inferred = `${model}: its top-level modules are those of a torchvision model.${result.prefix}: names start with "${result.prefix}." as in torchvision (--prefix '' keeps the exported names)`;
    }
    imported = result;
    source = `ONNX model ${path.basename(model)}${opts.until ? ` up to ${opts.until}` : ''}`;
  } else {
    const arch = archByName(opts.arch!);
    if (!transformInput && !arch.transformInput) throw usage(`--no-transform-input: ${arch.name} has no transform_input (googlenet and inception_v3 have)`);
    imported = await importCheckpoint(model, model, arch, store, { transformInput });
    archResize = arch.resize;
    source = `${arch.name} checkpoint ${path.basename(model)}`;
  }
  const layers = imported.layers;
  const input = inputBlock(imported.channels, opts, isOnnx ? 'none' : 'imagenet', archResize);
  const name = opts.name ?? path.basename(opts.output, path.extname(opts.output));
  const spec = { name, description: `imported by cnnx ${version} from the ${source}`, input, layers };
  await checkImported(model, opts.output, spec, store);
  await writeImported(opts.output, spec, store, { source: path.basename(model), generator: `cnnx ${version} import` });
  const megabytes = (store.bytes / 1e6).toFixed(1);
  if (inferred) note(inferred);
  note(`${opts.output}: ${countLayers(layers)} layers, ${store.all().length} tensors (${megabytes} MB) in ${store.file}`);
  return [];
}

function usage(message: string): CnnxError {
  return new CnnxError('import.usage', message);
}

function countLayers(items: readonly SpecItem[]): number {
  let n = 0;
  for (const item of items) {
    if (item.type === 'sequential') n += countLayers(item.layers as SpecItem[]);
    else if (item.type === 'add' || item.type === 'concat') n += 1 + (item.branches as SpecItem[][]).reduce((a, b) => a + countLayers(b), 0);
    else n++;
  }
  return n;
}
