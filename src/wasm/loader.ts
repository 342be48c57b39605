// Locates and compiles the SIMD module built from src/wasm/assembly, once per process and variant:
// build/cnnx-fma.wasm (fused multiply-adds, relaxed SIMD) where the runtime validates it, else build/cnnx.wasm.
import { readFile } from 'node:fs/promises';
import { CnnxError } from '../errors.js';
import { hasSimd } from './features.js';

/** build/cnnx.wasm, resolved from this file (src/wasm/ and dist/wasm/ are both two levels below the package root). */
export const WASM_URL = new URL('../../build/cnnx.wasm', import.meta.url);
/** The same kernels built with relaxed SIMD: the micro-kernels' multiply-adds fused (f32x4.relaxed_madd). */
export const WASM_FMA_URL = new URL('../../build/cnnx-fma.wasm', import.meta.url);

/** Pages of 64 KiB the module may address: 4 GiB, the wasm32 limit (address space only; RSS follows use). */
export const MAX_PAGES = 65536;

const compiled = new Map<boolean, Promise<WebAssembly.Module>>();

/**
 * The compiled module, with fused multiply-adds when `fma` (callers pass hasRelaxedSimd() unless told
 * otherwise); throws a CnnxError saying what to do when it cannot be loaded.
 */
export function loadSimdModule(fma: boolean): Promise<WebAssembly.Module> {
  let module = compiled.get(fma);
  if (!module) {
    const url = fma ? WASM_FMA_URL : WASM_URL;
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
      return WebAssembly.compile(new Uint8Array(bytes));
    })();
    compiled.set(fma, module);
    module.catch(() => compiled.delete(fma));
  }
  return module;
}
