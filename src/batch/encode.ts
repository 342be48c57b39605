// Encodes one input's layer outputs as the files to write: one .npy/.png per layer, or one .safetensors holding them all.
import path from 'node:path';
import type { Tensor } from '../engine/tensor.js';
import { encodeNpyChunks } from '../io/npy.js';
import { encodeSafetensors } from '../io/safetensors.js';
import type { LayerOutput } from '../network/run.js';
import type { Network } from '../network/types.js';
import { layerReportHtml } from './html-report.js';
import { renderPicture, type PictureOptions } from './picture.js';
import type { BatchFormat } from './plan.js';

export interface EncodeContext {
  readonly net: Network;
  /** How PNG pictures are drawn. */
  readonly picture: PictureOptions;
  /** cnnx's version, recorded in safetensors metadata. */
  readonly version: string;
}

/** The bytes of each output file, in the order a planned item lists its outputs. */
/** One output file's bytes, whole or in pieces written one after another. */
export type FileBytes = Uint8Array | readonly Uint8Array[];

export async function encodeResults(results: readonly LayerOutput[], format: BatchFormat, ctx: EncodeContext, inputName: string, input: Tensor): Promise<FileBytes[]> {
  if (format === 'safetensors') return [encodeSafetensorsResult(results, ctx, inputName)];
  if (format === 'report') return [Buffer.from(await layerReportHtml(ctx.net, input, results, { inputName: path.basename(inputName), version: ctx.version }), 'utf8')];
  const files: FileBytes[] = [];
  for (const result of results) {
    const t = result.tensor;
    files.push(format === 'npy' ? encodeNpyChunks([t.channels, t.height, t.width], t.data) : await renderPicture(ctx.net, result, input, ctx.picture));
  }
  return files;
}

/** Every layer as an F32 tensor named by its label, with metadata saying what produced the file. */
export function encodeSafetensorsResult(results: readonly LayerOutput[], ctx: EncodeContext, inputName: string): Uint8Array {
  const tensors = results.map((r) => ({ name: r.label, shape: [r.tensor.channels, r.tensor.height, r.tensor.width], data: r.tensor.data }));
  return encodeSafetensors(tensors, safetensorsMetadata(results, ctx, inputName));
}

/** safetensors metadata is string to string, so lists are JSON text. */
export function safetensorsMetadata(results: readonly LayerOutput[], ctx: EncodeContext, inputName: string): Record<string, string> {
  return {
    format: 'pt',
    producer: 'cnnx',
    cnnx_version: ctx.version,
    spec_name: ctx.net.name,
    spec_sha256: ctx.net.hash,
    input: inputName,
    layers: JSON.stringify(results.map((r) => ({ name: r.label, index: r.node, type: r.layer?.type ?? 'input', shape: [r.tensor.channels, r.tensor.height, r.tensor.width] }))),
  };
}
