// Band planning: how much memory a band of a given height takes through every stage, and the tallest band that fits --max-memory.
import type { RowRange } from '../engine/band.js';
import type { EngineKind } from '../engine/engine.js';
import type { Shape } from '../engine/tensor.js';
import { CnnxError, EXIT } from '../errors.js';
import { inferShapes } from '../network/shapes.js';
import type { Network } from '../network/types.js';
import { nodeRows } from '../engine/band.js';
import { formatBytes } from './memory-size.js';
import type { Stage } from './stages.js';

/**
 * Live bytes per byte of band maps (every layer's rows counted): the reference engine keeps a tensor
 * per layer until GC, the fast engine fuses relu/pool into its convs and reuses one arena. Measured
 * with bench/gigapixel.mjs (the fast engine peaked at about half of factor 2's estimate); kept generous,
 * it is what keeps RSS under the limit.
 */
const ENGINE_FACTOR: Record<EngineKind, number> = { reference: 2, fast: 1.25 };
/** libvips buffers, file-write buffers, allocator slack. */
const HEADROOM = 64 * 2 ** 20;
/** Beyond this a taller band gains nothing (every core is busy) and the fast engine's 4 GiB heap gets close. */
const MAX_BAND_BYTES = 2 ** 30;
/** Bytes per pixel of the decoded image rows beside their float copy (up to 4 channels of 16 bits). */
const RAW_PIXEL_BYTES = 8;

const mapBytes = (s: Shape, rows: number) => s.channels * rows * s.width * 4;

/** The banded stage whose last layer the driver walks in bands, or -1 when the first stage already runs whole. */
export function drivingStage(stages: readonly Stage[]): number {
  return stages[stages.length - 1].kind === 'banded' ? stages.length - 1 : stages.length - 2;
}

/** Rows of the driving layer's output: what `bandRows` counts. */
export function drivingHeight(stages: readonly Stage[], image: Shape): number {
  const k = drivingStage(stages);
  return k < 0 ? image.height : stages[k].shapes[stages[k].shapes.length - 1].height;
}

/** Bytes of band maps (every layer's rows and each stage's input rows) for `rows` of the driving layer. */
function bandBytes(stages: readonly Stage[], image: Shape, rows: RowRange): number {
  let bytes = 0;
  let r = rows;
  for (let k = drivingStage(stages); k >= 0; k--) {
    const stage = stages[k];
    const last = stage.shapes.length - 1;
    const need = nodeRows(stage.net, new Map([[last, r]]), stage.shapes, stage.inShape.height);
    need.rows.forEach((nr, j) => {
      if (nr) bytes += mapBytes(stage.shapes[j], nr.end - nr.start);
    });
    r = need.input!;
    bytes += mapBytes(stage.inShape, r.end - r.start);
    if (stage.wrap) {
      // The same number of rows of the previous map, somewhere in it (wrap pieces are read one by one).
      const n = stage.inShape.height - stage.wrap.top - stage.wrap.bottom;
      const start = Math.min(Math.max(r.start - stage.wrap.top, 0), n - 1);
      r = { start, end: Math.min(n, start + (r.end - r.start)) };
    }
  }
  return bytes + (r.end - r.start) * image.width * RAW_PIXEL_BYTES;
}

/** The largest band-map bytes over bands of `count` rows at the top, middle and bottom (border padding can read more). */
export function worstBandBytes(stages: readonly Stage[], image: Shape, count: number): number {
  const height = drivingHeight(stages, image);
  const n = Math.min(count, height);
  const starts = [0, Math.floor((height - n) / 2), height - n];
  return Math.max(...starts.map((start) => bandBytes(stages, image, { start, end: start + n })));
}

/** Bytes a whole-map final stage holds at once: its input map and every output map of its layers. */
export function wholeStageBytes(stages: readonly Stage[]): number {
  const last = stages[stages.length - 1];
  if (last.kind !== 'whole') return 0;
  return mapBytes(last.inShape, last.inShape.height) + last.shapes.reduce((sum, s) => sum + mapBytes(s, s.height), 0);
}

export interface BandPlan {
  /** Rows of the driving layer per band. */
  readonly bandRows: number;
  readonly bands: number;
  /** Estimated peak resident bytes of the process. */
  readonly estimate: number;
}

/**
 * The tallest band (in rows of the driving layer) whose estimated peak stays under `maxMemory`,
 * given `baseline` bytes already resident. Throws a CnnxError naming the input when even one row does not fit.
 */
export function planBands(stages: readonly Stage[], image: Shape, maxMemory: number, baseline: number, name: string, engine: EngineKind = 'reference'): BandPlan {
  const height = drivingHeight(stages, image);
  const factor = ENGINE_FACTOR[engine];
  const fixed = baseline + HEADROOM + factor * wholeStageBytes(stages);
  const estimate = (rows: number) => fixed + factor * worstBandBytes(stages, image, rows);
  if (estimate(1) > maxMemory) {
    const what = wholeStageBytes(stages) > 0 ? 'adaptive pooling needs its whole input map in memory' : 'even one-row bands do not fit';
    throw new CnnxError('input.memory', `${name}: ${what}: about ${formatBytes(estimate(1))} is needed, --max-memory is ${formatBytes(maxMemory)}`, EXIT.inputFailed);
  }
  let lo = 1;
  let hi = height;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (estimate(mid) <= maxMemory && worstBandBytes(stages, image, mid) <= MAX_BAND_BYTES) lo = mid;
    else hi = mid - 1;
  }
  return { bandRows: lo, bands: Math.ceil(height / lo), estimate: estimate(lo) };
}

/** Estimated peak bytes of a whole-image run: decoded pixels, the input tensor, every layer's map and the encoded outputs. */
export function wholeRunBytes(net: Network, input: Shape, outputs: readonly number[]): number {
  const shapes = inferShapes(net, input, '<input>');
  const last = Math.max(...outputs);
  let bytes = input.height * input.width * RAW_PIXEL_BYTES + mapBytes(input, input.height);
  for (let i = 0; i <= last; i++) bytes += mapBytes(shapes[i], shapes[i].height) * (outputs.includes(i) ? 2 : 1);
  return bytes;
}

/**
 * True when a whole-image run of layers up to max(`outputs`) would not fit in `maxMemory` beside what
 * the process already holds, so the caller should use applyStreamed.
 */
export function shouldStream(net: Network, input: Shape, maxMemory: number, outputs: readonly number[] = [net.layers.length - 1]): boolean {
  return process.memoryUsage().rss + HEADROOM + wholeRunBytes(net, input, outputs) > maxMemory;
}
