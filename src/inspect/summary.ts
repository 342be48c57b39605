// A network's summary for `cnnx inspect`: per node output shape, parameters, multiply-adds, activation bytes, receptive field and geometry warnings, per group totals, like torchsummary.
import { checkNetwork, checkOptions, checkShape, isObject, unexpected } from '../arguments.js';
import { formatShape, type Shape } from '../engine/tensor.js';
import { formatBytes } from '../format.js';
import { isMerge, layerDef } from '../layers/index.js';
import { layerWarnings, type LayerWarning } from './warnings.js';
import { branchCount, groupKind, outline } from './outline.js';
import { layerPlace } from '../network/run.js';
import { inferShapes, inputShapes } from '../network/shapes.js';
import { INPUT, type LayerGroup, type Network } from '../network/types.js';

/** The most inputs a merge's "from" cell lists one by one. */
const FROM_SHOWN = 8;

export interface LayerSummary {
  readonly index: number;
  /** The node's JSON path in the spec. */
  readonly path: string;
  readonly name: string | null;
  readonly type: string;
  /** The nodes it reads, by index; -1 is the network's input. */
  readonly inputs: readonly number[];
  readonly output: Shape;
  readonly params: number;
  readonly macs: number;
  /** Size of the float32 output map in bytes. */
  readonly activationBytes: number;
  /** Receptive field of one output cell, in input pixels [h, w]; null after adaptive pooling (input-dependent). */
  readonly receptiveField: readonly [number, number] | null;
  /** Distance in input pixels between neighbouring output cells [h, w]. */
  readonly jump: readonly [number, number] | null;
  /** Input coordinate of the centre of output cell (0, 0) [y, x]. */
  readonly start: readonly [number, number] | null;
}

/** A sequential, add or concat group: where it sits, the node whose output it names, and its nodes' totals. */
export interface GroupSummary {
  readonly name: string | null;
  readonly type: LayerGroup['type'];
  /** Its JSON path in the spec. */
  readonly path: string;
  /** Nesting depth: 0 at the top level of `layers`. */
  readonly depth: number;
  /** Its nodes are first..last (none when first > last). */
  readonly first: number;
  readonly last: number;
  /** The node whose output the group names; -1 for a group that computes nothing (its input). */
  readonly outputNode: number;
  readonly output: Shape;
  /** Branches of an add or concat; null for a sequential. */
  readonly branches: number | null;
  /** Totals over its nodes. */
  readonly params: number;
  readonly macs: number;
}

export interface NetworkSummary {
  readonly name: string;
  readonly input: Shape;
  readonly layers: readonly LayerSummary[];
  /** Every group, in the order they open (a group before the groups inside it). */
  readonly groups: readonly GroupSummary[];
  readonly totalParams: number;
  readonly totalMacs: number;
  /** The largest single output map, in bytes. */
  readonly peakActivationBytes: number;
  readonly warnings: readonly LayerWarning[];
}

/** Computes the summary for an input of `input` shape (receptive field rules as torch-scan). */
export function summarize(net: Network, input: Shape): NetworkSummary {
  checkNetwork(net, 'summarize: net');
  checkShape(input, 'summarize: input');
  const shapes = inferShapes(net, input, `input size ${input.height}x${input.width}`);
  type Field = { r: number[]; j: number[]; c: number[] } | null;
  // Receptive field per node; a merge takes its widest input's (the branches' jumps agree in real networks).
  const fields: Field[] = [];
  const fieldOf = (i: number): Field => (i === INPUT ? { r: [1, 1], j: [1, 1], c: [0, 0] } : fields[i]);
  const warnings: LayerWarning[] = [];
  const layers = net.layers.map((layer, i) => {
    const output = shapes[i];
    const ins = inputShapes(layer, input, shapes);
    let field: Field;
    let cost = { params: 0, macs: 0 };
    if (isMerge(layer)) {
      field = layer.inputs.map(fieldOf).reduce<Field>((a, b) => (a === null || b === null ? null : b.r[0] * b.r[1] > a.r[0] * a.r[1] ? b : a), fieldOf(layer.inputs[0]));
      if (layer.type === 'add') cost = { params: 0, macs: (layer.inputs.length - 1) * output.channels * output.height * output.width };
    } else {
      const def = layerDef(layer);
      cost = def.cost(layer, ins[0], output);
      const window = def.window(layer);
      warnings.push(...layerWarnings(layer, ins[0], output));
      const f = fieldOf(layer.inputs[0]);
      if (layer.type === 'adaptive_avgpool2d' || layer.type === 'adaptive_maxpool2d' || layer.type === 'gem') field = null;
      else if (window && f) {
        field = {
          r: [0, 1].map((a) => f.r[a] + (window.kernel[a] - 1) * f.j[a]),
          j: [0, 1].map((a) => f.j[a] * window.stride[a]),
          c: [0, 1].map((a) => f.c[a] + ((window.kernel[a] - 1) / 2 - window.padBefore[a]) * f.j[a]),
        };
      } else field = f;
    }
    fields.push(field);
    const cur = field;
    return {
      index: i,
      path: layer.path,
      name: layer.name ?? null,
      type: layer.type,
      inputs: layer.inputs,
      output,
      params: cost.params,
      macs: cost.macs,
      activationBytes: 4 * output.channels * output.height * output.width,
      receptiveField: cur ? ([cur.r[0], cur.r[1]] as const) : null,
      jump: cur ? ([cur.j[0], cur.j[1]] as const) : null,
      start: cur ? ([cur.c[0], cur.c[1]] as const) : null,
    };
  });
  const total = (g: LayerGroup, key: 'params' | 'macs') => layers.slice(g.first, g.last + 1).reduce((sum, l) => sum + l[key], 0);
  const groups = outline(net).flatMap((row): GroupSummary[] => {
    if (row.kind === 'node') return [];
    const g = row.group;
    return [{
      name: g.name ?? null,
      type: g.type,
      path: g.path,
      depth: g.depth,
      first: g.first,
      last: g.last,
      outputNode: g.output,
      output: g.output === INPUT ? input : shapes[g.output],
      branches: branchCount(net, g),
      params: total(g, 'params'),
      macs: total(g, 'macs'),
    }];
  });
  return {
    name: net.name,
    input,
    layers,
    groups,
    totalParams: layers.reduce((s, l) => s + l.params, 0),
    totalMacs: layers.reduce((s, l) => s + l.macs, 0),
    peakActivationBytes: layers.reduce((peak, l) => Math.max(peak, l.activationBytes), 0),
    warnings,
  };
}

export interface FormatSummaryOptions {
  /** Show rows nested at most this deep (0: the top level only); deeper ones are summed up in their group's row. Default: all. */
  readonly depth?: number;
}

/**
 * The human table: a row per node in node order, and a row per group before its nodes (its span of
 * nodes, output shape and receptive field, its nodes' total params and mult-adds) with its nodes
 * indented under it.
 */
export function formatSummary(s: NetworkSummary, options: FormatSummaryOptions = {}): string[] {
  if (!isObject(s) || !Array.isArray(s.layers)) throw unexpected('formatSummary: summary', 'a summary from summarize()', s);
  checkOptions(options, 'formatSummary: options');
  const maxDepth = options.depth ?? Infinity;
  const pair = (p: readonly number[] | null, none = '-') => (p ? (p[0] === p[1] ? `${p[0]}` : `${p[0]}x${p[1]}`) : none);
  const count = (n: number) => n.toLocaleString('en-US');
  const indent = (depth: number, text: string) => '  '.repeat(depth) + text;
  // "from" names the nodes read where that is not simply the node above: branches and their merges.
  // A merge of very many branches names its first few and the count: every row is padded to the widest cell.
  const name = (i: number) => (i === INPUT ? 'input' : `${i}`);
  const from = (l: LayerSummary) =>
    l.inputs.length === 1 && l.inputs[0] === l.index - 1
      ? ''
      : l.inputs.length <= FROM_SHOWN
        ? l.inputs.map(name).join(',')
        : `${l.inputs.slice(0, FROM_SHOWN - 1).map(name).join(',')},...,${name(l.inputs.at(-1)!)} (${l.inputs.length})`;
  const inputField = { receptiveField: [1, 1], jump: [1, 1], start: [0, 0] } as const;
  const field = (f: Pick<LayerSummary, 'receptiveField' | 'jump' | 'start'>) => [pair(f.receptiveField, 'input-dependent'), pair(f.jump), pair(f.start)];
  const groupsAt = new Map<number, GroupSummary[]>();
  for (const g of s.groups) if (g.depth <= maxDepth) groupsAt.set(g.first, [...(groupsAt.get(g.first) ?? []), g]);
  const rows: string[][] = [];
  const pushGroups = (at: number) => {
    for (const g of groupsAt.get(at) ?? []) {
      const span = g.first > g.last ? '' : g.first === g.last ? `${g.first}` : `${g.first}..${g.last}`;
      const out = g.outputNode === INPUT ? inputField : s.layers[g.outputNode];
      rows.push([span, indent(g.depth, g.name ?? g.path), groupKind(g), '', formatShape(g.output), count(g.params), count(g.macs), '', ...field(out)]);
    }
  };
  for (const l of s.layers) {
    pushGroups(l.index);
    const depth = s.groups.filter((g) => g.first <= l.index && l.index <= g.last).length;
    if (depth > maxDepth) continue;
    rows.push([`${l.index}`, indent(depth, l.name ?? ''), l.type, from(l), formatShape(l.output), count(l.params), count(l.macs), formatBytes(l.activationBytes), ...field(l)]);
  }
  pushGroups(s.layers.length);
  const header = ['#', 'name', 'type', 'from', 'output (CxHxW)', 'params', 'mult-adds', 'activation', 'rf', 'jump', 'start'];
  // A plain stack has no "from" column: every layer reads the one above.
  const shown = header.map((_, c) => c !== 3 || rows.some((r) => r[3] !== ''));
  const widths = header.map((h, c) => rows.reduce((w, r) => Math.max(w, r[c].length), h.length));
  const numeric = new Set([0, 5, 6, 7, 8, 9, 10]);
  const line = (cells: string[]) =>
    cells
      .flatMap((cell, c) => (shown[c] ? [numeric.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])] : []))
      .join('  ')
      .trimEnd();
  return [
    `${s.name}: input ${formatShape(s.input)}`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `total params: ${count(s.totalParams)}`,
    `total mult-adds: ${count(s.totalMacs)} (${(s.totalMacs / 1e9).toFixed(3)} G)`,
    `largest activation: ${formatBytes(s.peakActivationBytes)} (float32)`,
    ...formatWarnings(s),
  ];
}

/** `warnings:` and one line per warning naming the layer, or nothing. */
function formatWarnings(s: NetworkSummary): string[] {
  if (s.warnings.length === 0) return [];
  return ['', `warnings (${s.warnings.length}):`, ...s.warnings.map((w) => `  ${layerPlace(s.layers[w.layer])}: ${w.message} [${w.code}]`)];
}
