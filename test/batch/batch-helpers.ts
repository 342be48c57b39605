// Shared pieces of the batch tests: the fixture tree, expected outputs computed in-process, and tree listings.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createReferenceEngine } from '../../src/engine/reference.js';
import { readInput } from '../../src/io/image.js';
import { encodeNpy } from '../../src/io/npy.js';
import { runNetwork, selectLayers } from '../../src/network/run.js';
import { loadNetwork } from '../../src/network/load.js';
import { FIXTURES } from '../helpers.js';

export const BATCH = path.join(FIXTURES, 'batch');
export const SEED = path.join(BATCH, 'seed.json');
export const PHOTOS = path.join(BATCH, 'photos');
/** The good images of the fixture tree and the outputs a folder run must write for them. */
export const GOOD: Record<string, string> = {
  'cat.png': 'cat.npy',
  '2024/rocket.jpg': '2024/rocket.npy',
  '2024/summer/astronaut.png': '2024/summer/astronaut.npy',
  '2024/summer/coffee.webp': '2024/summer/coffee.npy',
};

/** The .npy bytes a single-image run of the seed network writes for `file` (library API, reference engine). */
export async function expectedNpy(file: string | Uint8Array, layers: string[] = []): Promise<Buffer> {
  const net = await loadNetwork(SEED);
  const input = await readInput(file, 'expected', net.input);
  const [out] = await runNetwork(createReferenceEngine(), net, input, selectLayers(net, layers), 'expected');
  return Buffer.from(encodeNpy([out.tensor.channels, out.tensor.height, out.tensor.width], out.tensor.data));
}

/** Every file under `dir`, relative, sorted (hidden ones included: temp files must not hide). */
export function listTree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)))
    .sort();
}

export function readJsonl(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}
