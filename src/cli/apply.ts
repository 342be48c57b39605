// `cnnx apply NET INPUT... -o OUT`: plans the run (inputs, outputs, checks), then hands it to the batch pipeline; one failed input never stops the others.
import { realpath, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { availableParallelism } from 'node:os';
import { configureSharpForBatch, decodeThreads, defaultJobs } from '../batch/concurrency.js';
import { inlineDecoder, workerDecoder } from '../batch/decode-pool.js';
import type { EmbeddingRunOptions, EmbeddingSink } from '../batch/embedding-sink.js';
import { SinkFailure } from '../batch/sink-failure.js';
import { checkCollisions, chooseDestination, partitionExisting, Plan, type BatchFormat } from '../batch/plan.js';
import { Progress } from '../batch/progress.js';
import { NO_REPORT, openReport, outputField, type ItemRecord } from '../batch/run-log.js';
import { isFolder, SKIP_REASONS } from '../batch/walk.js';
import { Batch } from '../batch/pipeline.js';
import type { Shard } from '../batch/shard.js';
import { exitCodeFor, trapSignals } from '../batch/signals.js';
import { checkStdoutForBinary, readStdin } from '../batch/stdio.js';
import { createEnginePool } from '../batch/engine-pool.js';
import type { EngineKind } from '../engine/engine.js';
import { CnnxError, EXIT } from '../errors.js';
import { selectLayers } from '../network/run.js';
import type { ColormapName } from '../render/colormap.js';
import { checkResizeLimit } from '../io/limits.js';
import { defaultMaxMemory, parseMemorySize } from '../stream/index.js';
import { applyShard, gatherInputs, type GatheredInputs } from './inputs.js';
import { cliMessage } from './option-names.js';
import { loadSpecArgument } from './spec-argument.js';

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
  /** --keep-ext: a.jpg -> a.jpg.npy. */
  readonly keepExt?: boolean;
  /** --part-rows N: rows per embeddings part. */
  readonly partRows?: number;
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
  const net = await loadSpecArgument(specFile, 'cnnx apply NET INPUT... -o OUT');
  const selection = selectLayers(net, options.layer);
  checkResizeLimit(net.file, net.input.resize, options.maxPixels);
  if (!options.output) throw new CnnxError('usage.output', 'apply needs -o OUT: a .npy, .png or .safetensors file, a folder (ending in /), or - for stdout');
  if (options.partRows !== undefined && options.format !== 'embeddings') throw new CnnxError('usage.output', '--part-rows goes with --format embeddings');
  if (options.report) await checkReportTarget(options.report);
  const outputDir = options.output !== '-' && (await isFolder(options.output)) ? await realpath(options.output) : undefined;
  const all = await gatherInputs({ args, fromList: options.fromList, nul: options.null === true, recursive: options.recursive, outputDir });
  const destination = await chooseDestination({ output: options.output, format: options.format, inputs: all.items.length, many: all.many, layers: selection.length });
  const keepExt = options.keepExt === true;
  const fullPlan = new Plan(all.items, destination, net, selection, keepExt);
  checkCollisions(fullPlan, options.report);
  if (destination.kind === 'stdout') checkStdoutForBinary();
  const inputs = applyShard(all, options.shard);
  const sharded = fullPlan.over(inputs.items);
  const jobs = options.jobs ?? defaultJobs();
  const embeddings =
    destination.kind === 'folder' && destination.format === 'embeddings'
      ? await openEmbeddingsSink({
          dir: destination.dir, shard: options.shard, skipExisting: options.skipExisting === true, partRows: options.partRows, jobs,
          identity: { specSha256: net.hash, layer: selection[0].label },
          metadata: { cnnx_version: version, cnnx_spec_name: net.name },
        })
      : null;
  const { todo, done } = embeddings
    ? sharded.partition((i) => embeddings.done.has(sharded.inputs.name(i)))
    : options.skipExisting
      ? await partitionExisting(sharded)
      : sharded.partition(() => false);
  const stdin = todo.inputs.readsStdin() ? await readStdin() : null;
  const maxMemory = options.maxMemory !== undefined ? parseMemorySize(options.maxMemory, '--max-memory') : defaultMaxMemory();
  const report = options.report ? await openReport(options.report) : NO_REPORT;

  configureSharpForBatch();
  // A worker only pays off when there is a next image to decode while this one computes. It starts
  // before the engine's workers are awaited, so the two start-ups overlap.
  const decoder = todo.length > 1 ? workerDecoder(decodeThreads(), net.input, options.maxPixels) : inlineDecoder(net.input, options.maxPixels);
  let engines;
  try {
    engines = await createEnginePool(options.engine, { threads: options.threads, winograd: options.winograd, fma: options.fma, images: todo.length, cores: availableParallelism() });
  } catch (error) {
    await Promise.all([decoder.close(), report.close()]);
    throw error;
  }
  const progress = await Progress.open({ total: todo.length, quiet: options.quiet, verbose: options.verbose === true, skipped: 0 });
  const batch = new Batch({
    net, selection, engines, decoder, format: destination.format, version,
    picture: { scale: options.scale, cmap: options.cmap, sort: options.sort, grid: options.grid, overlay: options.overlay },
    embeddings: embeddings?.sink ?? null, keepExt,
    jobs, failFast: options.failFast === true,
    stdin, progress, report,
    stream: { maxMemory, bandRows: options.bandRows, maxPixels: options.maxPixels },
    describeError: cliMessage,
  });
  // From here to the report in place, a first signal lets the run wind down (the report is kept).
  const signals = trapSignals((signal) => batch.stop(signal), (line) => progress.log(line));
  let end;
  let sinkError: CnnxError | null = null;
  try {
    for (const record of skippedRecords(inputs, done)) {
      progress.record(record);
      report.add(record);
    }
    end = await batch.run(todo);
  } finally {
    try {
      // Rows already in order are complete even when the run failed: their part goes in place.
      sinkError = embeddings ? await closeSink(embeddings.sink) : null;
      batch.settleRows(sinkError);
      progress.stop();
      await Promise.all([engines.close(), decoder.close()]);
      await report.close();
    } finally {
      signals.dispose();
    }
  }
  // A sink failure first met when the last part was put in place is not any input's line yet.
  if (sinkError && sinkError !== end.fatal) process.stderr.write(`cnnx: ${cliMessage(sinkError)}\n`);
  end.fatal ??= sinkError;
  const interrupted = signals.received ? `interrupted by ${signals.received}` : end.stoppedBy ? `stopped (${end.stoppedBy})` : null;
  if (!options.quiet && (all.many || sharded.length > 1 || signals.received)) process.stderr.write(`${progress.summary(interrupted)}\n`);
  if (signals.received) return exitCodeFor(signals.received);
  if (end.fatal?.exitCode === EXIT.brokenPipe) return EXIT.brokenPipe;
  return progress.counts.failed > 0 || end.fatal ? EXIT.inputFailed : EXIT.ok;
}

/** A --report path that can never be renamed into place (a folder) is refused before any work. */
async function checkReportTarget(file: string): Promise<void> {
  const info = await stat(file).catch(() => null);
  if (info?.isDirectory() || file.endsWith('/')) {
    throw new CnnxError('usage.report', `--report ${file}: is a folder; the report is a file, e.g. --report ${path.join(file, 'run.jsonl')}`);
  }
  if (info && !info.isFile()) throw new CnnxError('usage.report', `--report ${file}: is not a regular file; the report is written to a temp name and renamed, so give a file path`);
}

/** The --format embeddings sink: its Parquet modules are imported only by a run that writes parts. */
async function openEmbeddingsSink(options: Omit<EmbeddingRunOptions, 'partRows'> & { partRows?: number }): Promise<{ sink: EmbeddingSink; done: ReadonlySet<string> }> {
  const [{ openEmbeddings }, { DEFAULT_PART_ROWS }] = await Promise.all([import('../batch/embedding-sink.js'), import('../batch/embedding-parts.js')]);
  return openEmbeddings({ ...options, partRows: options.partRows ?? DEFAULT_PART_ROWS });
}

/** Puts the last part in place; a write failure becomes the run's fatal error. */
async function closeSink(sink: EmbeddingSink): Promise<CnnxError | null> {
  try {
    await sink.close();
    return null;
  } catch (error) {
    if (error instanceof SinkFailure) return error.error;
    throw error;
  }
}

/** Report records for inputs passed over before the run: hidden or non-image files, and finished outputs. */
function* skippedRecords(inputs: GatheredInputs, done: Plan): Generator<ItemRecord> {
  for (let i = 0; i < inputs.skipped.length; i++) yield { path: inputs.skipped.name(i), output: null, status: 'skipped', error: SKIP_REASONS[inputs.skipped.tag(i)], ms: 0 };
  for (let i = 0; i < done.length; i++) {
    const p = done.at(i);
    yield { path: p.item.name, output: outputField(p.outputs), status: 'skipped', error: 'output exists', ms: 0 };
  }
}
