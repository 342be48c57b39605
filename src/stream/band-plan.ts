// Band planning: how much memory a band of a given height takes through every stage, and the tallest band that fits --max-memory.
import { checkNetwork, checkNodes, checkShape, isObject, unexpected } from '../arguments.js';
import type { EngineFootprint, EngineModel } from '../engine/engine.js';
import type { Shape } from '../engine/tensor.js';
import { CnnxError } from '../errors.js';
import { inferShapes } from '../network/shapes.js';
import { INPUT, type Network } from '../network/types.js';
import { nodeRows } from '../engine/band.js';
import { formatBytes } from '../format.js';
import { checkMaxMemory } from './memory-size.js';
import { mapBytes, runBytes, wholeMapRunBytes } from './run-bytes.js';
import { oneRowReads, splitStages, type Stage } from './stages.js';

/** libvips buffers, file-write buffers, allocator slack. */
const HEADROOM = 64 * 2 ** 20;
/** Engine bytes of a band's largest run beyond which a taller band gains nothing (every core is busy) and the fast engine's 4 GiB heap gets close. */
const MAX_BAND_BYTES = 2 ** 30;
/**
 * The same for a network that streams as one stage (filter banks, small convnets): their bands recompute
 * only a few rows of halo, so shorter runs cost little, and they touch less fresh memory (a page fault per
 * 4 KiB on first write). Above twice this, such a network streams even when it fits whole (streamingPays).
 */
const ONE_STAGE_RUN_BYTES = 2 ** 29;
/** Bytes per pixel of the decoded image rows beside their float copy (up to 4 channels of 16 bits). */
const RAW_PIXEL_BYTES = 8;

/** Live bytes per byte of the arrays a band makes: the previous band's are garbage not yet collected. */
const ARRAYS_FACTOR = 2;

/** Halos per run, from the most rows a stage computes per run to the least memory: the first that fits is used. */
const HALO_RUNS = [4, 2, 1, 0];

/** The banded stage whose last layer the driver walks in bands, or -1 when the first stage already runs whole. */
export function drivingStage(stages: readonly Stage[]): number {
  return stages[stages.length - 1].kind === 'banded' ? stages.length - 1 : stages.length - 2;
}

/** Rows of the driving layer's output: what `bandRows` counts. */
export function drivingHeight(stages: readonly Stage[], image: Shape): number {
  const k = drivingStage(stages);
  return k < 0 ? image.height : stages[k].shapes[stages[k].shapes.length - 1].height;
}

/**
 * Output rows each banded stage computes per engine run when the driving layer goes `bandRows` rows
 * at a time: the same share of its own map, and at least `haloRuns` times the rows its halo reads
 * again (each run reads its halo anew: shorter runs spend more on it than on their own rows). A
 * stage asked for more (the first band reads a deep network's whole receptive field) computes them
 * in runs of this many.
 */
export function stageChunks(stages: readonly Stage[], image: Shape, bandRows: number, haloRuns = HALO_RUNS[0]): number[] {
  const height = drivingHeight(stages, image);
  return stages.map((s) => {
    const last = s.shapes.length - 1;
    const h = s.shapes[last].height;
    const scale = s.inShape.height / h;
    const halo = Math.max(0, oneRowReads(s.net, s.shapes, s.inShape.height, last, INPUT) - scale);
    return Math.max(1, Math.min(h, Math.max(Math.ceil((bandRows * h) / height), Math.ceil((haloRuns * halo) / scale))));
  });
}

/**
 * Bytes the banded stages hold when each runs `chunks[k]` rows placed at `at` (0: the top of its map,
 * 1: the bottom): each stage's input rows twice (the rows it reads, and the previous stage's copy it
 * keeps for the next band) and its output rows as arrays, doubled (each band makes new ones, and
 * the last band's wait for the garbage collector), the engine's runs (runBytes; the fast engine's
 * stages run one after another in one heap, so the largest counts, the reference engine's tensors
 * wait for the garbage collector, so all do), and the decoded image rows.
 */
function bandBytes(stages: readonly Stage[], image: Shape, chunks: readonly number[], at: number, engine: EngineModel): { total: number; runs: number } {
  let bytes = 0;
  let runs = 0;
  for (let k = drivingStage(stages); k >= 0; k--) {
    const stage = stages[k];
    const last = stage.shapes.length - 1;
    const n = chunks[k];
    const start = Math.round(at * (stage.shapes[last].height - n));
    const need = nodeRows(stage.net, new Map([[last, { start, end: start + n }]]), stage.shapes, stage.inShape.height);
    const run = runBytes(engine, stage.net, stage.inShape, stage.shapes, need.rows, need.input!, [last]);
    runs = engine.kind === 'fast' ? Math.max(runs, run) : runs + run;
    const inRows = need.input!.end - need.input!.start;
    bytes += ARRAYS_FACTOR * (mapBytes(stage.shapes[last], n) + 2 * mapBytes(stage.inShape, inRows));
    if (k === 0) bytes += inRows * image.width * RAW_PIXEL_BYTES;
  }
  return { total: bytes + runs, runs };
}

/**
 * The largest bandBytes for bands of `count` rows of the driving layer at the top, middle and bottom
 * (border padding can read more): `total`, and `runs`, the engine's part.
 */
export function worstBandBytes(stages: readonly Stage[], image: Shape, count: number, engine: EngineModel, haloRuns = HALO_RUNS[0]): { total: number; runs: number } {
  const chunks = stageChunks(stages, image, count, haloRuns);
  const bands = [0, 0.5, 1].map((at) => bandBytes(stages, image, chunks, at, engine));
  return { total: Math.max(...bands.map((b) => b.total)), runs: Math.max(...bands.map((b) => b.runs)) };
}

/** Bytes a whole-map final stage holds at once: its input map gathered beside the engine, and its run. */
export function wholeStageBytes(stages: readonly Stage[], engine: EngineModel): number {
  const last = stages[stages.length - 1];
  if (last.kind !== 'whole') return 0;
  return mapBytes(last.inShape, last.inShape.height) + wholeMapRunBytes(engine, last.net, last.inShape, last.shapes, [last.shapes.length - 1]);
}

export interface BandPlan {
  /** Rows of the driving layer per band. */
  readonly bandRows: number;
  readonly bands: number;
  /** Output rows per engine run of each stage (stageChunks). */
  readonly chunks: readonly number[];
  /** Estimated peak resident bytes of the process. */
  readonly estimate: number;
}

/**
 * The tallest band (in rows of the driving layer) whose estimated peak stays under `maxMemory`,
 * given `baseline` bytes already resident, with the longest stage runs that fit. Throws a CnnxError
 * naming the input when even one-row bands in the shortest runs do not fit.
 */
export function planBands(stages: readonly Stage[], image: Shape, maxMemory: number, baseline: number, name: string, engine: EngineModel = { kind: 'reference' }): BandPlan {
  const height = drivingHeight(stages, image);
  const fixed = baseline + HEADROOM + wholeStageBytes(stages, engine);
  const maxRun = stages.length === 1 ? ONE_STAGE_RUN_BYTES : MAX_BAND_BYTES;
  const bands = new Map<string, { estimate: number; small: boolean }>();
  /** Bands of `rows` in stage runs of `haloRuns`: the estimated peak, and whether the largest run stays within maxRun. */
  const band = (rows: number, haloRuns: number) => {
    const key = `${rows}:${haloRuns}`;
    if (!bands.has(key)) {
      const worst = worstBandBytes(stages, image, rows, engine, haloRuns);
      bands.set(key, { estimate: fixed + worst.total, small: worst.runs <= maxRun });
    }
    return bands.get(key)!;
  };
  const fits = (h: number) => band(1, h).estimate <= maxMemory;
  const haloRuns = HALO_RUNS.find((h) => fits(h) && band(1, h).small) ?? HALO_RUNS.find(fits);
  if (haloRuns === undefined) {
    const least = band(1, HALO_RUNS[HALO_RUNS.length - 1]).estimate;
    const what = wholeStageBytes(stages, engine) > 0 ? 'a global pool (adaptive pooling, gem) needs its whole input map in memory' : 'even one-row bands do not fit';
    throw new CnnxError('input.memory', `${name}: ${what}: about ${formatBytes(least)} is needed, options.maxMemory is ${formatBytes(maxMemory)}`);
  }
  let lo = 1;
  let hi = height;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const b = band(mid, haloRuns);
    if (b.estimate <= maxMemory && b.small) lo = mid;
    else hi = mid - 1;
  }
  return { bandRows: lo, bands: Math.ceil(height / lo), chunks: stageChunks(stages, image, lo, haloRuns), estimate: band(lo, haloRuns).estimate };
}

/**
 * Estimated peak bytes of a whole-image run on `engine`: decoded pixels, the input tensor,
 * the engine's run, and the output arrays it hands back.
 */
export function wholeRunBytes(net: Network, input: Shape, outputs: readonly number[], engine: EngineModel = { kind: 'reference' }): number {
  const shapes = inferShapes(net, input, '<input>');
  const copies = outputs.reduce((sum, o) => sum + mapBytes(shapes[o], shapes[o].height), 0);
  return input.height * input.width * RAW_PIXEL_BYTES + mapBytes(input, input.height) + wholeMapRunBytes(engine, net, input, shapes, outputs) + copies;
}

/**
 * True when streaming a network that fits whole is faster all the same: it streams as one banded stage
 * (a few rows of halo per band), and its whole run would hold more than two of its bands' runs, most
 * of it memory touched for the first time.
 */
export function streamingPays(net: Network, input: Shape, outputs: readonly number[], engine: EngineModel): boolean {
  const stages = splitStages(net, input, Math.max(...outputs));
  return stages.length === 1 && stages[0].kind === 'banded' && wholeRunBytes(net, input, outputs, engine) > 2 * ONE_STAGE_RUN_BYTES;
}

/**
 * True when a whole-image run of layers up to max(`outputs`) on `engine` would not fit in `maxMemory`
 * beside what the process already holds and the weights the engine has yet to pack, so the caller
 * should use applyStreamed. Without an engine, the reference engine's (larger) estimate.
 */
export function shouldStream(net: Network, input: Shape, maxMemory: number, outputs?: readonly number[], engine: EngineFootprint = { kind: 'reference' }): boolean {
  checkNetwork(net, 'shouldStream: net');
  checkShape(input, 'shouldStream: input');
  checkMaxMemory(maxMemory, 'shouldStream: maxMemory');
  const nodes = outputs === undefined ? [net.layers.length - 1] : outputs;
  checkNodes(nodes, 'shouldStream: outputs', net);
  if (!isObject(engine) || (engine.kind !== 'fast' && engine.kind !== 'reference')) throw unexpected('shouldStream: engine', 'an engine from createEngine()', engine);
  if (engine.threads !== undefined && !(Number.isInteger(engine.threads) && engine.threads >= 1)) throw unexpected('shouldStream: engine.threads', 'an integer >= 1', engine.threads);
  const weights = engine.weightBytes?.(net, input) ?? 0;
  return process.memoryUsage.rss() + HEADROOM + weights + wholeRunBytes(net, input, nodes, engine) > maxMemory;
}
