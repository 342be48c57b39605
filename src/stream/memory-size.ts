// Memory sizes: parsing '512M' / '2G' / '1.5G', and the default budget of a streamed run.
import os from 'node:os';
import { CnnxError, describeValue } from '../errors.js';
import { formatBytes } from '../format.js';

const UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** Below this no band of any network fits beside Node, sharp and the engine. */
export const MIN_MEMORY = 128 * 2 ** 20;

/**
 * Bytes for a size such as `512M`, `2G`, `1.5G`, `800MB`, `1GiB` or a plain byte count.
 * Units are binary (M = 2^20). `what` names the option in messages; sizes under `min` are refused.
 */
export function parseMemorySize(text: string, what = 'memory size', min = MIN_MEMORY): number {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!match) {
    throw new CnnxError('usage.memory', `${what} ${JSON.stringify(text)}: expected a size such as 512M, 2G or 1.5G (units K, M, G, T)`);
  }
  const bytes = Math.floor(Number(match[1]) * UNITS[match[2].toUpperCase()]);
  if (bytes < min) {
    const why = min === MIN_MEMORY ? ' (Node, sharp and the engine alone use about 100M)' : '';
    throw new CnnxError('usage.memory', `${what} ${text}: at least ${formatBytes(min)} is needed${why}`);
  }
  return bytes;
}

/** Refuses a memory budget given as bytes (options.maxMemory) that is not a number above 0. */
export function checkMaxMemory(bytes: unknown, where: string): void {
  if (typeof bytes !== 'number' || !(bytes > 0)) throw new CnnxError('usage.memory', `${where}: expected a number of bytes > 0, got ${describeValue(bytes)}`);
}

/** Half of the memory the OS reports available: leaves room for the page cache and other processes. */
export function defaultMaxMemory(): number {
  return Math.max(MIN_MEMORY, Math.floor(os.freemem() * 0.5));
}
