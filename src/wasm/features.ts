// WebAssembly feature detection: SIMD128 (required by the fast engine) and relaxed SIMD (fused multiply-adds), which Node 20 gets by a V8 flag.
import v8 from 'node:v8';

// (module (func (result v128) (f32x4.add (v128.const i64x2 0 0) (v128.const i64x2 0 0))))
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 43, 1, 41, 0,
  253, 12, ...new Array<number>(16).fill(0), 253, 12, ...new Array<number>(16).fill(0), 253, 228, 1, 11,
]);

// (module (func (result v128) (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0))))
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
  253, 12, ...new Array<number>(16).fill(0), 253, 12, ...new Array<number>(16).fill(0),
  253, 12, ...new Array<number>(16).fill(0), 253, 133, 2, 11,
]);

/** True when this runtime validates WebAssembly SIMD128 (Node >= 16.4). */
export function hasSimd(): boolean {
  return WebAssembly.validate(SIMD_PROBE);
}

/**
 * True when relaxed SIMD (f32x4.relaxed_madd) validates now: by default from Node 22 (V8 11.4 shipped it);
 * on Node 20 (V8 11.3) under --experimental-wasm-relaxed-simd (given to node, or while compileRelaxed runs).
 */
export function hasRelaxedSimd(): boolean {
  return WebAssembly.validate(RELAXED_SIMD_PROBE);
}

/**
 * The V8 whose relaxed SIMD is complete but still behind a flag: Node 20's 11.3 (11.4 shipped it on).
 * Older V8s (Node 18 and before, which cnnx does not support) are left alone.
 */
const FLAGGED_V8 = /^11\.3\./;

const FLAG = '--experimental-wasm-relaxed-simd';
const NO_FLAG = '--no-experimental-wasm-relaxed-simd';

/** Runs `fn` with V8's relaxed SIMD flag on, then turns it off again. */
function underFlag<T>(fn: () => T): T {
  v8.setFlagsFromString(FLAG);
  try {
    return fn();
  } finally {
    v8.setFlagsFromString(NO_FLAG);
  }
}

let available: boolean | undefined;

/**
 * Whether the fast engine can fuse multiply-adds here: relaxed SIMD validates by default (from Node 22),
 * or under V8's flag on Node 20, which compileRelaxed turns on while it compiles. So the engine fuses
 * multiply-adds on every supported Node.js and its bytes do not depend on the version.
 */
export function relaxedSimdAvailable(): boolean {
  available ??= hasRelaxedSimd() || (FLAGGED_V8.test(process.versions.v8) && underFlag(hasRelaxedSimd));
  return available;
}

/**
 * Compiles a module that uses relaxed SIMD. Where that validates only under V8's flag (Node 20), the
 * flag is on while the module compiles and off once it has: V8 checks its code caches against a hash
 * of every flag, so with one changed, each worker thread started afterwards compiles Node.js's own
 * JavaScript from source instead of its startup snapshot's cache (a fast engine worker was ready in
 * 64-104 ms instead of 32-46). The compiled module keeps its instructions: workers instantiate it
 * without validating it again. A compile that fails because another thread turned the flag off under
 * it runs again with the flag left on.
 */
export async function compileRelaxed(bytes: Uint8Array<ArrayBuffer>): Promise<WebAssembly.Module> {
  const setHere = !hasRelaxedSimd();
  if (setHere) v8.setFlagsFromString(FLAG);
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes);
  } catch (error) {
    if (!(error instanceof WebAssembly.CompileError) || !FLAGGED_V8.test(process.versions.v8)) {
      if (setHere) v8.setFlagsFromString(NO_FLAG);
      throw error;
    }
    v8.setFlagsFromString(FLAG);
    return WebAssembly.compile(bytes);
  }
  if (setHere) v8.setFlagsFromString(NO_FLAG);
  return module;
}
