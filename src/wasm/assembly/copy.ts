// Copies and zero fills of f32 runs inside the shared memory, in v128 loads and stores.
// Not memory.copy and memory.fill: on Node 20 V8 runs those on the shared memory in a C++ helper, not as
// inline vector code, at about half the speed of these loops.

/** Copies n floats from src to dst (ranges must not overlap). */
@inline export function copyFloats(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const a = v128.load(src + o);
    const b = v128.load(src + o, 16);
    v128.store(dst + o, a);
    v128.store(dst + o, b, 16);
  }
  if (i + 4 <= n) {
    v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
    i += 4;
  }
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

/** Sets n floats from dst to v (+0 bits for 0, as zeroFloats). */
@inline export function fillFloats(dst: usize, n: i32, v: f32): void {
  if (v == 0 && reinterpret<i32>(v) == 0) {
    zeroFloats(dst, n);
    return;
  }
  const vv = f32x4.splat(v);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), vv);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), v);
}

/** Sets n floats from dst to +0. */
@inline export function zeroFloats(dst: usize, n: i32): void {
  const z = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), z);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), 0);
}
