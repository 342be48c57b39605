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
 * on Node 20 (V8 11.3) under --experimental-wasm-relaxed-simd, or once `enableRelaxedSimd` has run.
 */
export function hasRelaxedSimd(): boolean {
  return WebAssembly.validate(RELAXED_SIMD_PROBE);
}

/**
 * The V8 whose relaxed SIMD is complete but still behind a flag: Node 20's 11.3 (11.4 shipped it on).
 * Older V8s (Node 18 and before, which cnnx does not support) are left alone.
 */
const FLAGGED_V8 = /^11\.3\./;

/**
 * Makes relaxed SIMD validate where the runtime has it behind a flag (Node 20), so the fast engine
 * fuses multiply-adds on every supported Node.js and its bytes do not depend on the version. The flag
 * is process-wide and must be set before the module is compiled; the compiled module reaches the
 * workers by postMessage, and their threads share the flag. It only lets modules use instructions
 * they could not before: code without them runs as it did. Returns whether relaxed SIMD validates.
 */
export function enableRelaxedSimd(): boolean {
  if (hasRelaxedSimd()) return true;
  if (!FLAGGED_V8.test(process.versions.v8)) return false;
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return hasRelaxedSimd();
}
