// Chooses and starts an engine by name.
import type { Engine, EngineKind } from './engine.js';
import { createReferenceEngine } from './reference.js';

export interface EngineOptions {
  readonly kind: EngineKind;
  /** Worker threads for the fast engine; default: the number of cores. */
  readonly threads?: number;
}

export async function createEngine(options: EngineOptions): Promise<Engine> {
  if (options.kind === 'reference') return createReferenceEngine();
  const { createFastEngine } = await import('./fast/index.js');
  return createFastEngine({ threads: options.threads });
}
