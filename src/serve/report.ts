// The report `cnnx serve` shows, made as `apply --layer all --format report` makes it (same decode, engine, pictures and page), kept in memory.
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EnginePool } from '../batch/engine-pool.js';
import { encodeResults } from '../batch/encode.js';
import { writeLayerReport } from '../batch/html-report.js';
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

/** The report's files by relative name (`index.html` and its pictures), nothing on disk. */
export type ReportFiles = ReadonlyMap<string, Uint8Array>;

/** The temp folders of renders under way, removed on exit whatever happens. */
const pending = new Set<string>();

export function removeRenderTemps(): Promise<void> {
  return Promise.all([...pending].map((dir) => rm(dir, { recursive: true, force: true }))).then(() => undefined);
}

/** A name safe as a file stem: the image's base name with anything but letters, digits, `.`, `-` and `_` replaced. */
export function safeStem(name: string): string {
  const base = path.basename(name).replace(/\.[^.]*$/, '');
  const stem = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '').slice(0, 60);
  return stem || 'image';
}

async function decode(net: Network, image: ServedImage, settings: RenderSettings): Promise<Tensor> {
  return readInput(image.source, image.name, net.input, { maxPixels: settings.maxPixels });
}

/**
 * Every named layer of `net` on `image`, as the report folder apply writes, read back into memory.
 * `specText` is the spec the page shows (it may be an edit not in the spec file).
 */
export async function renderReport(net: Network, specText: string, image: ServedImage, settings: RenderSettings): Promise<{ files: ReportFiles; input: Shape }> {
  const input = await decode(net, image, settings);
  const selection = selectLayers(net, ['all']);
  const results = await settings.engines.use((engine) => runNetwork(engine, net, input, selection, image.name));
  const pictures = await encodeResults(results, 'report', { net, picture: settings.picture, version: settings.version }, image.name, input);
  const root = await mkdtemp(path.join(tmpdir(), 'cnnx-serve-'));
  pending.add(root);
  try {
    // The report reads the spec it shows from net.file: the text in use, beside (not inside) the report folder.
    const specFile = path.join(root, 'spec.json');
    await writeFile(specFile, specText);
    const dir = path.join(root, 'report');
    await mkdir(dir);
    // Picture names are cnnx's own, never layer or upload names: nothing from a spec or a request becomes a path.
    const names = results.map((_, i) => path.join(dir, `layer-${i}.png`));
    await Promise.all(names.map((file, i) => writeFile(file, pictures[i] as Uint8Array)));
    await writeLayerReport(dir, safeStem(image.name), { ...net, file: specFile }, input, results, names, settings.picture, settings.version);
    return { files: await readTree(dir), input: { channels: input.channels, height: input.height, width: input.width } };
  } finally {
    await rm(root, { recursive: true, force: true });
    pending.delete(root);
  }
}

async function readTree(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const relative of await readdir(dir, { recursive: true })) {
    const full = path.join(dir, relative);
    if ((await stat(full)).isFile()) files.set(relative.split(path.sep).join('/'), await readFile(full));
  }
  return files;
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
