// Locates and compiles the SIMD module built from src/wasm/assembly, once per process and build: build/cnnx.wasm
// (multiply, then add), build/cnnx-fma.wasm (fused multiply-adds, relaxed SIMD) or build/cnnx-debug.wasm (asserts on).
import { readFile } from 'node:fs/promises';
import { CnnxError } from '../errors.js';
import { compileRelaxed, hasSimd } from './features.js';

/**
 * Which build of the module: 'plain' (SIMD128, the micro-kernels multiply then add), 'fma' (relaxed SIMD,
 * their multiply-adds fused), 'debug' ('plain' with every routine's preconditions checked: a violated one
 * throws from the worker, naming the routine and the check).
 */
export type SimdBuild = 'plain' | 'fma' | 'debug';

/** The file of each build, resolved from this file (src/wasm/ and dist/wasm/ are both two levels below the package root). */
export const WASM_URLS: Readonly<Record<SimdBuild, URL>> = {
  plain: new URL('../../build/cnnx.wasm', import.meta.url),
  fma: new URL('../../build/cnnx-fma.wasm', import.meta.url),
  debug: new URL('../../build/cnnx-debug.wasm', import.meta.url),
};

/** Pages of 64 KiB the module may address: 4 GiB, the wasm32 limit (address space only; RSS follows use). */
export const MAX_PAGES = 65536;

/** True when the environment asks for the debug build (CNNX_WASM_DEBUG=1): the fast engine's default for `debug`. */
export function debugFromEnv(): boolean {
  return process.env.CNNX_WASM_DEBUG === '1';
}

const compiled = new Map<SimdBuild, Promise<WebAssembly.Module>>();

/** Whether this thread has compiled (or is compiling) that build. */
export function isLoading(build: SimdBuild): boolean {
  return compiled.has(build);
}

/** The compiled module of a build; throws a CnnxError saying what to do when it cannot be loaded. */
export function loadSimdModule(build: SimdBuild): Promise<WebAssembly.Module> {
  let module = compiled.get(build);
  if (!module) {
    const url = WASM_URLS[build];
    module = (async () => {
      if (!hasSimd()) {
        throw new CnnxError('engine.simd', 'the fast engine needs WebAssembly SIMD, which this Node.js does not support: use Node.js >= 20, or the reference engine (options.kind "reference")');
      }
      let bytes: Buffer;
      try {
        bytes = await readFile(url);
      } catch {
        throw new CnnxError('engine.wasm_missing', `cannot read ${url.pathname}: run \`npm run build\` (it builds the module from src/wasm/assembly), or use the reference engine (options.kind "reference")`);
      }
      return build === 'fma' ? compileRelaxed(new Uint8Array(bytes)) : WebAssembly.compile(new Uint8Array(bytes));
    })();
    compiled.set(build, module);
    module.catch(() => compiled.delete(build));
  }
  return module;
}

/**
 * The module instantiated on the calling thread over `memory`, for the exports that thread calls itself:
 * the fast engine's weight packers on its main thread, a decoding thread's resampling (src/io/simd-instance.ts).
 * The engine's workers instantiate their own. Instantiating writes nothing into the memory (the debug build:
 * its assert messages, the same bytes each worker writes).
 */
export function instantiateHere(module: WebAssembly.Module, memory: WebAssembly.Memory): WebAssembly.Exports {
  const abort = (): never => {
    throw new Error('the SIMD module aborted outside the engine\'s workers');
  };
  return new WebAssembly.Instance(module, { env: { memory, abort } }).exports;
}
