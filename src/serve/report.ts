// The report `cnnx serve` shows, made as `apply --layer all --format report` makes it (same decode, engine and page), kept in memory; and the padding comparison's pictures.
import path from 'node:path';
import type { EnginePool } from '../batch/engine-pool.js';
import { checkReportSize, layerReportHtml } from '../batch/html-report.js';
import type { PictureOptions } from '../batch/picture.js';
import { renderPicture } from '../batch/picture.js';
import { tensor, type Shape, type Tensor } from '../engine/tensor.js';
import { readInput } from '../io/image.js';
import { runNetwork, selectLayers, type LayerOutput } from '../network/run.js';
import type { Network } from '../network/types.js';

/** One image the page can show: given on the command line (read at each render) or uploaded (kept in memory). */
export interface ServedImage {
  /** What the page and messages call it. */
  readonly name: string;
  /** The path given on the command line, or the uploaded bytes. */
  readonly source: string | Uint8Array;
}

export interface RenderSettings {
  readonly engines: EnginePool;
  readonly maxPixels: number;
  readonly version: string;
  readonly picture: PictureOptions;
}

async function decode(net: Network, image: ServedImage, settings: RenderSettings): Promise<Tensor> {
  return readInput(image.source, image.name, net.input, { maxPixels: settings.maxPixels });
}

/**
 * Every named layer of `net` on `image`: the one self-contained page `apply --format report` writes, in memory.
 * `specText` is the spec the page shows (it may be an edit not in the spec file).
 */
export async function renderReport(net: Network, specText: string, image: ServedImage, settings: RenderSettings): Promise<{ html: Uint8Array; input: Shape }> {
  const input = await decode(net, image, settings);
  const selection = selectLayers(net, ['all']);
  checkReportSize(net, input, selection, image.name);
  const results = await settings.engines.use((engine) => runNetwork(engine, net, input, selection, image.name));
  const html = await layerReportHtml(net, input, results, { inputName: path.basename(image.name), version: settings.version, specJson: specText });
  return { html: Buffer.from(html, 'utf8'), input: { channels: input.channels, height: input.height, width: input.width } };
}

/** One layer's output under each of several variants of the network (same image), and the difference of the first two. */
export interface Comparison {
  readonly pictures: readonly Uint8Array[];
  /** `a - b` drawn blue-white-red around zero: where the variants differ. */
  readonly difference: Uint8Array | null;
  /** Cells where the two maps differ, of all cells. */
  readonly differing: number;
  readonly cells: number;
}

/** The output of node `node` in each of `nets` (one layout, so the same node index) on `image`. */
export async function compareLayer(nets: readonly Network[], node: number, label: string, image: ServedImage, settings: RenderSettings): Promise<Comparison> {
  const input = await decode(nets[0], image, settings);
  const outputs: LayerOutput[] = [];
  for (const net of nets) {
    const [result] = await settings.engines.use((engine) => runNetwork(engine, net, input, [{ label, node }], image.name));
    outputs.push(result);
  }
  const pictures = await Promise.all(outputs.map((r, i) => renderPicture(nets[i], r, input, settings.picture)));
  const [a, b] = outputs.map((r) => r.tensor);
  if (!b || a.channels !== b.channels || a.height !== b.height || a.width !== b.width) return { pictures, difference: null, differing: 0, cells: a.data.length };
  const diff = new Float32Array(a.data.length);
  let differing = 0;
  for (let i = 0; i < diff.length; i++) {
    diff[i] = a.data[i] - b.data[i];
    if (a.data[i] !== b.data[i]) differing++;
  }
  const difference = await renderPicture(nets[0], { ...outputs[0], label: `${label} difference`, tensor: tensor(a.channels, a.height, a.width, diff) }, input, { ...settings.picture, cmap: 'diverging', scale: 'global' });
  return { pictures, difference, differing, cells: diff.length };
}
