// Checkpoint + architecture name -> spec layers: the template of that torchvision family, filled with the checkpoint's tensors.
import { CnnxError } from '../errors.js';
import { didYouMean } from '../network/suggest.js';
import { ARCH_NAMES, findArch, type Arch, type BuildOptions } from './archs/index.js';
import { Template } from './archs/template.js';
import { readCheckpoint } from './checkpoint.js';
import type { SpecItem, WeightStore } from './spec-tree.js';

export function archByName(name: string): Arch {
  const arch = findArch(name);
  if (!arch) throw new CnnxError('import.usage', `--arch ${name}: unknown architecture${didYouMean(name, ARCH_NAMES)}; cnnx import --list-archs lists them`);
  return arch;
}

/** Reads the checkpoint at `file` (messages name `display`) and builds `arch`'s feature extractor from it. */
export async function importCheckpoint(file: string, display: string, arch: Arch, store: WeightStore, options: BuildOptions = { transformInput: true }): Promise<{ channels: number; layers: SpecItem[] }> {
  const isHead = (name: string): boolean => arch.heads.some((h) => name.startsWith(h));
  const checkpoint = await readCheckpoint(file, display, {
    rename: arch.rename,
    keep: (name) => !isHead(name) && !name.endsWith('.num_batches_tracked'),
  });
  const channels = 3;
  const t = new Template(arch.name, checkpoint, store, channels);
  const layers = arch.build(t, options);
  t.finish(arch.heads);
  return { channels, layers };
}
