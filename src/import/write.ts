// Writes an imported spec: NET.json and NET.safetensors beside it, both complete or neither replaced.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CnnxError } from '../errors.js';
import { writeAndSync, writeFileAtomic, writeReason } from '../io/atomic.js';
import { encodeSafetensorsChunks } from '../io/safetensors.js';
import type { WeightStore } from './spec-tree.js';

/** The safetensors file that goes with spec file `output` (same folder, same stem). */
export function weightsFileFor(output: string): string {
  return `${path.basename(output, path.extname(output))}.safetensors`;
}

/**
 * Writes `spec` to `output` and the store's tensors beside it. Both go to temp names first; the
 * weights are renamed into place before the spec, so a spec under its final name always finds
 * complete weights, and a failed write (disk full, no permission) replaces neither file.
 */
export async function writeImported(output: string, spec: Record<string, unknown>, store: WeightStore, metadata: Record<string, string>): Promise<void> {
  if (path.extname(output).toLowerCase() !== '.json') {
    throw new CnnxError('import.usage', `-o ${output}: the spec is a .json file (its weights go beside it as ${weightsFileFor(output)})`);
  }
  const weightsPath = path.join(path.dirname(output), store.file);
  // The weights are renamed into place first: a spec name the rename cannot take (a folder) would leave them replaced.
  if (await stat(output).then((s) => s.isDirectory(), () => false)) {
    throw new CnnxError('import.write', `${output}: cannot write the spec and its weights: it is a folder`);
  }
  const text = `${formatJson(spec)}\n`;
  const chunks = encodeSafetensorsChunks(store.all(), metadata);
  try {
    await writeFileAtomic(output, async (tmp) => {
      await writeAndSync(tmp, new TextEncoder().encode(text));
      await writeFileAtomic(weightsPath, chunks);
    });
  } catch (error) {
    throw new CnnxError('import.write', `${output}: cannot write the spec and its weights: ${writeReason(error)}`);
  }
}

/**
 * JSON as a person would lay it out: a value that fits on one line within `width` stays on one
 * line (a layer, a padding list), larger objects and arrays open one entry per line.
 */
export function formatJson(value: unknown, indent = '', width = 120): string {
  const flat = JSON.stringify(value);
  if (flat === undefined) return 'null';
  if (value === null || typeof value !== 'object' || indent.length + flat.length <= width) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + formatJson(v, inner, width)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner, width)}`).join(',\n')}\n${indent}}`;
}
