// Decides when one input of a batch is a huge image to stream in bands, and runs it that way.
import type { Engine, EngineFootprint } from '../engine/engine.js';
import { isNpy } from '../io/file-format.js';
import { readHead } from '../io/read-file.js';
import { selectedNodes, type LayerSelection } from '../network/run.js';
import { INPUT, type Network } from '../network/types.js';
import { inputError } from '../errors.js';
import { checkPixels } from '../io/limits.js';
import { formatBytes } from '../format.js';
import { applyStreamed, probeImage, shouldStream, streamingPays } from '../stream/index.js';
import type { BatchFormat, PlannedItem } from './plan.js';

export interface StreamSettings {
  /** --max-memory in bytes. */
  readonly maxMemory: number;
  /** --band-rows: always stream, with bands of this many rows (testing aid). */
  readonly bandRows?: number;
  readonly maxPixels?: number;
}

/**
 * True when `planned` runs in bands: --band-rows was given, a whole-image run would not fit
 * --max-memory, or streaming pays (streamingPays: a one-stage network on a large image, whose outputs
 * are .npy files). Only image files (not stdin, not .npy) of specs without input.resize can stream,
 * and only layer outputs (`--layer input` is the whole decoded image anyway); an input too large to
 * run whole that cannot, or whose outputs are not .npy, fails with a message saying why.
 */
export async function needsStreaming(planned: PlannedItem, net: Network, selection: readonly LayerSelection[], format: BatchFormat, settings: StreamSettings, engine: EngineFootprint): Promise<boolean> {
  const { item } = planned;
  if (item.file === '-' || net.input.resize || selection.some((s) => s.node === INPUT)) return false;
  if (await startsWithNpyMagic(item.file)) return false;
  let shape = null;
  if (settings.bandRows === undefined) {
    shape = await probeImage(item.file, item.name, net.input).catch(() => null);
    // Before anything is planned or allocated: an image over the pixel limit goes no further.
    if (shape) checkPixels(item.name, shape.width, shape.height, settings.maxPixels);
    // An image sharp cannot probe, or one too small for the network, fails later in the ordinary
    // path, whose message names the input and the layer.
    const probed = shape;
    const nodes = selectedNodes(selection);
    if (!probed || nodes.length === 0) return false;
    if (!unlessUnfit(() => shouldStream(net, probed, settings.maxMemory, nodes, engine))) {
      return format === 'npy' && !planned.outputs.includes('-') && unlessUnfit(() => streamingPays(net, probed, nodes, engine));
    }
  }
  if (format !== 'npy' || planned.outputs.includes('-')) {
    const size = shape ? `is ${shape.width}x${shape.height}, ` : '';
    const why = settings.bandRows === undefined ? `too large to run whole within --max-memory ${formatBytes(settings.maxMemory)}, and ` : '--band-rows was given, but ';
    throw inputError('input.stream', item.name, `${size}${why}streamed runs write .npy files only (band by band); use -o OUT.npy or --format npy`);
  }
  return true;
}

/** `decide()`, or false when it throws because the image does not fit the network (inferring its shapes). */
function unlessUnfit(decide: () => boolean): boolean {
  try {
    return decide();
  } catch {
    return false;
  }
}

async function startsWithNpyMagic(file: string): Promise<boolean> {
  return isNpy(await readHead(file, 6).catch(() => new Uint8Array()));
}

/** Streams one image through the network, writing its .npy outputs band by band; `report` gets `band i/n · MPix/s`. */
export async function runStreamed(engine: Engine, net: Network, selection: readonly LayerSelection[], planned: PlannedItem, settings: StreamSettings, report: (text: string | null) => void): Promise<void> {
  const { width } = await probeImage(planned.item.file, planned.item.name, net.input);
  const started = performance.now();
  try {
    await applyStreamed(engine, net, planned.item.file, planned.item.name, selection.map((s) => s.node), planned.outputs, {
      maxMemory: settings.maxMemory,
      bandRows: settings.bandRows,
      maxPixels: settings.maxPixels,
      onProgress: (done, total, rowsDone) => {
        const seconds = (performance.now() - started) / 1000;
        const mpix = seconds > 0 ? (rowsDone * width) / 1e6 / seconds : 0;
        report(`${planned.item.name}: band ${done}/${total}${mpix > 0 ? ` · ${mpix.toFixed(1)} MPix/s` : ''}`);
      },
    });
  } finally {
    report(null);
  }
}
