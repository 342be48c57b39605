// Packed-panel GEMM for 2-D Winograd's products M[xi] = U[xi] V[xi]: 4 output channels x 8 tiles, and for a last,
// half-used panel 8 (or 4) channels x 4 tiles.
//
// C[r][x] = sum_k A[k][r] * B[k][x] for r < 4, where A is a packed panel [K][4] (as in igemm.ts) and B a
// panel of 8 tiles [K][8], its rows 32 bytes apart; k = 0..K-1 in order from +0, one madd per step, so the
// bits equal igemm.ts's kernels with a zero bias. Without igemm's per-step offset table the loop issues two
// instructions fewer per step.
import { madd, putRows } from './igemm';
import { ACT, PUT } from './layout';

/** M rows [b0, b1) of 4 channels x n tiles (a multiple of 4), from U blocks at a (K x 16 bytes each) and V panels of 8 tiles `panel` bytes apart at b, into c (rows ldc bytes apart). */
export function gemmPanels(a: usize, k: i32, b: usize, panel: usize, c: usize, ldc: usize, blocks: i32, n: i32): void {
  const ablock = <usize>k << 4;
  const full = n & ~7;
  for (let blk = 0; blk < blocks; blk++) {
    const cb = c + <usize>(blk * 4) * ldc;
    for (let x = 0; x < full; x += 8) f32_gemm_ukernel_4x8(a + <usize>blk * ablock, k, b + <usize>(x >> 3) * panel, cb + (<usize>x << 2), ldc);
  }
  if (full == n) return;
  // The last panel's 4 tiles, two blocks at a time: 4 accumulators alone would wait on the multiply-add latency.
  const bt = b + <usize>(full >> 3) * panel;
  let blk = 0;
  for (; blk + 2 <= blocks; blk += 2) f32_gemm_ukernel_8x4(a + <usize>blk * ablock, ablock, k, bt, c + <usize>(blk * 4) * ldc + (<usize>full << 2), ldc);
  if (blk < blocks) f32_gemm_ukernel_4x4(a + <usize>blk * ablock, k, bt, c + <usize>(blk * 4) * ldc + (<usize>full << 2), ldc);
}

/** 4 channels x 8 tiles (one whole panel). Exported so that Binaryen does not inline it: on its own, TurboFan keeps the 8 accumulators in registers. */
export function f32_gemm_ukernel_4x8(a: usize, k: i32, b: usize, c: usize, ldc: usize): void {
  let c00 = f32x4.splat(0), c10 = c00, c20 = c00, c30 = c00;
  let c01 = c00, c11 = c00, c21 = c00, c31 = c00;
  const end = a + (<usize>k << 4);
  while (a < end) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let va = v128.load32_splat(a, 0);
    c00 = madd(va, b0, c00);
    c01 = madd(va, b1, c01);
    va = v128.load32_splat(a, 4);
    c10 = madd(va, b0, c10);
    c11 = madd(va, b1, c11);
    va = v128.load32_splat(a, 8);
    c20 = madd(va, b0, c20);
    c21 = madd(va, b1, c21);
    va = v128.load32_splat(a, 12);
    c30 = madd(va, b0, c30);
    c31 = madd(va, b1, c31);
    a += 16;
    b += 32;
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  c += ldc;
  v128.store(c, c10);
  v128.store(c, c11, 16);
  c += ldc;
  v128.store(c, c20);
  v128.store(c, c21, 16);
  c += ldc;
  v128.store(c, c30);
  v128.store(c, c31, 16);
}

/**
 * 8 channels (U blocks at a and a + ablock) x the first 4 tiles of a panel (the last, half-used panel of a batch).
 * Accumulators hold 4 channels of one tile (a tile's value splat against U's 4 channels: as many loads per
 * multiply-add as the 4x8 kernel), transposed into M's rows at the end.
 */
export function f32_gemm_ukernel_8x4(a: usize, ablock: usize, k: i32, b: usize, c: usize, ldc: usize): void {
  let p0 = f32x4.splat(0), p1 = p0, p2 = p0, p3 = p0;
  let q0 = p0, q1 = p0, q2 = p0, q3 = p0;
  let a2 = a + ablock;
  const end = a + (<usize>k << 4);
  while (a < end) {
    const u = v128.load(a), w = v128.load(a2);
    let vb = v128.load32_splat(b, 0);
    p0 = madd(u, vb, p0);
    q0 = madd(w, vb, q0);
    vb = v128.load32_splat(b, 4);
    p1 = madd(u, vb, p1);
    q1 = madd(w, vb, q1);
    vb = v128.load32_splat(b, 8);
    p2 = madd(u, vb, p2);
    q2 = madd(w, vb, q2);
    vb = v128.load32_splat(b, 12);
    p3 = madd(u, vb, p3);
    q3 = madd(w, vb, q3);
    a += 16;
    a2 += 16;
    b += 32;
  }
  const none = f32x4.splat(0);
  putRows(c, ldc, p0, p1, p2, p3, 4, 4, 0, ACT.NONE, none, PUT.STORE);
  putRows(c + 4 * ldc, ldc, q0, q1, q2, q3, 4, 4, 0, ACT.NONE, none, PUT.STORE);
}

/** 4 channels x the first 4 tiles of a panel (the last block of an odd count, on the last, half-used panel). */
export function f32_gemm_ukernel_4x4(a: usize, k: i32, b: usize, c: usize, ldc: usize): void {
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
  const end = a + (<usize>k << 4);
  while (a < end) {
    const vb = v128.load(b);
    c0 = madd(v128.load32_splat(a, 0), vb, c0);
    c1 = madd(v128.load32_splat(a, 4), vb, c1);
    c2 = madd(v128.load32_splat(a, 8), vb, c2);
    c3 = madd(v128.load32_splat(a, 12), vb, c3);
    a += 16;
    b += 32;
  }
  v128.store(c, c0);
  v128.store(c + ldc, c1);
  v128.store(c + 2 * ldc, c2);
  v128.store(c + 3 * ldc, c3);
}
