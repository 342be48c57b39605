// Loads an imported spec as `cnnx apply` will, from memory, before anything is written: a model that
// imports into a spec cnnx would then refuse (a grouped conv over channels the graph does not hold,
// padding past the size limits) fails the import instead, with exit 2 and nothing written.
import path from 'node:path';
import { CnnxError } from '../errors.js';
import type { SafetensorsFile } from '../io/safetensors.js';
import { parseNetwork } from '../network/load.js';
import type { WeightStore } from './spec-tree.js';

export async function checkImported(model: string, output: string, spec: Record<string, unknown>, store: WeightStore): Promise<void> {
  const dir = path.dirname(path.resolve(output));
  const tensors = new Map(store.all().map((t) => [t.name, t]));
  // The weights file the spec names, as it will be read back, without encoding it.
  const weights: SafetensorsFile = {
    tensorNames: () => [...tensors.keys()],
    has: (name) => tensors.has(name),
    tensor: (name) => {
      const t = tensors.get(name);
      if (!t) throw new Error(`the import refers to a tensor it did not store: ${name}`);
      return { shape: [...t.shape], dtype: 'F32', data: t.data };
    },
    metadata: {},
  };
  try {
    await parseNetwork(spec, { file: output, dir, hash: '', safetensors: new Map([[path.resolve(dir, store.file), Promise.resolve(weights)]]) });
  } catch (error) {
    if (!(error instanceof CnnxError)) throw error;
    throw new CnnxError('import.spec', `${model}: the spec it imports to would not load: ${error.message}`);
  }
}
