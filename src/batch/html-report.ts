// The offline HTML report of one input (`--layer all -o report/`): the input picture, one picture per layer, the spec.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { formatShape, type Tensor } from '../engine/tensor.js';
import { writeFileAtomic } from '../io/atomic.js';
import { layerPlace, type LayerOutput } from '../network/run.js';
import { renderGrid } from '../render/grid.js';
import { writeReport } from '../render/html-page.js';
import type { Network } from '../network/types.js';
import { inputPixels, type PictureOptions } from './picture.js';

async function colourPicture(input: Tensor): Promise<Buffer> {
  const { rgb, width, height } = inputPixels(input);
  return sharp(rgb, { raw: { width, height, channels: 3 } }).png().toBuffer();
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
    { title: 'input', file: inputFile, shape: formatShape(input), description: 'the tensor the first layer sees (after resize and mean/std)' },
    ...results.map((r, i) => ({
      title: r.label,
      file: path.basename(pictures[i]),
      shape: formatShape(r.tensor),
      description: r.layer ? layerPlace(r.layer) : 'the tensor the first layer sees',
    })),
  ];
  const specJson = await readFile(net.file, 'utf8').catch(() => '{}');
  await writeReport(dir, entries, specJson, { specName: net.name, input: stem, version });
}
