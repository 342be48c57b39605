// Locates and compiles the SIMD module built from src/wasm/assembly (build/cnnx.wasm), once per process.
import { readFile } from 'node:fs/promises';
import { CnnxError } from '../errors.js';
import { hasSimd } from './features.js';

/** build/cnnx.wasm, resolved from this file (src/wasm/ and dist/wasm/ are both two levels below the package root). */
export const WASM_URL = new URL('../../build/cnnx.wasm', import.meta.url);

/** Pages of 64 KiB the module may address: 4 GiB, the wasm32 limit (address space only; RSS follows use). */
export const MAX_PAGES = 65536;

let compiled: Promise<WebAssembly.Module> | undefined;

/** The compiled module; throws a CnnxError with possible solutions when it cannot be loaded. */
export function loadSimdModule(): Promise<WebAssembly.Module> {
  if (!compiled) {
    compiled = (async () => {
      if (!hasSimd()) {
        throw new CnnxError('engine.simd', 'the fast engine needs WebAssembly SIMD, which this Node.js does not support.\nPossible solutions:\n- use Node.js >= 20\n- run with --engine reference', 1);
      }
      let bytes: Buffer;
      try {
        bytes = await readFile(WASM_URL);
      } catch {
        throw new CnnxError('engine.wasm_missing', `cannot read ${WASM_URL.pathname}.\nPossible solutions:\n- run \`npm run build\` (it builds the module from src/wasm/assembly)\n- run with --engine reference`, 1);
      }
      return WebAssembly.compile(new Uint8Array(bytes));
    })();
    compiled.catch(() => {
      compiled = undefined;
    });
  }
  return compiled;
}
