// Splits a network into stages a streamed run can execute: banded runs of layers, cut where a layer cannot take a band as is
// and where a stage's halo grows.
import type { Shape } from '../engine/tensor.js';
import { nodeRows } from '../engine/band.js';
import { inferShapes, inputShapes, nodeShape } from '../network/shapes.js';
import { INPUT, type Layer, type Network } from '../network/types.js';

/**
 * Nodes first..last (global indices) run as one engine call per band (`banded`) or once on the whole
 * map (`whole`). A banded stage that starts with a circular conv gets its input through
 * `circularPadSource(previous, wrap.top, wrap.bottom)` and runs that conv with zero vertical padding:
 * the wrap rows come from the far border of the map, which no contiguous band can hold.
 */
export interface Stage {
  readonly kind: 'banded' | 'whole';
  readonly first: number;
  readonly last: number;
  /** The stage's nodes as a network the engines run, indexed from 0 (created once: the fast engine caches per network). */
  readonly net: Network;
  readonly wrap: { readonly top: number; readonly bottom: number } | null;
  /** The stage's input: the previous stage's output, taller by the wrap rows. */
  readonly inShape: Shape;
  /** Full-map output shape of each of the stage's nodes. */
  readonly shapes: readonly Shape[];
}

/** Circular convs that pad rows: their top rows read the bottom of the map. */
function wrapsRows(layer: Layer): boolean {
  return layer.type === 'conv2d' && layer.paddingMode === 'circular' && (layer.padding.top > 0 || layer.padding.bottom > 0);
}

/** Adaptive pooling to a fixed height and gem: an output row reads a fraction of the whole map, so it runs whole. */
export function needsWholeMap(layer: Layer): boolean {
  if (layer.type === 'gem') return true;
  return (layer.type === 'adaptive_avgpool2d' || layer.type === 'adaptive_maxpool2d') && layer.outputSize[0] !== null;
}

/**
 * True when the network can be cut after node e: every node past e reads only e or later nodes, so
 * a stage starting at e + 1 needs nothing but e's map (e = -1: the network's input).
 */
function cleanCut(net: Network, e: number, last: number): boolean {
  for (let k = e + 1; k <= last; k++) for (const j of net.layers[k].inputs) if (j < e) return false;
  return true;
}

/** Stages covering nodes 0..last of `net` for an input of `input` shape (shapes already checked by inferShapes). */
export function splitStages(net: Network, input: Shape, last: number): Stage[] {
  const shapes = inferShapes(net, input, '<input>');
  const stages: Stage[] = [];
  let first = 0;
  let inShape = input;
  // A layer that must start a stage (a circular conv, or one that needs its whole input) inside a branch
  // has no clean cut before it: the stage from the last clean cut on runs whole.
  const cutBefore = (k: number) => cleanCut(net, k - 1, last);
  while (first <= last) {
    if (needsWholeMap(net.layers[first])) {
      stages.push(makeStage(net, 'whole', first, last, null, inShape));
      break;
    }
    let end = first;
    while (end + 1 <= last && !wrapsRows(net.layers[end + 1]) && !needsWholeMap(net.layers[end + 1])) end++;
    if (end < last && !cutBefore(end + 1)) {
      stages.push(makeStage(net, 'whole', first, last, null, inShape));
      break;
    }
    const head = net.layers[first];
    let wrap = head.type === 'conv2d' && wrapsRows(head) ? { top: head.padding.top, bottom: head.padding.bottom } : null;
    for (const stop of haloCuts(net, shapes, input, first, end, last)) {
      const stage = makeStage(net, 'banded', first, stop, wrap, wrap ? { ...inShape, height: inShape.height + wrap.top + wrap.bottom } : inShape);
      stages.push(stage);
      inShape = stage.shapes[stage.shapes.length - 1];
      first = stop + 1;
      wrap = null;
    }
  }
  return stages;
}

/**
 * Rows of its input one row of a banded stage's last node may read, beyond which the stage is cut
 * in two. Every band recomputes its stage's halo, and halos grow with depth (Winograd tiles round
 * each layer's rows up to whole tiles). Cut stages compute each output row once (BandedStage keeps
 * the rows the next band reads again), so a deep network's bands cost little more than a whole run.
 * Cuts go before a conv: the layers a conv fuses stay in its stage.
 */
const CUT_HALO = 32;

/** The last node of each stage nodes first..end are cut into: stages whose halos stay within CUT_HALO where cuts allow. */
function haloCuts(net: Network, shapes: readonly Shape[], input: Shape, first: number, end: number, last: number): number[] {
  const stops: number[] = [];
  let start = first;
  let candidate = -1;
  for (let e = first; e <= end; e++) {
    if (e < end && !(net.layers[e + 1].type === 'conv2d' && cleanCut(net, e, last))) continue;
    if (candidate >= start && oneRowReads(net, shapes, input.height, e, start - 1) > CUT_HALO) {
      stops.push(candidate);
      start = candidate + 1;
    }
    candidate = e;
  }
  stops.push(end);
  return stops;
}

/**
 * Rows of node `from` (INPUT: the network's input, of `inputHeight` rows) that one row in the middle of
 * node `e`'s map reads, through every path: a halo's size, border effects aside.
 */
export function oneRowReads(net: Network, shapes: readonly Shape[], inputHeight: number, e: number, from: number): number {
  const mid = Math.floor(shapes[e].height / 2);
  const need = nodeRows(net, new Map([[e, { start: mid, end: mid + 1 }]]), shapes, inputHeight);
  const rows = from === INPUT ? need.input : need.rows[from];
  return rows === null ? 0 : rows.end - rows.start;
}

/** Nodes first..last as a network of their own: indices from 0, and node first - 1 (the stage's input) as INPUT. */
function makeStage(net: Network, kind: Stage['kind'], first: number, last: number, wrap: Stage['wrap'], inShape: Shape): Stage {
  const layers = net.layers.slice(first, last + 1).map((layer, i): Layer => {
    const inputs = layer.inputs.map((j) => (j === first - 1 ? INPUT : j - first));
    // The wrap rows are in the input band, so the conv itself pads no rows (columns still wrap).
    if (i === 0 && wrap && layer.type === 'conv2d') return { ...layer, index: i, inputs, padding: { ...layer.padding, top: 0, bottom: 0 } };
    return { ...layer, index: i, inputs };
  });
  const shapes: Shape[] = [];
  for (const layer of layers) {
    const out = nodeShape(layer, inputShapes(layer, inShape, shapes));
    if (typeof out === 'string') throw new RangeError(`${layer.path}: ${out}`);
    shapes.push(out);
  }
  return { kind, first, last, net: { ...net, layers, groups: [], names: new Map() }, wrap, inShape, shapes };
}
