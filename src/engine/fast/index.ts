// The fast engine's public entry: createFastEngine({ threads, algorithm, fma, debug }).
import { availableParallelism } from 'node:os';
import { relaxedSimdAvailable } from '../../wasm/features.js';
import { debugFromEnv } from '../../wasm/loader.js';
import { engineError, type Engine } from '../engine.js';
import { FastEngine } from './engine.js';

import type { Algorithm } from './plan-types.js';

export { FastEngine, type StepTiming } from './engine.js';
export type { ThreadShare } from './worker-pool.js';
export type { Algorithm } from './plan-types.js';

export interface FastEngineOptions {
  /** Worker threads; default os.availableParallelism(). Results are bit-identical for any value. */
  readonly threads?: number;
  /** Conv algorithm: 'auto' (default) picks per layer; 'direct', 'winograd' (2-D where it applies, else row-wise) and 'winograd-x' (row-wise) force one wherever it applies (tests, benchmarks). */
  readonly algorithm?: Algorithm;
  /**
   * Fused multiply-adds in the micro-kernels (the relaxed-SIMD build of the module): the default on
   * Node.js >= 22 and on Node 20, where the engine turns V8's --experimental-wasm-relaxed-simd flag on
   * while it compiles the module (see compileRelaxed). Results differ from the multiply-then-add build in the last bits
   * (both within the conformance tolerance); false multiplies, then adds: the bytes of earlier cnnx
   * releases on Node 20.
   */
  readonly fma?: boolean;
  /**
   * The debug build of the module (build/cnnx-debug.wasm): every routine first checks its descriptor
   * and arguments (addresses aligned and inside the memory, counts positive, ranges ordered ...), and a
   * violated check rejects the run with the routine's name and the check. Same bytes as fma: false.
   * Default: true when the environment has CNNX_WASM_DEBUG=1.
   */
  readonly debug?: boolean;
}

/**
 * Starts the worker pool and compiles the SIMD module; call `close()` when done.
 * @example
 * const engine = await createFastEngine({ threads: 2 });
 * const [out] = await engine.run(net, band, wholeMapRows(net, shape), [net.layers.length - 1]);
 * await engine.close();
 */
export async function createFastEngine(options: FastEngineOptions = {}): Promise<Engine> {
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    return Promise.reject(engineError(`options.threads must be an integer from 1 to 256, got ${String(threads)}`));
  }
  if (options.algorithm !== undefined && !['auto', 'direct', 'winograd', 'winograd-x'].includes(options.algorithm)) {
    return Promise.reject(engineError(`options.algorithm must be 'auto', 'direct', 'winograd' or 'winograd-x', got ${String(options.algorithm)}`));
  }
  const debug = options.debug ?? debugFromEnv();
  if (debug && options.fma === true) return Promise.reject(engineError('options.fma: the debug build has no fused multiply-adds; pass fma: false or leave it out'));
  if (options.fma === true && !relaxedSimdAvailable()) {
    return Promise.reject(engineError(`options.fma: this runtime (V8 ${process.versions.v8}) cannot validate relaxed SIMD; use Node.js >= 20`));
  }
  return FastEngine.create(threads, options.algorithm ?? 'auto', options.fma, debug);
}
