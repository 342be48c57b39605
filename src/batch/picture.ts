// The PNG side of an output: a labelled channel grid, or an overlay of the map on its input, with the --scale/--cmap/--sort/--grid choices.
import { summarize } from '../inspect/summary.js';
import { tensor, type Tensor } from '../engine/tensor.js';
import type { LayerOutput } from '../network/run.js';
import type { ColormapName } from '../render/colormap.js';
import { renderGrid } from '../render/grid.js';
import { renderOverlay, stretchAlignment, type Alignment, type OverlayInput } from '../render/overlay.js';
import { normalize } from '../render/scale.js';
import type { Network } from '../network/types.js';

export interface PictureOptions {
  /** --scale: channel (default), global, none or pLOW-pHIGH. */
  readonly scale: string;
  /** --cmap: gray (default for grids), viridis, magma (default for overlays), diverging. */
  readonly cmap?: ColormapName;
  /** --sort: index or energy. */
  readonly sort?: 'index' | 'energy';
  /** --grid COLSxROWS, parsed. */
  readonly grid?: { readonly cols?: number; readonly rows?: number };
  /** --overlay: draw the map over a faded copy of the input instead of a grid. */
  readonly overlay?: boolean;
}

/** The PNG bytes for one layer output of `input`. */
export async function renderPicture(net: Network, result: LayerOutput, input: Tensor, options: PictureOptions): Promise<Uint8Array> {
  if (options.overlay) {
    return renderOverlay(result.tensor, inputPixels(input), alignmentOf(net, result, input), { cmap: options.cmap, scale: options.scale });
  }
  return renderGrid(result.tensor, { scale: options.scale, cmap: options.cmap, sort: options.sort, grid: options.grid, specName: net.name, layerName: result.label });
}

/** A picture of the network's input tensor itself (first three channels, one range for all), so .npy inputs work too. */
export function inputPixels(input: Tensor): OverlayInput {
  const channels = input.channels >= 3 ? 3 : 1;
  const shown = tensor(channels, input.height, input.width, input.data.subarray(0, channels * input.height * input.width));
  const scaled = normalize(shown, { kind: 'global' });
  const plane = input.height * input.width;
  const rgb = new Uint8Array(plane * shown.channels);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < shown.channels; c++) {
      const v = scaled[c * plane + p];
      rgb[p * shown.channels + c] = Number.isNaN(v) ? 0 : Math.round(v * 255);
    }
  }
  return { rgb, width: input.width, height: input.height };
}

/** Where the layer's cells sit on the input: its receptive-field jump and start, or a stretch after adaptive pooling. */
function alignmentOf(net: Network, result: LayerOutput, input: Tensor): Alignment {
  if (result.layer === null) return { jump: [1, 1], start: [0, 0] };
  const layer = summarize(net, input).layers[result.layer.index];
  if (layer.jump && layer.start) return { jump: layer.jump, start: layer.start };
  return stretchAlignment(result.tensor, input);
}
