// Packed-panel GEMM for 2-D Winograd's 36 products M[xi] = U[xi] V[xi]: 4 output channels x {8, 4} tiles.
//
// C[r][x] = sum_k A[k][r] * B[k][x] for r < 4, where A is a packed panel [K][4] (as in igemm.ts) and B a
// panel of 8 tiles [K][8], its rows 32 bytes apart; k = 0..K-1 in order from +0, one madd per step, so the
// bits equal igemm.ts's kernels with a zero bias. Without igemm's per-step offset table the loop issues two
// instructions fewer per step.
import { madd } from './igemm';

/** M rows [b0, b1) of 4 channels x n tiles (a multiple of 4), from U blocks at a (K x 16 bytes each) and V panels of 8 tiles `panel` bytes apart at b, into c (rows ldc bytes apart). */
export function gemmPanels(a: usize, k: i32, b: usize, panel: usize, c: usize, ldc: usize, blocks: i32, n: i32): void {
  const ablock = <usize>k << 4;
  for (let blk = 0; blk < blocks; blk++) {
    const cb = c + <usize>(blk * 4) * ldc;
    let x = 0;
    for (; x + 8 <= n; x += 8) f32_gemm_ukernel_4x8(a, k, b + <usize>(x >> 3) * panel, cb + (<usize>x << 2), ldc);
    if (x < n) f32_gemm_ukernel_4x4(a, k, b + <usize>(x >> 3) * panel, cb + (<usize>x << 2), ldc);
    a += ablock;
  }
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

/** 4 channels x the first 4 tiles of a panel (the last, half-used panel of a batch). */
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
