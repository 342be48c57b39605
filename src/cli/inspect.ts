// `cnnx inspect NET`: per layer output shape, parameters, multiply-adds, activation bytes, receptive field and geometry warnings, like torchsummary.
import { isMerge, layerDef } from '../layers/index.js';
import { formatShape, type Shape } from '../engine/tensor.js';
import { layerWarnings, type LayerWarning } from '../inspect/warnings.js';
import { layerPlace } from '../network/run.js';
import { inferShapes, inputShapes } from '../network/shapes.js';
import { INPUT, type Network } from '../network/types.js';

export interface LayerSummary {
  readonly index: number;
  /** The node's JSON path in the spec. */
  readonly path: string;
  readonly name: string | null;
  readonly type: string;
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

export interface NetworkSummary {
  readonly name: string;
  readonly input: Shape;
  readonly layers: readonly LayerSummary[];
  readonly totalParams: number;
  readonly totalMacs: number;
  /** The largest single output map, in bytes. */
  readonly peakActivationBytes: number;
  readonly warnings: readonly LayerWarning[];
}

/** Computes the summary for an input of `input` shape (receptive field rules as torch-scan). */
export function summarize(net: Network, input: Shape): NetworkSummary {
  const shapes = inferShapes(net, input, `--size ${input.height}x${input.width}`);
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
      if (layer.type === 'adaptive_avgpool2d' || layer.type === 'adaptive_maxpool2d') field = null;
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
      output,
      params: cost.params,
      macs: cost.macs,
      activationBytes: 4 * output.channels * output.height * output.width,
      receptiveField: cur ? ([cur.r[0], cur.r[1]] as const) : null,
      jump: cur ? ([cur.j[0], cur.j[1]] as const) : null,
      start: cur ? ([cur.c[0], cur.c[1]] as const) : null,
    };
  });
  return {
    name: net.name,
    input,
    layers,
    totalParams: layers.reduce((s, l) => s + l.params, 0),
    totalMacs: layers.reduce((s, l) => s + l.macs, 0),
    peakActivationBytes: Math.max(...layers.map((l) => l.activationBytes)),
    warnings,
  };
}

/** The human table. */
export function formatSummary(s: NetworkSummary): string[] {
  const pair = (p: readonly number[] | null) => (p ? (p[0] === p[1] ? `${p[0]}` : `${p[0]}x${p[1]}`) : 'input-dependent');
  const rows = s.layers.map((l) => [
    `${l.index}`,
    l.name ?? '',
    l.type,
    formatShape(l.output),
    l.params.toLocaleString('en-US'),
    l.macs.toLocaleString('en-US'),
    formatBytes(l.activationBytes),
    pair(l.receptiveField),
    pair(l.jump),
    pair(l.start),
  ]);
  const header = ['#', 'name', 'type', 'output (CxHxW)', 'params', 'mult-adds', 'activation', 'rf', 'jump', 'start'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const numeric = new Set([0, 4, 5, 6, 7, 8, 9]);
  const line = (cells: string[]) => cells.map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  return [
    `${s.name}: input ${formatShape(s.input)}`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    `total params: ${s.totalParams.toLocaleString('en-US')}`,
    `total mult-adds: ${s.totalMacs.toLocaleString('en-US')} (${(s.totalMacs / 1e9).toFixed(3)} G)`,
    `largest activation: ${formatBytes(s.peakActivationBytes)} (float32)`,
    ...formatWarnings(s),
  ];
}

/** `warnings:` and one line per warning naming the layer, or nothing. */
function formatWarnings(s: NetworkSummary): string[] {
  if (s.warnings.length === 0) return [];
  return ['', `warnings (${s.warnings.length}):`, ...s.warnings.map((w) => `  ${layerPlace(s.layers[w.layer])}: ${w.message} [${w.code}]`)];
}

/** Bytes in binary units: `12 B`, `4.0 KiB`, `1.5 MiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let u = 0;
  while (value >= 1024 && u < units.length - 1) {
    value /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${value.toFixed(1)} ${units[u]}`;
}
