// `cnnx kernels [NAME]`: lists the named filters, prints one as a matrix, exports it as .npy weights or a PNG picture.
import sharp from 'sharp';
import { CnnxError } from '../errors.js';
import {
  CONVENTION,
  isFilterBank,
  listFilters,
  listGenerators,
  resolveFilter,
  resolveFilterBank,
  type ResolvedFilter,
} from '../filters/library.js';
import { writeFileAtomic } from '../io/atomic.js';
import { encodeNpy } from '../io/npy.js';
import { colorAt } from '../render/colormap.js';
import { plural } from '../format.js';

export interface KernelsOptions {
  /** Write an enlarged picture of the filter (or bank) here. */
  png?: string;
  /** Write the filter as float32 weights of shape (1, 1, kh, kw), a bank as (K, 1, kh, kw). */
  npy?: string;
  /** Print JSON instead of text. */
  json?: boolean;
}

/** One filter or a padded bank, as the command shows it. */
interface Shown {
  readonly title: string;
  readonly height: number;
  readonly width: number;
  readonly filters: readonly ResolvedFilter[];
}

/**
 * Runs `cnnx kernels`: without a name, the list of presets and generators; with one (a preset,
 * a parametric string or a bank generator), its description, source, convention and values.
 * @example await kernelsCommand('sobel-x', { png: 'sobel-x.png' }, console.log)
 */
export async function kernelsCommand(name: string | undefined, options: KernelsOptions, out: (line: string) => void): Promise<void> {
  if (name === undefined) {
    if (options.png !== undefined || options.npy !== undefined) {
      throw new CnnxError('usage.kernels', `${options.png !== undefined ? '--png' : '--npy'} needs a filter name, e.g. \`cnnx kernels sobel-x --png sobel-x.png\``);
    }
    if (options.json) out(JSON.stringify({ convention: CONVENTION, filters: listFilters(), generators: listGenerators() }, null, 2));
    else listLines().forEach((line) => out(line));
    return;
  }
  const shown = resolveShown(name);
  if (options.json) {
    out(JSON.stringify(toJson(shown), null, 2));
  } else if (options.png === undefined && options.npy === undefined) {
    describeLines(shown).forEach((line) => out(line));
  }
  if (options.npy !== undefined) {
    const { height, width, filters } = shown;
    const data = new Float32Array(filters.length * height * width);
    filters.forEach((f, k) => data.set(f.values, k * height * width));
    await writeFileAtomic(options.npy, encodeNpy([filters.length, 1, height, width], data));
    if (!options.json) out(`wrote ${options.npy}: float32 weights of shape (${filters.length}, 1, ${height}, ${width})`);
  }
  if (options.png !== undefined) {
    const { svg, pixelWidth, pixelHeight } = kernelSvg(shown);
    await writeFileAtomic(options.png, await sharp(Buffer.from(svg)).png().toBuffer());
    if (!options.json) out(`wrote ${options.png}: ${pixelWidth}x${pixelHeight} pixels`);
  }
}

function resolveShown(name: string): Shown {
  if (!isFilterBank(name)) {
    const filter = resolveFilter(name);
    return { title: filter.name, height: filter.height, width: filter.width, filters: [filter] };
  }
  // A bank is shown as its members, already padded to one size, so the picture and the .npy
  // hold exactly the weights a conv2d layer would get.
  const bank = resolveFilterBank(name);
  const size = bank.height * bank.width;
  const filters = bank.names.map((member, k) => {
    const filter = resolveFilter(member);
    return { ...filter, height: bank.height, width: bank.width, values: Float64Array.from(bank.values.subarray(k * size, (k + 1) * size)) };
  });
  return { title: name.replace(/\s+/g, ''), height: bank.height, width: bank.width, filters };
}

// ---------------------------------------------------------------- text

/** Left-aligned columns separated by two spaces; the last column is not padded. */
function columns(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  '));
}

function listLines(): string[] {
  const lines = columns([['NAME', 'SIZE', 'DESCRIPTION'], ...listFilters().map((f) => [f.name, f.size, f.description])]);
  const generators = listGenerators();
  const section = (bank: boolean): string[] =>
    columns(
      generators
        .filter((g) => g.bank === bank)
        .map((g) => [`  ${g.name}`, g.params.length ? g.params.join(',') : '(none)', g.summary]),
    );
  return [
    ...lines,
    '',
    'Parametric filters, NAME:key=value,... (defaults shown), e.g. "gaussian:size=5,sigma=1.2":',
    ...section(false),
    '',
    'Banks (a whole "kernels" value or a list item), e.g. "gabor-bank:thetas=8":',
    ...section(true),
    '',
    `Values are ${CONVENTION}.`,
  ];
}

/** The fewest decimals that show every value exactly (1/256 needs 8), else 6. */
function decimalsFor(values: ArrayLike<number>): number {
  for (let d = 0; d <= 8; d++) {
    if (Array.prototype.every.call(values, (v: number) => Math.abs(Number(v.toFixed(d)) - v) <= 1e-12 * Math.max(1, Math.abs(v)))) return d;
  }
  return 6;
}

/** Right-aligned matrix rows; one number format for the whole matrix so columns line up. */
export function formatMatrix(values: ArrayLike<number>, height: number, width: number): string[] {
  const decimals = decimalsFor(values);
  const cells = Array.from(values, (v) => {
    const text = v.toFixed(decimals);
    return Number(text) === 0 ? (0).toFixed(decimals) : text; // no "-0"
  });
  const cellWidth = Math.max(...cells.map((c) => c.length));
  const lines: string[] = [];
  for (let y = 0; y < height; y++) {
    lines.push(`  ${cells.slice(y * width, (y + 1) * width).map((c) => c.padStart(cellWidth)).join('  ')}`);
  }
  return lines;
}

/** The sum, with rounding noise shown as 0 (zero-sum kernels print "sum 0"). */
function formatSum(values: ArrayLike<number>): string {
  let sum = 0;
  let scale = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    scale = Math.max(scale, Math.abs(values[i]));
  }
  return Math.abs(sum) <= 1e-9 * scale ? '0' : String(Number(sum.toPrecision(10)));
}

function filterLines(f: ResolvedFilter): string[] {
  return [
    `${f.name}  ${f.height}x${f.width}`,
    f.description,
    `source: ${f.source}`,
    `sum: ${formatSum(f.values)}`,
    ...formatMatrix(f.values, f.height, f.width),
  ];
}

function describeLines(shown: Shown): string[] {
  if (shown.filters.length === 1) {
    const [first, ...rest] = filterLines(shown.filters[0]);
    return [first, ...rest.slice(0, 2), `convention: ${CONVENTION}`, ...rest.slice(2)];
  }
  const lines = [
    `${shown.title}  ${plural(shown.filters.length, 'filter')}, ${shown.height}x${shown.width} each (zero-padded, centred)`,
    `convention: ${CONVENTION}`,
  ];
  for (const f of shown.filters) lines.push('', ...filterLines(f));
  return lines;
}

function toJson(shown: Shown): unknown {
  const one = (f: ResolvedFilter) => ({
    name: f.name,
    description: f.description,
    source: f.source,
    height: f.height,
    width: f.width,
    values: Array.from({ length: f.height }, (_, y) => Array.from(f.values.subarray(y * f.width, (y + 1) * f.width))),
  });
  return shown.filters.length === 1
    ? { convention: CONVENTION, ...one(shown.filters[0]) }
    : { name: shown.title, convention: CONVENTION, height: shown.height, width: shown.width, filters: shown.filters.map(one) };
}

// ---------------------------------------------------------------- picture

/** Cell side in pixels: big enough for a written value up to 9x9, else shrink so large kernels stay near 500 px. */
export function cellSize(height: number, width: number): number {
  const side = Math.max(height, width);
  return side <= 9 ? 56 : Math.max(4, Math.min(40, Math.floor(500 / side)));
}

/** Short labels for cells: integers as they are, else three significant digits. */
function cellLabel(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const text = String(Number(v.toPrecision(3)));
  return text.replace(/^(-?)0\./, '$1.');
}

/**
 * An SVG of the filter(s), side by side: one square block per weight, coloured by the diverging map
 * centred at 0 (blue negative, white 0, red positive; scaled by the largest |value| of each filter),
 * with the value written in the cell when the filter is at most 9x9.
 */
function kernelSvg(shown: Shown): { svg: string; pixelWidth: number; pixelHeight: number } {
  const { height, width, filters } = shown;
  const cell = cellSize(height, width);
  const gap = filters.length > 1 ? Math.max(4, Math.round(cell / 2)) : 0;
  const pixelWidth = filters.length * width * cell + (filters.length - 1) * gap;
  const pixelHeight = height * cell;
  const withText = Math.max(height, width) <= 9;
  const fontSize = Math.round(cell * 0.27);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${pixelWidth}" height="${pixelHeight}" viewBox="0 0 ${pixelWidth} ${pixelHeight}">`,
    `<rect width="${pixelWidth}" height="${pixelHeight}" fill="rgb(36,40,50)" shape-rendering="crispEdges"/>`,
  ];
  filters.forEach((f, k) => {
    const x0 = k * (width * cell + gap);
    let peak = 0;
    for (const v of f.values) peak = Math.max(peak, Math.abs(v));
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = f.values[y * width + x];
        const [r, g, b] = colorAt('diverging', peak > 0 ? 0.5 + (0.5 * v) / peak : 0.5);
        const px = x0 + x * cell;
        const py = y * cell;
        parts.push(`<rect x="${px}" y="${py}" width="${cell}" height="${cell}" fill="rgb(${r},${g},${b})" shape-rendering="crispEdges"/>`);
        if (withText) {
          // Dark text on light cells, light text on the saturated ends of the map.
          const ink = 0.299 * r + 0.587 * g + 0.114 * b < 128 ? '#ffffff' : '#000000';
          parts.push(
            `<text x="${px + cell / 2}" y="${py + cell / 2 + fontSize * 0.35}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${fontSize}" text-anchor="middle" fill="${ink}">${cellLabel(v)}</text>`,
          );
        }
      }
    }
    if (cell >= 12) {
      // Thin grid lines so neighbouring white (zero) cells stay countable.
      for (let i = 1; i < width; i++) {
        parts.push(`<rect x="${x0 + i * cell}" y="0" width="1" height="${height * cell}" fill="rgb(200,200,200)" shape-rendering="crispEdges"/>`);
      }
      for (let i = 1; i < height; i++) {
        parts.push(`<rect x="${x0}" y="${i * cell}" width="${width * cell}" height="1" fill="rgb(200,200,200)" shape-rendering="crispEdges"/>`);
      }
    }
  });
  parts.push('</svg>');
  return { svg: parts.join('\n'), pixelWidth, pixelHeight };
}
