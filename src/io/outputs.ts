// Encodes a layer output in the requested file format (float32 .npy, or a PNG picture).
import type { Tensor } from '../engine/tensor.js';
import { encodeNpy } from './npy.js';
import { renderGrid, type GridOptions } from '../render/grid.js';

export type OutputFormat = 'npy' | 'png';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['npy', 'png'];

/** The format implied by a file name's extension, or null. */
export function formatOfPath(file: string): OutputFormat | null {
  const lower = file.toLowerCase();
  if (lower.endsWith('.npy')) return 'npy';
  if (lower.endsWith('.png')) return 'png';
  return null;
}

export async function encodeOutput(t: Tensor, format: OutputFormat, picture: GridOptions): Promise<Uint8Array> {
  if (format === 'npy') return encodeNpy([t.channels, t.height, t.width], t.data);
  return renderGrid(t, picture);
}
