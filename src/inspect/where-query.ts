// The `where` query as data and as text: the input pixels one output cell depends on, or the output cells one input pixel reaches.
import { formatShape, type Shape } from '../engine/tensor.js';
import { CnnxError } from '../errors.js';
import type { Network } from '../network/types.js';
import { inputRegion, layerShapes, outputRegion, type InputRegion, type Ranges } from './receptive-field.js';
import { layerPlace } from '../network/run.js';

/** Exactly one of an output cell of the layer (`pixel`) or an input pixel (`inputPixel`), as (row, column), 0-based. */
export type WhereQuery = { readonly pixel: readonly [number, number] } | { readonly inputPixel: readonly [number, number] };

interface Answer {
  /** The layer's index and name. */
  readonly layer: number;
  readonly name: string | null;
  /** Its output shape for `input`. */
  readonly output: Shape;
}

/** The input region output cell `pixel` depends on. */
export interface CellAnswer extends Answer, InputRegion {
  readonly pixel: readonly [number, number];
  readonly input: Shape;
}

/** The output cells input pixel `inputPixel` reaches: rows x cols. */
export interface PixelAnswer extends Answer {
  readonly inputPixel: readonly [number, number];
  readonly input: Shape;
  readonly cells: { readonly rows: Ranges; readonly cols: Ranges };
}

function checkInside(option: string, [y, x]: readonly [number, number], shape: Shape, what: string): void {
  if (y >= shape.height || x >= shape.width) {
    throw new CnnxError('usage.pixel', `options.${option} ${y},${x} is outside ${what} ${formatShape(shape)} (rows 0..${shape.height - 1}, cols 0..${shape.width - 1})`);
  }
}

/** Answers `options` for layers[layer] of `net` on an input of shape `input`; a cell or pixel outside its map is a CnnxError. */
export function whereQuery(net: Network, input: Shape, layer: number, options: WhereQuery): CellAnswer | PixelAnswer {
  const output = layerShapes(net, input)[layer];
  const name = net.layers[layer].name ?? null;
  if ('pixel' in options) {
    const [y, x] = options.pixel;
    checkInside('pixel', options.pixel, output, `the ${layerPlace(net.layers[layer])} output`);
    return { layer, name, output, pixel: [y, x], input, ...inputRegion(net, input, layer, y, x) };
  }
  const [y, x] = options.inputPixel;
  checkInside('inputPixel', options.inputPixel, input, 'the input');
  return { layer, name, output, inputPixel: [y, x], input, cells: outputRegion(net, input, layer, y, x) };
}

/** `0..4` or `0..1, 6`: ranges as a person reads them. */
export function formatRanges(r: Ranges): string {
  return r.length === 0 ? 'none' : r.map(([a, b]) => (a === b ? `${a}` : `${a}..${b}`)).join(', ');
}

/** What a non-zero padding mode makes border cells read instead of zeros. */
const PADDING_EFFECT: Record<string, string> = {
  reflect: 'mirrors pixels near the border',
  symmetric: 'mirrors pixels near the border (edge included)',
  replicate: 'repeats the edge pixels',
  circular: 'wraps around to the opposite border',
};

const size = (r: Ranges) => r.reduce((s, [a, b]) => s + b - a + 1, 0);

/** The answer as lines a person reads. */
export function formatWhere(net: Network, answer: CellAnswer | PixelAnswer): string[] {
  const head = `${net.name}: input ${formatShape(answer.input)}, ${layerPlace(net.layers[answer.layer])} output ${formatShape(answer.output)}`;
  if ('pixel' in answer) {
    const [y, x] = answer.pixel;
    const rect = (rows: readonly number[], cols: readonly number[]) => `rows ${rows[0]}..${rows[1]}, cols ${cols[0]}..${cols[1]} (${rows[1] - rows[0] + 1}x${cols[1] - cols[0] + 1})`;
    const lines = [
      head,
      `output cell (y=${y}, x=${x}) depends on input`,
      `  unclipped: ${rect(answer.unclipped.rows, answer.unclipped.cols)}, padded coordinates`,
      `  clipped:   ${answer.clipped ? rect(answer.clipped.rows, answer.clipped.cols) : 'nothing inside the image'}`,
      `  read:      rows ${formatRanges(answer.read.rows)}; cols ${formatRanges(answer.read.cols)} (${size(answer.read.rows)}x${size(answer.read.cols)} pixels exactly)`,
    ];
    if (answer.paddingModes.length) lines.push(`  note: ${answer.paddingModes.map((m) => `${m} padding ${PADDING_EFFECT[m]}`).join(', ')}: "read" lists the pixels actually used`);
    return lines;
  }
  const [y, x] = answer.inputPixel;
  const { rows, cols } = answer.cells;
  if (rows.length === 0 || cols.length === 0) return [head, `input pixel (y=${y}, x=${x}) reaches no output cell: the windows never read it`];
  return [head, `input pixel (y=${y}, x=${x}) reaches output cells`, `  rows ${formatRanges(rows)}; cols ${formatRanges(cols)} (${size(rows)}x${size(cols)} cells)`];
}
