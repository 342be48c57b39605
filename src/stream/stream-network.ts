// The streamed run: an image of any size through the network band by band, outputs written to .npy files as the bands finish.
import { argumentError, checkArray, checkEngine, checkNetwork, checkNodes, checkOptions, checkString, unexpected } from '../arguments.js';
import { EngineMemoryError, type Engine } from '../engine/engine.js';
import { CnnxError, inputError } from '../errors.js';
import { formatBytes, plural } from '../format.js';
import { writeFileAtomic } from '../io/atomic.js';
import { checkMaxPixels } from '../io/limits.js';
import { inferShapes } from '../network/shapes.js';
import type { Network } from '../network/types.js';
import { drivingHeight, drivingStage, planBands, stageChunks } from './band-plan.js';
import { openImageRows } from './image-rows.js';
import { checkMaxMemory, defaultMaxMemory } from './memory-size.js';
import { NpyBandWriter } from './npy-band-writer.js';
import type { RowSource } from './row-source.js';
import { BandedStage, WholeStage } from './stage-runner.js';
import { splitStages } from './stages.js';

export interface StreamOptions {
  /** Peak resident bytes for the whole process; default defaultMaxMemory(). */
  readonly maxMemory?: number;
  /** Force this many rows per band (of the deepest banded layer's output): tests and the CLI's `--band-rows`. */
  readonly bandRows?: number;
  /** Refuse images with more pixels than this; default no limit. */
  readonly maxPixels?: number;
  /** Folder for the decoded-image temp file; default the OS temp folder. */
  readonly tempDir?: string;
  /** After each band: bands done, bands in all, input-image rows done (MPix/s = rowsDone x width / 1e6 / seconds). */
  readonly onProgress?: (bandsDone: number, bandsTotal: number, rowsDone: number) => void;
}

export interface StreamSummary {
  readonly width: number;
  readonly height: number;
  readonly bandRows: number;
  readonly bands: number;
}

/**
 * Refuses outputs a streamed run cannot write: it writes float32 .npy files band by band, one per
 * requested layer. Call it before the run to fail fast.
 */
export function checkStreamOutputs(outputs: readonly string[], layers: number, name: string): void {
  if (outputs.length !== layers) throw argumentError(`applyStreamed: outputs: ${plural(outputs.length, 'file')} for ${plural(layers, 'layer')}; give one .npy file per layer`);
  for (const file of outputs) {
    if (file === '-') throw new CnnxError('usage.output', `${name}: streamed (huge image) runs write .npy files, not stdout ("-"); give a .npy file name`);
    if (!file.toLowerCase().endsWith('.npy')) {
      throw new CnnxError('usage.output', `${file}: streamed (huge image) runs write .npy only, band by band; a picture of a map this size is not supported: use a .npy output`);
    }
  }
}

/**
 * Runs layers up to max(`layers`) of `net` on the image file `source` in bands that fit
 * `options.maxMemory`, writing layer layers[i] to outputs[i] (.npy, atomically: temp name, then rename).
 * The outputs are bit-identical to a whole-image run of the same engine.
 */
export async function applyStreamed(
  engine: Engine,
  net: Network,
  source: string,
  name: string,
  layers: readonly number[],
  outputs: readonly string[] | string,
  options: StreamOptions = {},
): Promise<StreamSummary> {
  checkEngine(engine, 'applyStreamed: engine');
  checkNetwork(net, 'applyStreamed: net');
  checkString(source, 'applyStreamed: source', 'an image file path (a string)');
  checkString(name, 'applyStreamed: name', 'a name for messages (a string)');
  checkNodes(layers, 'applyStreamed: layers', net);
  const files = typeof outputs === 'string' ? [outputs] : outputs;
  checkArray(files, 'applyStreamed: outputs', 'a .npy file name or an array of them', (file, at) => checkString(file, at, 'a .npy file name'));
  checkStreamOutputs(files, layers.length, name);
  checkOptions(options, 'applyStreamed: options');
  if (options.maxMemory !== undefined) checkMaxMemory(options.maxMemory, 'options.maxMemory');
  checkMaxPixels(options.maxPixels);
  if (options.tempDir !== undefined) checkString(options.tempDir, 'options.tempDir', 'a folder path (a string)');
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw unexpected('options.onProgress', 'a function', options.onProgress);
  if (options.bandRows !== undefined && !(Number.isInteger(options.bandRows) && options.bandRows >= 1)) {
    throw new CnnxError('usage.band_rows', `options.bandRows: expected an integer >= 1, got ${options.bandRows}`);
  }
  const image = await openImageRows(source, name, net.input, { maxPixels: options.maxPixels, tempDir: options.tempDir });
  try {
    return await streamNetwork(engine, net, image, name, layers, files, options);
  } finally {
    await image.close();
  }
}

/**
 * applyStreamed on any row source (an image being read, or a map in memory): the band loop.
 * `files` are .npy paths, one per entry of `layers`.
 */
export async function streamNetwork(
  engine: Engine,
  net: Network,
  image: RowSource,
  name: string,
  layers: readonly number[],
  files: readonly string[],
  options: StreamOptions = {},
): Promise<StreamSummary> {
  checkStreamOutputs(files, layers.length, name);
  const shapes = inferShapes(net, image.shape, name);
  const stages = splitStages(net, image.shape, Math.max(...layers));
  const height = drivingHeight(stages, image.shape);
  // Beside what the process holds: the weights the engine will pack for each stage (not resident yet).
  const baseline = () => process.memoryUsage.rss() + stages.reduce((sum, s) => sum + (engine.weightBytes?.(s.net, s.inShape) ?? 0), 0);
  const plan = options.bandRows === undefined ? planBands(stages, image.shape, options.maxMemory ?? defaultMaxMemory(), baseline(), name, engine) : null;
  const bandRows = Math.min(plan?.bandRows ?? options.bandRows!, height);
  const chunks = plan?.chunks ?? stageChunks(stages, image.shape, bandRows);
  const bands = Math.ceil(height / bandRows);
  try {
    await withAtomicFiles(files, async (temps) => {
      const writers: NpyBandWriter[] = [];
      try {
        for (let i = 0; i < temps.length; i++) writers.push(await NpyBandWriter.create(temps[i], shapes[layers[i]], files[i]));
        const banded: BandedStage[] = [];
        let previous: RowSource = image;
        let whole: WholeStage | null = null;
        for (const [k, stage] of stages.entries()) {
          const own = new Map<number, NpyBandWriter>();
          layers.forEach((layer, i) => {
            if (layer >= stage.first && layer <= stage.last) own.set(layer - stage.first, writers[i]);
          });
          if (stage.kind === 'whole') whole = new WholeStage(engine, stage, previous, own);
          else banded.push((previous = new BandedStage(engine, stage, previous, own, chunks[k])));
        }
        const progress = (rowsDone: number) => options.onProgress?.(Math.ceil(rowsDone / bandRows), bands, Math.round((image.shape.height * rowsDone) / height));
        if (whole) {
          await (whole as WholeStage).run(bandRows, progress);
        } else {
          const k = drivingStage(stages);
          for (let start = 0; start < height; start += bandRows) {
            const end = Math.min(height, start + bandRows);
            await banded[k].compute(stages[k].shapes.length - 1, { start, end });
            progress(end);
          }
        }
        for (const stage of banded) await stage.fillGaps();
        for (const writer of writers.splice(0)) await writer.finish();
      } finally {
        for (const writer of writers) await writer.abandon();
      }
    });
  } catch (error) {
    // The outputs' temp files are gone (withAtomicFiles); the input is named, as a whole run's memory error is.
    if (!(error instanceof EngineMemoryError)) throw error;
    throw inputError('input.memory', name, `a band needs ${formatBytes(error.needed)} of ${engine.kind} engine memory, more than the ${formatBytes(error.limit)} it can hold; a lower options.maxMemory (or options.bandRows) makes the bands smaller`);
  }
  return { width: image.shape.width, height: image.shape.height, bandRows, bands };
}

/** Runs `body` with a temp name for each target; all are renamed into place when it succeeds, removed when it throws. */
async function withAtomicFiles(targets: readonly string[], body: (temps: string[]) => Promise<void>, temps: string[] = []): Promise<void> {
  if (temps.length === targets.length) return body(temps);
  return writeFileAtomic(targets[temps.length], (tmp) => withAtomicFiles(targets, body, [...temps, tmp]));
}
