// f32 indirect-GEMM micro-kernels: 4 output channels x {8, 4} pixels of one output row, and 8 channels x 4 pixels for a
// strip's tail two channel blocks at a time; f32x4 multiply-adds (fused in the relaxed-SIMD build).
//
// C[r][x] = bias[r] + sum_k A[k][r] * B_k[x], for r < 4 and x < NR, where
//   A is a packed panel [K][4] (4 output channels interleaved per reduction step k),
//   B_k is the row of pixels starting at b + offs[k] (bytes; i32 table of K entries).
// The reduction runs k = 0..K-1 in order for every lane, one multiply-add per step (madd: fused in
// build/cnnx-fma.wasm, multiply then add in build/cnnx.wasm; one module serves every thread), so a
// pixel's bits do not depend on which lane, strip or thread computed it.
// Preconditions: rows b + offs[k] .. + NR floats are readable (junk lanes are discarded).
import { ACT, PUT } from './layout';

// Type tags for the activation, so that a routine can be instantiated once per activation
// (routine<Relu>(...)) with the code fixed at compile time: Binaryen folds @inline copies that differ
// only in a constant argument back into one body that tests the code per value.
export class NoAct {}
export class Relu {}
export class Leaky {}
export class Relu6 {}

/** The activation code of tag A. */
@inline
export function actOf<A>(): i32 {
  return idof<A>() == idof<Relu>() ? ACT.RELU : idof<A>() == idof<Leaky>() ? ACT.LEAKY : idof<A>() == idof<Relu6>() ? ACT.RELU6 : ACT.NONE;
}

@inline
export function activate(v: v128, act: i32, vslope: v128): v128 {
  if (act == ACT.RELU) {
    // pmax(v, 0) = v < 0 ? 0 : v: one maxps on x64 (f32x4.max needs ~7 instructions for its NaN rules),
    // keeps NaN as the reference's `x > 0 || isNaN(x)` does; -0 stays -0 (equal to 0 under the tolerance).
    return f32x4.pmax(v, f32x4.splat(0));
  } else if (act == ACT.LEAKY) {
    return v128.bitselect(v, f32x4.mul(v, vslope), f32x4.gt(v, f32x4.splat(0)));
  } else if (act == ACT.RELU6) {
    // pmin(w, 6) = 6 < w ? 6 : w: NaN stays NaN, as PyTorch's clamp keeps it.
    return f32x4.pmin(f32x4.pmax(v, f32x4.splat(0)), f32x4.splat(6));
  }
  return v;
}

/**
 * acc + a * b: one fused multiply-add (f32x4.relaxed_madd) in the module built with relaxed SIMD
 * (build/cnnx-fma.wasm, used where the runtime validates it), a multiply then an add otherwise.
 */
@inline
export function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/**
 * A tile's sums before they are stored at p: plus the residual res bytes from p when res is not 0 (an
 * add fused into the conv that ends a branch: the conv's sum rounds first, as a separate add would
 * see it), then the activation. Slack after every buffer makes the partial tiles' whole-vector load safe.
 */
@inline
function finish(v: v128, p: usize, res: isize, act: i32, vslope: v128): v128 {
  if (res != 0) v = f32x4.add(v, v128.load(p + <usize>res));
  return activate(v, act, vslope);
}

@inline
function put(p: usize, v: v128, mode: i32): void {
  if (mode == PUT.ADD) v = f32x4.add(v128.load(p), v);
  else if (mode == PUT.MAX) v = f32x4.max(v128.load(p), v);
  v128.store(p, v);
}

@inline
function putPartial(p: usize, v: v128, n: i32, mode: i32): void {
  if (mode == PUT.ADD) v = f32x4.add(v128.load(p), v);
  else if (mode == PUT.MAX) v = f32x4.max(v128.load(p), v);
  storePartial(p, v, n);
}

/** Stores the first n (1..4) lanes of v at p. */
@inline
export function storePartial(p: usize, v: v128, n: i32): void {
  v128.store32_lane(p, v, 0);
  if (n > 1) v128.store32_lane(p, v, 1, 4);
  if (n > 2) v128.store32_lane(p, v, 2, 8);
  if (n > 3) v128.store32_lane(p, v, 3, 12);
}

/**
 * 4 channels x 8 pixels, the main tile; stores the first `mr` channel rows (c + r * ldc bytes).
 * 8 accumulators + 2 B vectors + 1 splat + 1 product fit the 15 xmm registers V8 allocates on x64;
 * a 4x12 tile needs 17 and TurboFan then spills 4 accumulators to the stack on every step.
 */
export function f32_igemm_ukernel_4x8(a: usize, offs: usize, kc: i32, b: usize, bias: usize, c: usize, ldc: usize, mr: i32, act: i32, slope: f32, mode: i32, res: isize): void {
  let vacc0x0 = v128.load32_splat(bias, 0);
  let vacc1x0 = v128.load32_splat(bias, 4);
  let vacc2x0 = v128.load32_splat(bias, 8);
  let vacc3x0 = v128.load32_splat(bias, 12);
  let vacc0x1 = vacc0x0, vacc1x1 = vacc1x0, vacc2x1 = vacc2x0, vacc3x1 = vacc3x0;
  const oend = offs + (<usize>kc << 2);
  while (offs < oend) {
    const bk = b + <usize>load<i32>(offs);
    const vb0 = v128.load(bk);
    const vb1 = v128.load(bk, 16);
    let va = v128.load32_splat(a, 0);
    vacc0x0 = madd(va, vb0, vacc0x0);
    vacc0x1 = madd(va, vb1, vacc0x1);
    va = v128.load32_splat(a, 4);
    vacc1x0 = madd(va, vb0, vacc1x0);
    vacc1x1 = madd(va, vb1, vacc1x1);
    va = v128.load32_splat(a, 8);
    vacc2x0 = madd(va, vb0, vacc2x0);
    vacc2x1 = madd(va, vb1, vacc2x1);
    va = v128.load32_splat(a, 12);
    vacc3x0 = madd(va, vb0, vacc3x0);
    vacc3x1 = madd(va, vb1, vacc3x1);
    a += 16;
    offs += 4;
  }
  const vslope = f32x4.splat(slope);
  if (mode == PUT.STORE && res == 0 && mr == 4) {
    // The common case, its activation fixed at compile time: straight stores without a test per row. (With a residual
    // as well, the larger kernel measured slower on the networks that have none.)
    if (act == ACT.RELU) store4x8<Relu>(c, ldc, vslope, vacc0x0, vacc0x1, vacc1x0, vacc1x1, vacc2x0, vacc2x1, vacc3x0, vacc3x1);
    else if (act == ACT.RELU6) store4x8<Relu6>(c, ldc, vslope, vacc0x0, vacc0x1, vacc1x0, vacc1x1, vacc2x0, vacc2x1, vacc3x0, vacc3x1);
    else if (act == ACT.NONE) store4x8<NoAct>(c, ldc, vslope, vacc0x0, vacc0x1, vacc1x0, vacc1x1, vacc2x0, vacc2x1, vacc3x0, vacc3x1);
    else store4x8<Leaky>(c, ldc, vslope, vacc0x0, vacc0x1, vacc1x0, vacc1x1, vacc2x0, vacc2x1, vacc3x0, vacc3x1);
    return;
  }
  put(c, finish(vacc0x0, c, res, act, vslope), mode);
  put(c + 16, finish(vacc0x1, c + 16, res, act, vslope), mode);
  if (mr < 2) return;
  c += ldc;
  put(c, finish(vacc1x0, c, res, act, vslope), mode);
  put(c + 16, finish(vacc1x1, c + 16, res, act, vslope), mode);
  if (mr < 3) return;
  c += ldc;
  put(c, finish(vacc2x0, c, res, act, vslope), mode);
  put(c + 16, finish(vacc2x1, c + 16, res, act, vslope), mode);
  if (mr < 4) return;
  c += ldc;
  put(c, finish(vacc3x0, c, res, act, vslope), mode);
  put(c + 16, finish(vacc3x1, c + 16, res, act, vslope), mode);
}

/** The 4x8 tile's rows with activation A, stored: put(finish(...)) without a residual, in STORE mode, every row. */
@inline
function store4x8<A>(c: usize, ldc: usize, vslope: v128, r00: v128, r01: v128, r10: v128, r11: v128, r20: v128, r21: v128, r30: v128, r31: v128): void {
  const act = actOf<A>();
  v128.store(c, activate(r00, act, vslope));
  v128.store(c, activate(r01, act, vslope), 16);
  v128.store(c + ldc, activate(r10, act, vslope));
  v128.store(c + ldc, activate(r11, act, vslope), 16);
  v128.store(c + 2 * ldc, activate(r20, act, vslope));
  v128.store(c + 2 * ldc, activate(r21, act, vslope), 16);
  v128.store(c + 3 * ldc, activate(r30, act, vslope));
  v128.store(c + 3 * ldc, activate(r31, act, vslope), 16);
}

/**
 * 8 channels (panels at a and a2, biases at bias and bias2) x 4 pixels, storing the first `nr` (1..4) pixels of the
 * first `mr` (5..8) rows: a strip's tail two channel blocks at a time, as the 4x4 tile's four accumulators alone wait
 * on the multiply-add latency. Each accumulator holds 4 channels of one pixel (the pixel's value splat against the
 * panel's 4 channels), transposed into rows before the stores; every lane's sum is the 4x4 tile's.
 */
export function f32_igemm_ukernel_8x4(a: usize, a2: usize, offs: usize, kc: i32, b: usize, bias: usize, bias2: usize, c: usize, ldc: usize, mr: i32, nr: i32, act: i32, slope: f32, mode: i32, res: isize): void {
  let p0 = v128.load(bias);
  let p1 = p0, p2 = p0, p3 = p0;
  let q0 = v128.load(bias2);
  let q1 = q0, q2 = q0, q3 = q0;
  const oend = offs + (<usize>kc << 2);
  while (offs < oend) {
    const bk = b + <usize>load<i32>(offs);
    const u = v128.load(a), w = v128.load(a2);
    let vb = v128.load32_splat(bk, 0);
    p0 = madd(u, vb, p0);
    q0 = madd(w, vb, q0);
    vb = v128.load32_splat(bk, 4);
    p1 = madd(u, vb, p1);
    q1 = madd(w, vb, q1);
    vb = v128.load32_splat(bk, 8);
    p2 = madd(u, vb, p2);
    q2 = madd(w, vb, q2);
    vb = v128.load32_splat(bk, 12);
    p3 = madd(u, vb, p3);
    q3 = madd(w, vb, q3);
    a += 16;
    a2 += 16;
    offs += 4;
  }
  const vslope = f32x4.splat(slope);
  putRows(c, ldc, p0, p1, p2, p3, 4, nr, res, act, vslope, mode);
  putRows(c + 4 * ldc, ldc, q0, q1, q2, q3, mr - 4, nr, res, act, vslope, mode);
}

/** Rows r < min(4, mr) at c + r ldc: lane r of t0..t3 (one per pixel), finished and put as the 4x4 tile puts its rows. */
@inline
export function putRows(c: usize, ldc: usize, t0: v128, t1: v128, t2: v128, t3: v128, mr: i32, nr: i32, res: isize, act: i32, vslope: v128, mode: i32): void {
  const s0 = v128.shuffle<f32>(t0, t1, 0, 4, 1, 5);
  const s1 = v128.shuffle<f32>(t0, t1, 2, 6, 3, 7);
  const s2 = v128.shuffle<f32>(t2, t3, 0, 4, 1, 5);
  const s3 = v128.shuffle<f32>(t2, t3, 2, 6, 3, 7);
  putRow(c, finish(v128.shuffle<f32>(s0, s2, 0, 1, 4, 5), c, res, act, vslope), nr, mode);
  if (mr > 1) putRow(c + ldc, finish(v128.shuffle<f32>(s0, s2, 2, 3, 6, 7), c + ldc, res, act, vslope), nr, mode);
  if (mr > 2) putRow(c + 2 * ldc, finish(v128.shuffle<f32>(s1, s3, 0, 1, 4, 5), c + 2 * ldc, res, act, vslope), nr, mode);
  if (mr > 3) putRow(c + 3 * ldc, finish(v128.shuffle<f32>(s1, s3, 2, 3, 6, 7), c + 3 * ldc, res, act, vslope), nr, mode);
}

@inline
function putRow(p: usize, v: v128, nr: i32, mode: i32): void {
  if (nr == 4) put(p, v, mode);
  else putPartial(p, v, nr, mode);
}

/** 4 channels x 4 pixels, storing only the first `nr` (1..4) pixels of the first `mr` rows. */
export function f32_igemm_ukernel_4x4(a: usize, offs: usize, kc: i32, b: usize, bias: usize, c: usize, ldc: usize, mr: i32, nr: i32, act: i32, slope: f32, mode: i32, res: isize): void {
  let vacc0 = v128.load32_splat(bias, 0);
  let vacc1 = v128.load32_splat(bias, 4);
  let vacc2 = v128.load32_splat(bias, 8);
  let vacc3 = v128.load32_splat(bias, 12);
  const oend = offs + (<usize>kc << 2);
  while (offs < oend) {
    const vb = v128.load(b + <usize>load<i32>(offs));
    vacc0 = madd(v128.load32_splat(a, 0), vb, vacc0);
    vacc1 = madd(v128.load32_splat(a, 4), vb, vacc1);
    vacc2 = madd(v128.load32_splat(a, 8), vb, vacc2);
    vacc3 = madd(v128.load32_splat(a, 12), vb, vacc3);
    a += 16;
    offs += 4;
  }
  const vslope = f32x4.splat(slope);
  if (nr == 4) {
    put(c, finish(vacc0, c, res, act, vslope), mode);
    if (mr > 1) put(c + ldc, finish(vacc1, c + ldc, res, act, vslope), mode);
    if (mr > 2) put(c + 2 * ldc, finish(vacc2, c + 2 * ldc, res, act, vslope), mode);
    if (mr > 3) put(c + 3 * ldc, finish(vacc3, c + 3 * ldc, res, act, vslope), mode);
  } else {
    // c + 16 bytes is readable (allocation slack), so the folding modes may load a whole vector.
    putPartial(c, finish(vacc0, c, res, act, vslope), nr, mode);
    if (mr > 1) putPartial(c + ldc, finish(vacc1, c + ldc, res, act, vslope), nr, mode);
    if (mr > 2) putPartial(c + 2 * ldc, finish(vacc2, c + 2 * ldc, res, act, vslope), nr, mode);
    if (mr > 3) putPartial(c + 3 * ldc, finish(vacc3, c + 3 * ldc, res, act, vslope), nr, mode);
  }
}
