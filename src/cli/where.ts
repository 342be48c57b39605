// `cnnx where NET --layer L --pixel Y,X` (input region of one output cell) and `--input-pixel Y,X` (output cells that see one input pixel).
import { formatShape, type Shape } from '../engine/tensor.js';
import { CnnxError, EXIT } from '../errors.js';
import { inputRegion, layerShapes, outputRegion, type Ranges } from '../inspect/receptive-field.js';
import { selectionPlace, selectLayers } from '../network/run.js';
import { INPUT, type Network } from '../network/types.js';

export interface WhereOptions {
  readonly layer?: string;
  readonly pixel?: [number, number];
  readonly inputPixel?: [number, number];
  readonly json: boolean;
}

/** Parses `Y,X` (non-negative integers) for --pixel and --input-pixel. */
export function parsePixel(value: string): [number, number] {
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(value);
  if (!m) throw new CnnxError('usage.pixel', `expected Y,X (row, column; 0-based), got "${value}"`, EXIT.usage);
  return [Number(m[1]), Number(m[2])];
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

const count = (r: Ranges) => r.reduce((s, [a, b]) => s + b - a + 1, 0);

function checkInside(option: string, [y, x]: [number, number], shape: Shape, what: string): void {
  if (y >= shape.height || x >= shape.width) {
    throw new CnnxError('usage.pixel', `${option} ${y},${x} is outside ${what} ${formatShape(shape)} (rows 0..${shape.height - 1}, cols 0..${shape.width - 1})`, EXIT.usage);
  }
}

/** Runs the command and returns the lines (or one JSON document) to print. */
export function whereCommand(net: Network, size: [number, number], options: WhereOptions): string {
  if ((options.pixel === undefined) === (options.inputPixel === undefined)) {
    throw new CnnxError('usage.where', 'where needs exactly one of --pixel Y,X (an output cell) or --input-pixel Y,X (an input pixel)', EXIT.usage);
  }
  if (options.layer === 'all') throw new CnnxError('usage.layer', 'where takes one layer, not "all"', EXIT.usage);
  const [selected] = selectLayers(net, options.layer === undefined ? [] : [options.layer]);
  if (selected.node === INPUT) throw new CnnxError('usage.layer', 'where needs a layer, not the input: every input pixel is its own receptive field', EXIT.usage);
  const index = selected.node;
  const input: Shape = { channels: net.input.channels, height: size[0], width: size[1] };
  const shape = layerShapes(net, input)[index];
  const layer = net.layers[index];
  const place = selectionPlace(net, selected);
  const head = `${net.name}: input ${formatShape(input)}, ${place} output ${formatShape(shape)}`;

  if (options.pixel) {
    const [y, x] = options.pixel;
    checkInside('--pixel', options.pixel, shape, `the ${place} output`);
    const r = inputRegion(net, input, index, y, x);
    if (options.json) return JSON.stringify({ layer: index, name: layer.name ?? null, output: shape, pixel: [y, x], input, ...r }, null, 2);
    const rect = (rows: readonly number[], cols: readonly number[]) => `rows ${rows[0]}..${rows[1]}, cols ${cols[0]}..${cols[1]} (${rows[1] - rows[0] + 1}x${cols[1] - cols[0] + 1})`;
    const lines = [
      head,
      `output cell (y=${y}, x=${x}) depends on input`,
      `  unclipped: ${rect(r.unclipped.rows, r.unclipped.cols)}, padded coordinates`,
      `  clipped:   ${r.clipped ? rect(r.clipped.rows, r.clipped.cols) : 'nothing inside the image'}`,
      `  read:      rows ${formatRanges(r.read.rows)}; cols ${formatRanges(r.read.cols)} (${count(r.read.rows)}x${count(r.read.cols)} pixels exactly)`,
    ];
    if (r.paddingModes.length) lines.push(`  note: ${r.paddingModes.map((m) => `${m} padding ${PADDING_EFFECT[m]}`).join(', ')}: "read" lists the pixels actually used`);
    return lines.join('\n');
  }
  const [y, x] = options.inputPixel as [number, number];
  checkInside('--input-pixel', [y, x], input, 'the input');
  const r = outputRegion(net, input, index, y, x);
  if (options.json) return JSON.stringify({ layer: index, name: layer.name ?? null, output: shape, inputPixel: [y, x], input, cells: r }, null, 2);
  if (r.rows.length === 0 || r.cols.length === 0) return [head, `input pixel (y=${y}, x=${x}) reaches no output cell: the windows never read it`].join('\n');
  return [
    head,
    `input pixel (y=${y}, x=${x}) reaches output cells`,
    `  rows ${formatRanges(r.rows)}; cols ${formatRanges(r.cols)} (${count(r.rows)}x${count(r.cols)} cells)`,
  ].join('\n');
}
