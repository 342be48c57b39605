// WebAssembly feature detection: SIMD128 (required by the fast engine) and relaxed SIMD (fused multiply-adds where it validates).

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
 * True when relaxed SIMD (f32x4.relaxed_madd) validates: by default from Node 22 (V8 11.4 shipped it);
 * on Node 20 (V8 11.3) only under --experimental-wasm-relaxed-simd. The fast engine then loads
 * build/cnnx-fma.wasm, whose micro-kernels fuse their multiply-adds.
 */
export function hasRelaxedSimd(): boolean {
  return WebAssembly.validate(RELAXED_SIMD_PROBE);
}
