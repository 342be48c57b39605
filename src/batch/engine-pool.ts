// Engines shared by a batch: one engine on every core for a single image, or one single-threaded engine per core for many.
import { createEngine } from '../engine/create.js';
import type { Engine, EngineKind } from '../engine/engine.js';
import type { Shape } from '../engine/tensor.js';
import type { Network } from '../network/types.js';

/**
 * Hands out engines one caller at a time, first come first served. With several engines, several
 * images compute at once, each on its own core: no barrier between threads inside an image, so a
 * folder of ordinary photos goes faster than splitting each image across cores. Outputs are the same
 * bits either way (the fast engine's results do not depend on its thread count).
 */
export class EnginePool {
  private readonly idle: Engine[];
  private readonly waiting: ((engine: Engine) => void)[] = [];
  private nextRecycle = 0;

  constructor(private readonly engines: readonly Engine[]) {
    this.idle = [...engines];
  }

  get size(): number {
    return this.engines.length;
  }

  /** The engines' kind (all are of one). */
  get kind(): EngineKind {
    return this.engines[0].kind;
  }

  /** The most worker threads of an engine (a run's work buffers are a slot a thread): see Engine.threads. */
  get threads(): number {
    return Math.max(...this.engines.map((e) => e.threads ?? 1));
  }

  /** Weight bytes the engines have yet to allocate for `net` (each packs its own): see Engine.weightBytes. */
  weightBytes(net: Network, input: Shape): number {
    return this.engines.reduce((sum, e) => sum + (e.weightBytes?.(net, input) ?? 0), 0);
  }

  /** See Engine.spreadsNonFinite: the engines share one kind and one setting, so the first answers for all. */
  spreadsNonFinite(net: Network, input: Shape, outputs: readonly number[]): boolean {
    return this.engines[0].spreadsNonFinite?.(net, input, outputs) ?? false;
  }

  /** Runs `fn` with an engine of its own, waiting for one to be free. */
  async use<T>(fn: (engine: Engine) => Promise<T>): Promise<T> {
    const engine = this.idle.pop() ?? (await new Promise<Engine>((resolve) => this.waiting.push(resolve)));
    try {
      return await fn(engine);
    } finally {
      const next = this.waiting.shift();
      if (next) next(engine);
      else this.idle.push(engine);
    }
  }

  /**
   * Hands an output array that nothing uses any more to one of the engines (in turn: the images of a
   * folder have one size, so any engine's next run can fill it). See Engine.recycle.
   */
  recycle(data: Float32Array): void {
    this.engines[this.nextRecycle++ % this.engines.length].recycle?.(data);
  }

  async close(): Promise<void> {
    await Promise.all(this.engines.map((e) => e.close()));
  }
}

/**
 * The engines for a run: `count` engines of `threads` threads each. With an explicit --threads, or
 * one input, or the reference engine, a single engine; otherwise one single-threaded fast engine per
 * core (capped by the number of images).
 */
export async function createEnginePool(kind: EngineKind, options: { threads?: number; winograd?: boolean; fma?: boolean; images: number; cores: number }): Promise<EnginePool> {
  const perImage = kind === 'fast' && options.threads === undefined && options.images > 1 && options.cores > 1;
  const count = perImage ? Math.min(options.cores, options.images) : 1;
  // Started together: each engine's worker boots on its own core.
  const started = await Promise.allSettled(
    Array.from({ length: count }, () => createEngine({ kind, threads: perImage ? 1 : options.threads, winograd: options.winograd, fma: options.fma })),
  );
  const engines = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(engines.map((e) => e.close()));
    throw failed.reason;
  }
  return new EnginePool(engines);
}
