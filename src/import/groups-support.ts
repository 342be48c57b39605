// Whether this build's spec loader reads `sequential` groups (the branching-networks change); imports of plain stacks stay loadable without it.
import { parseNetwork } from '../network/load.js';

let cached: Promise<boolean> | null = null;

/** True when a spec with a `sequential` group loads; until then, plain-stack imports are written flat. */
export function loaderReadsGroups(): Promise<boolean> {
  cached ??= parseNetwork({ input: { channels: 1 }, layers: [{ type: 'sequential', name: 'g', layers: [{ type: 'relu' }] }] }, { file: '<probe>', dir: '.', hash: '' }).then(
    () => true,
    () => false,
  );
  return cached;
}
