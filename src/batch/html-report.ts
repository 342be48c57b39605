// The offline HTML report of one input (`--layer all -o report/`): the input picture, one picture per node shown in nested sections for the spec's groups, the spec.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { formatShape, type Shape, type Tensor } from '../engine/tensor.js';
import { writeFileAtomic } from '../io/atomic.js';
import { groupTitle, outline } from '../inspect/outline.js';
import { layerPlace, type LayerOutput } from '../network/run.js';
import { inferShapes } from '../network/shapes.js';
import { renderGrid } from '../render/grid.js';
import { writeReport, type ReportEntry, type ReportItem } from '../render/html-page.js';
import { INPUT, type Network } from '../network/types.js';
import { inputPixels, type PictureOptions } from './picture.js';

async function colourPicture(input: Tensor): Promise<Buffer> {
  const { rgb, width, height } = inputPixels(input);
  return sharp(rgb, { raw: { width, height, channels: 3 } }).png().toBuffer();
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
 * The pictures of `results` (one per result, same order) as the report lists them: one figure per
 * node, in node order, titled with the node's own name when it was selected (its other names in the
 * caption), inside a section for each group around it (nested as the spec nests them).
 */
export function reportItems(net: Network, input: Shape, results: readonly LayerOutput[], pictures: readonly string[]): ReportItem[] {
  const byNode = new Map<number, { labels: string[]; file: string; shape: string }>();
  results.forEach((r, i) => {
    if (!r.layer) return;
    const seen = byNode.get(r.node);
    if (seen) seen.labels.push(r.label);
    else byNode.set(r.node, { labels: [r.label], file: path.basename(pictures[i]), shape: formatShape(r.tensor) });
  });
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
    const entry: ReportEntry = { title, file: picture.file, shape: picture.shape, description: notes.join('; ') };
    into.push(entry);
  }
  return prune(root);
}

/**
 * Writes `<stem>.input.png` and `index.html` into `dir`, beside the layer pictures already written
 * as `pictures` (one per result, same order).
 */
export async function writeLayerReport(dir: string, stem: string, net: Network, input: Tensor, results: readonly LayerOutput[], pictures: readonly string[], options: PictureOptions, version: string): Promise<void> {
  const inputFile = `${stem}.input.png`;
  // A colour input is shown as the photo it is; other channel counts as a grid like any layer.
  const inputPicture = input.channels === 3 ? await colourPicture(input) : await renderGrid(input, { scale: 'global', specName: net.name, layerName: 'input', grid: options.grid });
  await writeFileAtomic(path.join(dir, inputFile), inputPicture);
  const entries = [
    // `--layer input` is this entry (same file name: its picture is the one just written).
    { title: 'input', file: inputFile, shape: formatShape(input), description: 'the tensor the first layer sees (after resize and mean/std)' },
    ...reportItems(net, input, results, pictures),
  ];
  const specJson = await readFile(net.file, 'utf8').catch(() => '{}');
  await writeReport(dir, entries, specJson, { specName: net.name, input: stem, version });
}
