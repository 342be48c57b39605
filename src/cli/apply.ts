// `cnnx apply NET INPUT... -o OUT`: plans the run (inputs, outputs, checks), then hands it to the batch pipeline; one failed input never stops the others.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { configureSharpForBatch, decodeThreads, defaultJobs } from '../batch/concurrency.js';
import { inlineDecoder, workerDecoder } from '../batch/decode-pool.js';
import { checkCollisions, chooseDestination, formatOfName, partitionExisting, planOutputs, type BatchFormat, type PlannedItem } from '../batch/plan.js';
import { Progress } from '../batch/progress.js';
import { NO_REPORT, openReport, outputField, type ItemRecord } from '../batch/run-log.js';
import { Batch } from '../batch/run.js';
import type { Shard } from '../batch/shard.js';
import { exitCodeFor, trapSignals } from '../batch/signals.js';
import { checkStdoutForBinary, readStdin } from '../batch/stdio.js';
import { createEnginePool } from '../batch/engine-pool.js';
import type { EngineKind } from '../engine/engine.js';
import { CnnxError, EXIT } from '../errors.js';
import { selectLayers } from '../network/run.js';
import type { ColormapName } from '../render/colormap.js';
import { loadNetwork } from '../network/load.js';
import { defaultMaxMemory, parseMemorySize } from '../stream/index.js';
import { applyShard, gatherInputs, type GatheredInputs } from './inputs.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export interface ApplyOptions {
  readonly output?: string;
  readonly layer: readonly string[];
  readonly format?: BatchFormat;
  readonly scale: string;
  readonly cmap?: ColormapName;
  readonly sort?: 'index' | 'energy';
  readonly grid?: { readonly cols?: number; readonly rows?: number };
  readonly overlay?: boolean;
  readonly engine: EngineKind;
  readonly threads?: number;
  /** --no-winograd: direct convolutions only (see EngineOptions.winograd). */
  readonly winograd?: boolean;
  /** --no-fma: multiply, then add (see EngineOptions.fma). */
  readonly fma?: boolean;
  readonly recursive: boolean;
  readonly fromList?: string;
  /** -0: --from-list is NUL-separated. */
  readonly null?: boolean;
  readonly skipExisting?: boolean;
  readonly jobs?: number;
  readonly shard?: Shard;
  readonly report?: string;
  readonly failFast?: boolean;
  readonly maxPixels?: number;
  /** --max-memory SIZE (e.g. 2G): huge images are streamed in bands to stay under it. */
  readonly maxMemory?: string;
  /** --band-rows N: stream every image in bands of N rows (a testing aid; results are identical). */
  readonly bandRows?: number;
  readonly quiet: boolean;
  readonly verbose?: boolean;
}

export async function applyCommand(specFile: string, args: readonly string[], options: ApplyOptions): Promise<number> {
  // Everything that can be wrong with the command is checked before the first decode.
  const net = await loadNetwork(specFile);
  const selection = selectLayers(net, options.layer);
  if (!options.output) throw new CnnxError('usage.output', 'apply needs -o OUT: a .npy, .png or .safetensors file, a folder (ending in /), or - for stdout', EXIT.usage);
  const all = await gatherInputs({ args, fromList: options.fromList, nul: options.null === true, recursive: options.recursive });
  // One image, several layers, a folder: someone wants to look, so pictures and an index.html by default.
  const oneImageReport = all.items.length === 1 && !all.many && selection.length > 1 && formatOfName(options.output) === null && options.output !== '-';
  const format = options.format ?? (oneImageReport ? 'png' : undefined);
  const destination = await chooseDestination({ output: options.output, format, inputs: all.items.length, many: all.many, layers: selection.length });
  const fullPlan = planOutputs(all.items, destination, net, selection);
  checkCollisions(fullPlan);
  if (destination.kind === 'stdout') checkStdoutForBinary();
  const inputs = applyShard(all, options.shard);
  const mine = new Set(inputs.items);
  const sharded = options.shard ? fullPlan.filter((p) => mine.has(p.item)) : fullPlan;
  const { todo, done } = options.skipExisting ? await partitionExisting(sharded) : { todo: sharded, done: [] };
  const stdin = todo.some((p) => p.item.file === '-') ? await readStdin() : null;
  const maxMemory = options.maxMemory !== undefined ? parseMemorySize(options.maxMemory) : defaultMaxMemory();
  const report = options.report ? await openReport(options.report) : NO_REPORT;

  configureSharpForBatch();
  let engines;
  try {
    engines = await createEnginePool(options.engine, { threads: options.threads, winograd: options.winograd, fma: options.fma, images: todo.length, cores: availableParallelism() });
  } catch (error) {
    await report.close();
    throw error;
  }
  // A worker only pays off when there is a next image to decode while this one computes.
  const decoder = todo.length > 1 ? workerDecoder(decodeThreads(), net.input, options.maxPixels) : inlineDecoder(net.input, options.maxPixels);
  const progress = new Progress({ total: todo.length, quiet: options.quiet, verbose: options.verbose === true, skipped: 0 });
  const batch = new Batch({
    net, selection, engines, decoder, format: destination.format, version,
    picture: { scale: options.scale, cmap: options.cmap, sort: options.sort, grid: options.grid, overlay: options.overlay },
    htmlReport: oneImageReport && destination.kind === 'folder' && destination.format === 'png' ? { dir: destination.dir } : null,
    jobs: options.jobs ?? defaultJobs(), failFast: options.failFast === true,
    stdin, progress, report,
    stream: { maxMemory, bandRows: options.bandRows, maxPixels: options.maxPixels },
    winograd: options.engine === 'fast' && options.winograd !== false,
  });
  const signals = trapSignals((signal) => batch.stop(signal), (line) => progress.log(line));
  let end;
  try {
    for (const record of skippedRecords(inputs, done)) {
      progress.record(record);
      report.add(record);
    }
    end = await batch.run(todo);
  } finally {
    signals.dispose();
    progress.stop();
    await Promise.all([engines.close(), decoder.close()]);
    await report.close();
  }
  if (end.fatal) process.stderr.write(`cnnx: stopped: ${end.fatal.message}\n`);
  const interrupted = signals.received ? `interrupted by ${signals.received}` : end.stoppedBy ? `stopped (${end.stoppedBy})` : null;
  if (!options.quiet && (all.many || sharded.length > 1 || interrupted)) process.stderr.write(`${progress.summary(interrupted)}\n`);
  if (signals.received) return exitCodeFor(signals.received);
  return progress.counts.failed > 0 || end.fatal ? EXIT.inputFailed : EXIT.ok;
}

/** Report records for inputs passed over before the run: hidden or non-image files, and finished outputs. */
function skippedRecords(inputs: GatheredInputs, done: readonly PlannedItem[]): ItemRecord[] {
  return [
    ...inputs.skipped.map((s): ItemRecord => ({ path: s.name, output: null, status: 'skipped', error: s.reason, ms: 0 })),
    ...done.map((p): ItemRecord => ({ path: p.item.name, output: outputField(p.outputs), status: 'skipped', error: 'output exists', ms: 0 })),
  ];
}
