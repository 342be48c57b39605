// Chooses and starts an engine by name.
import { describeValue } from '../errors.js';
import { engineError, type Engine, type EngineKind } from './engine.js';
import { createReferenceEngine } from './reference.js';

export interface EngineOptions {
  readonly kind: EngineKind;
  /** Worker threads for the fast engine; default: the number of cores. */
  readonly threads?: number;
  /**
   * false: the fast engine convolves directly, never by Winograd. Winograd mixes a tile's inputs, so a
   * NaN or infinity among them makes the whole tile's outputs NaN; a direct convolution keeps them to
   * the outputs whose window holds them, as PyTorch does. Default true.
   */
  readonly winograd?: boolean;
  /**
   * false: the fast engine multiplies, then adds, even where the runtime could fuse them (see
   * FastEngineOptions.fma); true or absent: it fuses them where the runtime can (the CLI's --fma default).
   */
  readonly fma?: boolean;
}

export async function createEngine(options: EngineOptions): Promise<Engine> {
  if (typeof options !== 'object' || options === null) throw engineError(`createEngine: expected options such as { kind: 'fast' }, got ${describeValue(options)}`);
  if (options.kind !== 'reference' && options.kind !== 'fast') throw engineError(`options.kind must be 'fast' or 'reference', got ${describeValue(options.kind)}`);
  if (options.kind === 'reference') return createReferenceEngine();
  const { createFastEngine } = await import('./fast/index.js');
  return createFastEngine({ threads: options.threads, algorithm: options.winograd === false ? 'direct' : 'auto', fma: options.fma === false ? false : undefined });
}
