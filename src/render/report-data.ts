// The data the HTML report's script draws from: the input photo, each map's values as compact codes (or how to derive them), filters, and the read tables that answer `where` in the page.
import sharp from 'sharp';
import type { Shape, Tensor } from '../engine/tensor.js';
import { readTables } from '../inspect/receptive-field.js';
import { summarize } from '../inspect/summary.js';
import type { LayerOutput } from '../network/run.js';
import { INPUT, type Layer, type Network } from '../network/types.js';
import { COLORMAP_NAMES, colorAt, markerColor } from './colormap.js';
import { captionLines } from './layer-caption.js';
import { encodeWithinBudget, type EncodedValues } from './value-codes.js';

/**
 * Bytes of deflated codes a report aims at (base64 makes them 4/3 bigger in the page): the seed
 * network's report of a 451x300 photo then stays under 3 MB, at 5 bits a value.
 */
export const VALUE_BUDGET = 2_000_000;
/** Photos bigger than this as PNG go in as JPEG: the photo is for orientation, the maps carry the values. */
const PHOTO_PNG_LIMIT = 160_000;
/** At most this many filters and input channels of a conv are drawn (colour patches of a first layer: RGB_FILTER_CAP filters). */
export const FILTER_CAP = 16;
export const RGB_FILTER_CAP = 64;

/** How a node's output channels depend on its inputs' (to highlight the cells that feed a clicked one). */
export type ChannelMap = 'same' | 'all' | { readonly groups: number } | { readonly concat: readonly number[] };

export interface GeometryNode {
  readonly inputs: readonly number[];
  readonly outChannels: number;
  /** Per output row / column, the input indices it reads; null: each reads its own index. */
  readonly rows: number[][] | null;
  readonly cols: number[][] | null;
  readonly channels: ChannelMap;
  /** Receptive field, jump and centre of cell (0, 0) in input pixels [y, x]; null after adaptive pooling. */
  readonly rf: readonly [number, number] | null;
  readonly jump: readonly [number, number] | null;
  readonly start: readonly [number, number] | null;
}

/** A map's codes as the page gets them (see EncodedValues). */
export type StoredValues = Omit<EncodedValues, 'deflated'> & {
  /** base64 of zlib of the Paeth residuals of the codes. */
  readonly data: string;
};

export interface FilterData {
  readonly kh: number;
  readonly kw: number;
  /** The first layer's filters on a colour photo: drawn as colour patches, one per filter. */
  readonly rgb: boolean;
  /** Filters (output channels) and input channels in the spec, and how many are drawn. */
  readonly out: number;
  readonly in: number;
  readonly outShown: number;
  readonly inShown: number;
  readonly names?: readonly string[];
  /** [outShown, inShown, kh, kw], 4 significant digits. */
  readonly weights: readonly number[];
}

export interface FigureData {
  readonly node: number;
  readonly label: string;
  /** [channels, height, width]. */
  readonly shape: readonly [number, number, number];
  /** Holds negative values: drawn on the diverging map, symmetric about zero. */
  readonly signed: boolean;
  /** Per channel label (named filters), if any. */
  readonly names?: readonly string[];
  /** Codes in the page, or computed there from another figure's values (max commutes with quantisation). */
  readonly values: { readonly stored: StoredValues } | { readonly derived: 'relu' | 'maxpool2d'; readonly from: number };
  readonly caption: readonly string[];
  readonly filters?: FilterData;
}

export interface ReportData {
  readonly input: { readonly channels: number; readonly height: number; readonly width: number; readonly photo: string };
  /** 257 colours per map as hex (rrggbb...): 0..255, then the NaN marker. */
  readonly colormaps: Readonly<Record<string, string>>;
  readonly geometry: readonly GeometryNode[];
  readonly figures: readonly FigureData[];
  /** Deflated bytes of the stored values, for the size line. */
  readonly valueBytes: number;
}

/** Layers whose output channel c reads only channel c of their input(s). */
const sameChannels = (layer: Layer) => !['conv2d', 'concat', 'normalize', 'local_response_norm'].includes(layer.type);

function channelMap(layer: Layer, shapes: readonly Shape[], input: Shape): ChannelMap {
  if (sameChannels(layer)) return 'same';
  if (layer.type === 'conv2d') return layer.groups === 1 ? 'all' : { groups: layer.groups };
  if (layer.type === 'concat') return { concat: layer.inputs.map((i) => (i === INPUT ? input.channels : shapes[i].channels)) };
  return 'all';
}

/** Each channel's label, if the node or a per-channel node before it is a named filter bank. */
function channelNames(net: Network, node: number): readonly string[] | undefined {
  for (let i = node; i !== INPUT; i = net.layers[i].inputs[0]) {
    const layer = net.layers[i];
    if (layer.type === 'conv2d') return layer.filterNames;
    if (layer.inputs.length !== 1 || !sameChannels(layer)) return undefined;
  }
  return undefined;
}

const round4 = (v: number) => Number(v.toPrecision(4));

function filterData(layer: Layer, fromPhoto: boolean): FilterData | undefined {
  if (layer.type !== 'conv2d') return undefined;
  const [kh, kw] = layer.kernelSize;
  const inPer = layer.inChannels / layer.groups;
  const rgb = fromPhoto && inPer === 3;
  const outShown = Math.min(layer.outChannels, rgb ? RGB_FILTER_CAP : FILTER_CAP);
  const inShown = Math.min(inPer, FILTER_CAP);
  const weights: number[] = [];
  for (let o = 0; o < outShown; o++) for (let i = 0; i < inShown; i++) for (let k = 0; k < kh * kw; k++) weights.push(round4(layer.weight[(o * inPer + i) * kh * kw + k]));
  return {
    kh, kw, rgb, out: layer.outChannels, in: inPer, outShown, inShown, weights,
    ...(layer.filterNames ? { names: layer.filterNames.slice(0, outShown) } : {}),
  };
}

async function photo(input: Tensor, rgb: Uint8Array, channels: number): Promise<string> {
  const image = sharp(rgb, { raw: { width: input.width, height: input.height, channels: channels as 1 | 3 } });
  const png = await image.clone().png({ compressionLevel: 9 }).toBuffer();
  if (png.length <= PHOTO_PNG_LIMIT) return `data:image/png;base64,${png.toString('base64')}`;
  return `data:image/jpeg;base64,${(await image.jpeg({ quality: 90 }).toBuffer()).toString('base64')}`;
}

/** Which results the page derives: a relu or maxpool2d whose input node is itself in the page. */
function derivation(layer: Layer | null, figureOf: ReadonlyMap<number, number>): { derived: 'relu' | 'maxpool2d'; from: number } | null {
  if (!layer || (layer.type !== 'relu' && layer.type !== 'maxpool2d')) return null;
  const from = figureOf.get(layer.inputs[0]);
  return from === undefined ? null : { derived: layer.type, from };
}

function hasNegative(t: Tensor): boolean {
  for (const v of t.data) if (v < 0) return true;
  return false;
}

/** The results the page draws, one per node (the first of several names), in node order: ReportData.figures' order. */
export function figureResults(results: readonly LayerOutput[]): LayerOutput[] {
  return [...new Map([...results].reverse().filter((r) => r.layer !== null).map((r) => [r.node, r])).values()].sort((a, b) => a.node - b.node);
}

/**
 * The page's data for `results` (one figure per distinct node, in node order) of `input`, with the
 * input shown as `rgb` (channels 1 or 3 per pixel).
 */
export async function reportData(net: Network, input: Tensor, results: readonly LayerOutput[], shown: { rgb: Uint8Array; channels: number }): Promise<ReportData> {
  const summary = summarize(net, input);
  const nodes = figureResults(results);
  const last = nodes.length > 0 ? nodes[nodes.length - 1].node : -1;
  const shapes = summary.layers.map((l) => l.output);
  const tables = last >= 0 ? readTables(net, input, last) : [];
  const geometry = tables.map((t, i): GeometryNode => {
    const layer = net.layers[i];
    const row = summary.layers[i];
    return { inputs: layer.inputs, outChannels: shapes[i].channels, rows: t.rows, cols: t.cols, channels: channelMap(layer, shapes, input), rf: row.receptiveField, jump: row.jump, start: row.start };
  });
  const figureOf = new Map<number, number>();
  const values: ({ stored: number } | { derived: 'relu' | 'maxpool2d'; from: number })[] = [];
  const stored: Tensor[] = [];
  for (const [f, r] of nodes.entries()) {
    const derived = derivation(r.layer, figureOf);
    values.push(derived ?? { stored: stored.push(r.tensor) - 1 });
    figureOf.set(r.node, f);
  }
  const encoded = await encodeWithinBudget(stored, VALUE_BUDGET);
  const figures = nodes.map((r, f): FigureData => {
    const layer = r.layer!;
    const v = values[f];
    const inShape = layer.inputs[0] === INPUT ? input : shapes[layer.inputs[0]];
    const names = channelNames(net, r.node);
    const filters = filterData(layer, layer.inputs[0] === INPUT && shown.channels === 3);
    let data: FigureData['values'];
    if ('stored' in v) {
      const e = encoded[v.stored];
      data = { stored: { bits: e.bits, maxCode: e.maxCode, lo: e.lo, hi: e.hi, nonFinite: e.nonFinite, data: Buffer.from(e.deflated).toString('base64') } };
    } else data = v;
    return {
      node: r.node, label: layer.name ?? r.label, shape: [r.tensor.channels, r.tensor.height, r.tensor.width], signed: hasNegative(r.tensor), values: data,
      caption: captionLines(layer, inShape, summary.layers[r.node]),
      ...(names ? { names } : {}), ...(filters ? { filters } : {}),
    };
  });
  const colormaps: Record<string, string> = {};
  const hex = (rgb: readonly number[]) => rgb.map((c) => c.toString(16).padStart(2, '0')).join('');
  // Entry 256 is the marker colour of NaN and infinite values.
  for (const name of COLORMAP_NAMES) colormaps[name] = Array.from({ length: 256 }, (_, i) => hex(colorAt(name, i / 255))).join('') + hex(markerColor(name));
  return {
    input: { channels: input.channels, height: input.height, width: input.width, photo: await photo(input, shown.rgb, shown.channels) },
    colormaps, geometry, figures,
    valueBytes: encoded.reduce((s, e) => s + e.deflated.length, 0),
  };
}
