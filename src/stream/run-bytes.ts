// What one engine run holds at its peak: the maps it computes as each engine keeps them, and the work buffers that grow with them.
import { nodeRows, type RowRange } from '../engine/band.js';
import type { EngineKind, EngineModel, NodeRows } from '../engine/engine.js';
import { routineFor } from '../engine/fast/routines/index.js';
import type { Shape } from '../engine/tensor.js';
import { INPUT, type Network } from '../network/types.js';

/**
 * Engine bytes per byte runBytes counts. The reference engine keeps a tensor per node until the run
 * ends (and GC lags): twice the sum of every map. The fast engine frees each band after its last
 * reader, so the count is the liveness peak of its maps, with the work buffers that grow with the band
 * as the routine counts them (workBytes); its arena (work buffers of a few L2-sized chunks a thread,
 * descriptors, the gaps first-fit placement leaves between buffers of growing sizes) measured up to
 * 1.35x that on W1-W5 whole and in bands, and up to 1.6x on random stacks and deep 3x3 stacks
 * (test/stream/run-bytes.test.ts).
 */
const ENGINE_FACTOR: Record<EngineKind, number> = { reference: 2, fast: 2 };

/** Bytes of `rows` float32 rows of every channel of a map of shape `s`. */
export const mapBytes = (s: Shape, rows: number): number => s.channels * rows * s.width * 4;

/**
 * Bytes `engine` holds at the peak of a run of `net` computing `rows` of its nodes from `inRows` of
 * its input (shapes: full-map shapes of the input and of each node), keeping `outputs` to the end.
 */
export function runBytes(engine: EngineModel, net: Network, inShape: Shape, shapes: readonly Shape[], rows: NodeRows, inRows: RowRange, outputs: readonly number[]): number {
  const bytes = (j: number) => (j === INPUT ? mapBytes(inShape, inRows.end - inRows.start) : mapBytes(shapes[j], rows[j]!.end - rows[j]!.start));
  const computed = rows.flatMap((r, j) => (r === null ? [] : [j]));
  const factor = ENGINE_FACTOR[engine.kind];
  if (engine.kind === 'reference') return factor * computed.reduce((sum, j) => sum + bytes(j), bytes(INPUT));
  // Liveness, in node order as the fast engine plans: a node's band from its step to its last reader's.
  const readers = new Map<number, number>();
  for (const j of computed) for (const i of net.layers[j].inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  let live = bytes(INPUT);
  let peak = factor * live;
  for (const j of computed) {
    live += bytes(j);
    peak = Math.max(peak, factor * (live + paddedCopyBytes(net, j, inShape, shapes, rows, inRows) + workBytes(net, j, shapes, rows, engine.threads ?? 1)));
    for (const i of net.layers[j].inputs) {
      const left = readers.get(i)! - 1;
      readers.set(i, left);
      if (left === 0 && !outputs.includes(i)) live -= bytes(i);
    }
  }
  return peak;
}

/** runBytes of a whole-map run producing `outputs`: every node they need, all rows. */
export function wholeMapRunBytes(engine: EngineModel, net: Network, inShape: Shape, shapes: readonly Shape[], outputs: readonly number[]): number {
  const need = nodeRows(net, new Map(outputs.map((o) => [o, { start: 0, end: shapes[o].height }])), shapes, inShape.height);
  return runBytes(engine, net, inShape, shapes, need.rows, need.input ?? { start: 0, end: 0 }, outputs);
}

/** A conv that pads, or whose kernel is wider than 1, and a max pool read a padded copy of their input rows while they run. */
function paddedCopyBytes(net: Network, j: number, inShape: Shape, shapes: readonly Shape[], rows: NodeRows, inRows: RowRange): number {
  const layer = net.layers[j];
  let pad: [number, number];
  if (layer.type === 'conv2d') {
    const p = layer.padding;
    if (layer.kernelSize[0] * layer.kernelSize[1] === 1 && p.top + p.bottom + p.left + p.right === 0) return 0;
    pad = [p.top + p.bottom, p.left + p.right];
  } else if (layer.type === 'maxpool2d') {
    pad = [2 * layer.padding[0], 2 * layer.padding[1]];
  } else return 0;
  const i = layer.inputs[0];
  const s = i === INPUT ? inShape : shapes[i];
  const r = i === INPUT ? inRows : rows[i]!;
  return mapBytes({ ...s, width: s.width + pad[1] }, r.end - r.start + pad[0]);
}

/**
 * The work buffers of conv j's routine that can grow with its band (2-D Winograd's V and M on deep layers), as its plan
 * allocates them on `threads` threads, under the default algorithm (one that runs no Winograd holds less).
 */
function workBytes(net: Network, j: number, shapes: readonly Shape[], rows: NodeRows, threads: number): number {
  const layer = net.layers[j];
  if (layer.type !== 'conv2d') return 0;
  return routineFor(layer, 'auto', shapes[j]).workBytes?.(layer, shapes[j], rows[j]!, threads) ?? 0;
}
