// Labelled channel grid: one tile per channel of a feature map, composed into a single PNG.
import sharp from 'sharp';
import { checkOptions, checkString, checkTensor } from '../arguments.js';
import { CnnxError, describeValue } from '../errors.js';
import { plural } from '../format.js';
import { formatShape, type Tensor } from '../engine/tensor.js';
import { isDiverging, parseColormap, writeColors, type ColormapName } from './colormap.js';
import { energyOrder, normalize, resolveScale, type ScalePolicy } from './scale.js';

/** Background and separator colour: a blue-grey that none of the colour maps' greys equals. */
export const SEPARATOR_RGB: readonly [number, number, number] = [36, 40, 50];
const LABEL_FILL = '#e6e6e6';
const TITLE_FILL = '#ffffff';
const FONT_FAMILY = "'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif";

const TITLE_FONT = 14;
const TITLE_BAND = 24;
const MAX_LABEL_FONT = 12;
const MIN_LABEL_FONT = 8;
/** Average advance of a DejaVu Sans character in ems, for sizing the canvas to the title. */
const CHAR_EM = 0.62;

export interface GridLayoutOptions {
  /** Force the grid: cols, rows or both (cols * rows must hold every channel). */
  readonly grid?: { readonly cols?: number; readonly rows?: number };
  /** The channel shown in each slot, in reading order (default 0, 1, 2, ...). */
  readonly order?: readonly number[];
  /** Title text; the canvas is widened (up to maxSide) so it fits. */
  readonly title?: string;
  /** Pixels between tiles and around the edge (default 2). */
  readonly separator?: number;
  /** Maps smaller than this on their longer side are enlarged by an integer factor (default 64). */
  readonly minTile?: number;
  /** Tiles are shrunk so the image stays within this many pixels on each side (default 4096). */
  readonly maxSide?: number;
  /** Draw channel-index labels (default true). */
  readonly labels?: boolean;
}

export interface TileRect {
  /** Position in reading order. */
  readonly slot: number;
  /** The channel drawn here (its true index, also under sort: energy). */
  readonly channel: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Left end of a text baseline. */
export interface TextPosition {
  readonly text: string;
  readonly x: number;
  readonly y: number;
  readonly fontSize: number;
}

export interface LabelPosition extends TextPosition {
  readonly channel: number;
}

export interface GridLayout {
  readonly cols: number;
  readonly rows: number;
  /** Size of every tile on the canvas. */
  readonly tileWidth: number;
  readonly tileHeight: number;
  /** Canvas pixels per map pixel (integer ≥ 1 when enlarged, < 1 when shrunk). */
  readonly zoom: number;
  readonly tileRects: readonly TileRect[];
  readonly labelPositions: readonly LabelPosition[];
  readonly title: TextPosition | null;
  /** Height of the title band (0 without a title) and of the label band above each tile row. */
  readonly titleHeight: number;
  readonly labelHeight: number;
  readonly separator: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Places `channels` tiles of a tileH x tileW map on a canvas.
 *
 * Canvas, top to bottom: a title band (24 px, only with a title), then rows of cells; each cell is a label band
 * (channel index, left-aligned) directly above its tile, and cells are separated by
 * `separator` pixels. Sizing rule:
 * 1. grid: near-square picture (cols ≈ sqrt(channels · tileH / tileW)), unless forced;
 * 2. maps smaller than `minTile` (64) on their longer side are enlarged by the integer factor
 *    ceil(64 / longer side), nearest-neighbour, so a 4x4 map becomes a 64x64 tile of 16 px blocks;
 * 3. if the grid would be wider or taller than `maxSide` (4096), tiles shrink by the factor that
 *    makes it fit (an integer factor while enlarged, else area averaging), never below 4 px
 *    a side, so only layers with tens of thousands of channels can exceed the cap.
 */
export function gridLayout(channels: number, tileH: number, tileW: number, options: GridLayoutOptions = {}): GridLayout {
  checkPositiveInt('channels', channels);
  checkPositiveInt('tile height', tileH);
  checkPositiveInt('tile width', tileW);
  const sep = options.separator ?? 2;
  if (!Number.isInteger(sep) || sep < 0) throw new CnnxError('render.grid', `separator: expected a whole number of pixels >= 0, got ${sep}`);
  const minTile = options.minTile ?? 64;
  checkPositiveInt('options.minTile', minTile);
  const maxSide = options.maxSide ?? 4096;
  checkPositiveInt('options.maxSide', maxSide);
  if (options.title !== undefined) checkString(options.title, 'options.title', 'a title (a string)');
  const labels = options.labels ?? true;
  const order = options.order ?? Array.from({ length: channels }, (_, c) => c);
  if (!Array.isArray(order) || order.length !== channels || !order.every((c) => Number.isInteger(c) && c >= 0 && c < channels)) {
    throw new CnnxError('render.grid', `options.order: expected ${plural(channels, 'channel index', 'channel indices')} from 0 to ${channels - 1}, got ${describeValue(order)}`);
  }

  const { cols, rows } = chooseGrid(channels, tileH, tileW, options.grid);
  const titleBand = options.title ? TITLE_BAND : 0;
  const labelBandMax = labels ? MAX_LABEL_FONT + 4 : 0;
  const zoom = chooseZoom(tileH, tileW, cols, rows, { sep, minTile, maxSide, labelBand: labelBandMax, titleBand });
  const tw = Math.max(zoom >= 1 ? tileW * zoom : Math.floor(tileW * zoom), Math.min(4, tileW));
  const th = Math.max(zoom >= 1 ? tileH * zoom : Math.floor(tileH * zoom), Math.min(4, tileH));

  const labelFont = labels ? clamp(Math.floor(tw / 5), MIN_LABEL_FONT, MAX_LABEL_FONT) : 0;
  const labelBand = labels ? labelFont + 4 : 0;
  const gridWidth = sep + cols * (tw + sep);
  const titleWidth = options.title ? Math.ceil(options.title.length * TITLE_FONT * CHAR_EM) + 2 * 6 : 0;
  const width = Math.max(gridWidth, Math.min(titleWidth, maxSide));
  const height = titleBand + sep + rows * (labelBand + th + sep);

  const tileRects: TileRect[] = [];
  const labelPositions: LabelPosition[] = [];
  for (let slot = 0; slot < channels; slot++) {
    const channel = order[slot]!;
    const cellX = sep + (slot % cols) * (tw + sep);
    const cellY = titleBand + sep + Math.floor(slot / cols) * (labelBand + th + sep);
    tileRects.push({ slot, channel, x: cellX, y: cellY + labelBand, width: tw, height: th });
    if (labels) {
      // Baseline placed so the digits (cap height ~0.73 em, no descenders) sit inside the band.
      labelPositions.push({ channel, text: String(channel), x: cellX + 1, y: cellY + Math.round(labelFont * 0.8) + 2, fontSize: labelFont });
    }
  }
  const title = options.title ? { text: options.title, x: 6, y: 17, fontSize: TITLE_FONT } : null;
  return { cols, rows, tileWidth: tw, tileHeight: th, zoom, tileRects, labelPositions, title, titleHeight: titleBand, labelHeight: labelBand, separator: sep, width, height };
}

function chooseGrid(channels: number, tileH: number, tileW: number, forced: GridLayoutOptions['grid']): { cols: number; rows: number } {
  const fc = forced?.cols;
  const fr = forced?.rows;
  if (fc !== undefined) checkPositiveInt('options.grid.cols', fc);
  if (fr !== undefined) checkPositiveInt('options.grid.rows', fr);
  if (fc !== undefined && fr !== undefined) {
    if (fc * fr < channels) {
      throw new CnnxError('render.grid', `options.grid: ${fc}x${fr} has ${plural(fc * fr, 'cell')}, the layer has ${plural(channels, 'channel')}`);
    }
    return { cols: fc, rows: fr };
  }
  if (fc !== undefined) return { cols: fc, rows: Math.ceil(channels / fc) };
  if (fr !== undefined) return { cols: Math.ceil(channels / fr), rows: fr };
  // Square picture rather than square count: tall maps get more columns, wide maps fewer.
  const cols0 = clamp(Math.ceil(Math.sqrt((channels * tileH) / tileW)), 1, channels);
  const rows = Math.ceil(channels / cols0);
  // Drop columns the last row would leave empty (5 channels: 3x2, not 3x2 with a spare column).
  return { cols: Math.ceil(channels / rows), rows };
}

function chooseZoom(
  tileH: number,
  tileW: number,
  cols: number,
  rows: number,
  o: { sep: number; minTile: number; maxSide: number; labelBand: number; titleBand: number },
): number {
  const longer = Math.max(tileH, tileW);
  const enlarge = longer < o.minTile ? Math.ceil(o.minTile / longer) : 1;
  const availW = o.maxSide - o.sep * (cols + 1);
  const availH = o.maxSide - o.titleBand - o.sep - rows * (o.labelBand + o.sep);
  const fit = Math.min(availW / (cols * tileW), availH / (rows * tileH));
  const zoom = Math.min(enlarge, fit > 0 ? fit : 0);
  // Whole-number zooms keep nearest-neighbour blocks equal; below 1 any factor works.
  return zoom >= 1 ? Math.floor(zoom) : zoom;
}

function checkPositiveInt(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new CnnxError('render.grid', `${what}: expected a positive integer, got ${n}`);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

export interface GridOptions {
  /** Value → [0, 1] policy or its --scale spelling (default `channel`). */
  readonly scale?: ScalePolicy | string;
  /** Colour map (default `gray`); `diverging` scales symmetrically about zero. */
  readonly cmap?: ColormapName;
  /** Tile order: channel index (default) or decreasing mean |x|; labels keep true indices. */
  readonly sort?: 'index' | 'energy';
  readonly grid?: { readonly cols?: number; readonly rows?: number };
  /** Title line, verbatim. Without it: `spec · layer · CxHxW` from specName/layerName. */
  readonly title?: string;
  readonly specName?: string;
  readonly layerName?: string;
  readonly separator?: number;
  readonly minTile?: number;
  readonly maxSide?: number;
  readonly labels?: boolean;
}

/** `seed-convnet · conv1 · 32x256x256` (missing parts left out). */
export function gridTitle(t: Tensor, specName?: string, layerName?: string): string {
  return [specName, layerName, formatShape(t)].filter((s) => s !== undefined && s !== '').join(' · ');
}

/** The exact layout renderGrid(t, options) draws (tile order included). */
export function gridLayoutFor(t: Tensor, options: GridOptions = {}): GridLayout {
  return gridLayout(t.channels, t.height, t.width, {
    grid: options.grid,
    order: options.sort === 'energy' ? energyOrder(t) : undefined,
    title: options.title ?? gridTitle(t, options.specName, options.layerName),
    separator: options.separator,
    minTile: options.minTile,
    maxSide: options.maxSide,
    labels: options.labels,
  });
}

/**
 * Renders every channel of `t` as a labelled tile and returns PNG bytes (8-bit RGB).
 * @example await renderGrid(features, { cmap: 'viridis', sort: 'energy', specName: 'net', layerName: 'conv1' })
 */
export async function renderGrid(t: Tensor, options: GridOptions = {}): Promise<Buffer> {
  checkTensor(t, 'renderGrid: tensor');
  checkOptions(options, 'renderGrid: options');
  const cmap = options.cmap === undefined ? 'gray' : parseColormap(options.cmap);
  if (options.sort !== undefined && options.sort !== 'index' && options.sort !== 'energy') {
    throw new CnnxError('render.sort', `options.sort: expected index or energy, got ${JSON.stringify(options.sort)}`);
  }
  const layout = gridLayoutFor(t, options);
  const values = normalize(t, resolveScale(options.scale), { symmetric: isDiverging(cmap) });
  const canvas = Buffer.alloc(layout.width * layout.height * 3);
  fillRgb(canvas, SEPARATOR_RGB);
  const plane = t.height * t.width;
  for (const rect of layout.tileRects) {
    const tile = resample(values.subarray(rect.channel * plane, (rect.channel + 1) * plane), t.height, t.width, rect.height, rect.width);
    drawTile(canvas, layout.width, rect, tile, cmap);
  }
  await drawText(canvas, layout);
  return sharp(canvas, { raw: { width: layout.width, height: layout.height, channels: 3 } })
    .png()
    .toBuffer();
}

function fillRgb(buf: Buffer, rgb: readonly [number, number, number]): void {
  for (let i = 0; i < buf.length; i += 3) {
    buf[i] = rgb[0];
    buf[i + 1] = rgb[1];
    buf[i + 2] = rgb[2];
  }
}

/**
 * Resizes an H x W plane to h x w. Each output pixel averages the block of input pixels it covers
 * (at least one), which is nearest-neighbour when enlarging and area averaging when shrinking.
 * A non-finite value in a block makes the output NaN: a bad value is never averaged away.
 */
export function resample(src: Float32Array, H: number, W: number, h: number, w: number): Float32Array {
  if (h === H && w === W) return src;
  const out = new Float32Array(h * w);
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor((y * H) / h);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * H) / h));
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor((x * W) / w);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * W) / w));
      let sum = 0;
      for (let sy = y0; sy < y1; sy++) for (let sx = x0; sx < x1; sx++) sum += src[sy * W + sx]!;
      out[y * w + x] = sum / ((y1 - y0) * (x1 - x0));
    }
  }
  return out;
}

function drawTile(canvas: Buffer, canvasWidth: number, rect: TileRect, tile: Float32Array, cmap: ColormapName): void {
  for (let y = 0; y < rect.height; y++) {
    writeColors(cmap, tile, y * rect.width, rect.width, canvas, ((rect.y + y) * canvasWidth + rect.x) * 3);
  }
}

/** Escapes text for SVG/XML character data and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** An SVG strip of text: `top` is where it goes on the canvas, the texts' y are canvas coordinates. */
interface TextStrip {
  readonly top: number;
  readonly height: number;
  readonly svg: string;
}

/**
 * Title and labels as SVG, one strip per text band. Strips rather than one canvas-sized SVG
 * because rasterising cost grows with the SVG's area and text covers a small part of a large
 * grid; and each strip is blended into the canvas here, because sharp's composite() with many
 * overlays re-processes the whole image once per overlay.
 */
function textStrips(layout: GridLayout): TextStrip[] {
  const strips: TextStrip[] = [];
  const strip = (top: number, height: number, texts: readonly TextPosition[], weight: string, fill: string) => {
    const body = texts
      .map((t) => `<text x="${t.x}" y="${t.y - top}" font-size="${t.fontSize}" font-weight="${weight}" fill="${fill}">${escapeXml(t.text)}</text>`)
      .join('');
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${height}">` +
      `<g font-family="${escapeXml(FONT_FAMILY)}">${body}</g></svg>`;
    strips.push({ top, height, svg });
  };
  if (layout.title) strip(0, layout.titleHeight, [layout.title], 'bold', TITLE_FILL);
  for (let first = 0; first < layout.labelPositions.length; first += layout.cols) {
    const labels = layout.labelPositions.slice(first, first + layout.cols);
    strip(layout.tileRects[first]!.y - layout.labelHeight, layout.labelHeight, labels, 'normal', LABEL_FILL);
  }
  return strips;
}

/** Rasterises the text strips with sharp (librsvg + fontconfig) and alpha-blends them onto the canvas. */
async function drawText(canvas: Buffer, layout: GridLayout): Promise<void> {
  const strips = textStrips(layout);
  const rasters = await Promise.all(strips.map((s) => sharp(Buffer.from(s.svg)).ensureAlpha().raw().toBuffer({ resolveWithObject: true })));
  rasters.forEach(({ data, info }, k) => {
    const top = strips[k]!.top;
    const w = Math.min(info.width, layout.width);
    const h = Math.min(info.height, layout.height - top);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (y * info.width + x) * 4;
        const alpha = data[i + 3]!;
        if (alpha === 0) continue;
        const o = ((top + y) * layout.width + x) * 3;
        for (let ch = 0; ch < 3; ch++) canvas[o + ch] = Math.round(canvas[o + ch]! + ((data[i + ch]! - canvas[o + ch]!) * alpha) / 255);
      }
    }
  });
}
