// The offline HTML report of one input (`--layer all --format report -o report/`): the input photo, one picture per node in nested sections for the spec's groups, the spec, as one self-contained page.
import { readFile } from 'node:fs/promises';
import { checkArray, checkNetwork, checkString, checkTensor, isObject, unexpected } from '../arguments.js';
import { formatShape, type Shape, type Tensor } from '../engine/tensor.js';
import { groupTitle, outline } from '../inspect/outline.js';
import { inputError } from '../errors.js';
import { layerPlace, type LayerOutput, type LayerSelection } from '../network/run.js';
import { inferShapes } from '../network/shapes.js';
import { reportHtml, type ReportEntry, type ReportItem, type ReportMeta } from '../render/html-page.js';
import { figureResults, reportData } from '../render/report-data.js';
import { INPUT, type Network } from '../network/types.js';
import { inputPixels } from './picture.js';

/**
 * The most feature-map values one report holds (2^26: VGG16's every node on a 224x224 photo is about 30
 * million). Its maps are encoded on the main thread, about a second per 3 million values, and a page
 * past this would take minutes and gigabytes to make and could not be shown at any useful depth.
 */
export const MAX_REPORT_VALUES = 2 ** 26;

/**
 * Refuses, before the network runs, a report of `selection` on an input of shape `input` that would
 * hold more than MAX_REPORT_VALUES values (output.too_large), naming its largest map.
 */
export function checkReportSize(net: Network, input: Shape, selection: readonly LayerSelection[], inputName: string): void {
  const shapes = inferShapes(net, input, inputName);
  const nodes = [...new Set(selection.map((s) => s.node))];
  const values = (n: number) => {
    const s = n === INPUT ? input : shapes[n];
    return s.channels * s.height * s.width;
  };
  const total = nodes.reduce((sum, n) => sum + values(n), 0);
  if (total <= MAX_REPORT_VALUES) return;
  const largest = nodes.reduce((a, b) => (values(b) > values(a) ? b : a));
  const where = largest === INPUT ? 'the input' : `${net.layers[largest].path} (${formatShape(shapes[largest])})`;
  throw inputError(
    'output.too_large',
    inputName,
    `a report of ${count(nodes.length, 'map')} would hold ${count(total, 'value')}, more than the ${count(MAX_REPORT_VALUES, 'value')} a report holds; the largest is ${where} with ${count(values(largest), 'value')}: pick fewer layers (--layer) or a smaller input (input.resize)`,
  );
}

function count(n: number, unit: string): string {
  return `${n.toLocaleString('en-US')} ${unit}${n === 1 ? '' : 's'}`;
}

/** A section being filled: its items grow as the outline is walked. */
interface OpenSection {
  readonly title: string;
  readonly shape: string;
  readonly description: string;
  readonly items: ReportItem[];
}

/** Sections without a picture anywhere inside are left out. */
function prune(items: readonly ReportItem[]): ReportItem[] {
  return items.flatMap((item): ReportItem[] => {
    if (!('items' in item)) return [item];
    const inner = prune(item.items);
    return inner.length > 0 ? [{ ...item, items: inner }] : [];
  });
}

/**
 * The pictures of `results` as the report lists them: one figure per node (figure numbers as
 * figureResults orders them), in node order, titled with the node's own name when it was selected
 * (its other names in the caption), inside a section for each group around it (nested as the spec
 * nests them).
 */
export function reportItems(net: Network, input: Shape, results: readonly LayerOutput[]): ReportItem[] {
  const figureOf = new Map(figureResults(results).map((r, f) => [r.node, f]));
  const byNode = new Map<number, { labels: string[]; figure: number; shape: string }>();
  for (const r of results) {
    if (!r.layer) continue;
    const seen = byNode.get(r.node);
    if (seen) seen.labels.push(r.label);
    else byNode.set(r.node, { labels: [r.label], figure: figureOf.get(r.node)!, shape: formatShape(r.tensor) });
  }
  const shapes = inferShapes(net, input, 'report');
  const groupNames = new Set(net.groups.flatMap((g) => (g.name !== undefined ? [g.name] : [])));
  const root: ReportItem[] = [];
  const open: OpenSection[] = [];
  for (const row of outline(net)) {
    open.length = Math.min(open.length, row.depth);
    const into = open.length > 0 ? open[open.length - 1].items : root;
    if (row.kind === 'group') {
      const g = row.group;
      const section: OpenSection = { title: groupTitle(net, g), shape: formatShape(g.output === INPUT ? input : shapes[g.output]), description: g.path, items: [] };
      into.push(section);
      open.push(section);
      continue;
    }
    const picture = byNode.get(row.node);
    if (!picture) continue;
    const layer = net.layers[row.node];
    const title = layer.name !== undefined && picture.labels.includes(layer.name) ? layer.name : picture.labels[0];
    const others = picture.labels.filter((l) => l !== title);
    const outputOf = others.filter((l) => groupNames.has(l));
    const alsoNamed = others.filter((l) => !groupNames.has(l));
    const notes = [
      layerPlace(layer),
      ...(outputOf.length > 0 ? [`the output of ${outputOf.join(', ')}`] : []),
      ...(alsoNamed.length > 0 ? [`also named ${alsoNamed.join(', ')}`] : []),
    ];
    const entry: ReportEntry = { title, figure: picture.figure, shape: picture.shape, description: notes.join('; ') };
    into.push(entry);
  }
  return prune(root);
}

export interface LayerReportOptions {
  /** The input's name, shown under the heading. */
  readonly inputName: string;
  readonly version?: string;
  /** The spec's text as shown at the end of the page (default: read from net.file). */
  readonly specJson?: string;
}

/**
 * The whole report page of `input` and the outputs computed from it (runNetwork's results, any
 * selection): one self-contained HTML string, ready to write to a file or to send.
 * @example const html = await layerReportHtml(net, input, await runNetwork(engine, net, input, selectLayers(net, ['all']), 'cat.png'), { inputName: 'cat' })
 */
export async function layerReportHtml(net: Network, input: Tensor, results: readonly LayerOutput[], options: LayerReportOptions): Promise<string> {
  checkNetwork(net, 'layerReportHtml: net');
  checkTensor(input, 'layerReportHtml: input');
  checkArray(results, 'layerReportHtml: results', "an array of runNetwork()'s outputs", (r, at) => {
    if (!isObject(r) || !isObject(r.tensor)) throw unexpected(at, "an output of runNetwork() { label, node, layer, tensor }", r);
  });
  if (!isObject(options)) throw unexpected('layerReportHtml: options', 'options such as { inputName }', options);
  checkString(options.inputName, 'layerReportHtml: options.inputName', "the input's name (a string)");
  const shown = inputPixels(input);
  const data = await reportData(net, input, results, { rgb: shown.rgb, channels: shown.rgb.length / (input.height * input.width) });
  const entries: ReportItem[] = [
    { title: 'input', figure: 'input', shape: formatShape(input), description: 'the tensor the first layer sees (after resize and mean/std)' },
    ...reportItems(net, input, results),
  ];
  const specJson = options.specJson ?? (await readFile(net.file, 'utf8').catch(() => '{}'));
  const meta: ReportMeta = { specName: net.name, input: options.inputName, ...(options.version ? { version: options.version } : {}) };
  return reportHtml(entries, specJson, meta, data);
}
