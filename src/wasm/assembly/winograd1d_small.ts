// Row-wise Winograd F(4,3) and F(4,5) for convs 3 or 5 wide (stride 1 and dilation 1 along x, dilation 1 along y)
// with few input channels: RGB or gray filter banks, such as W3's 5x5 edge bank.
//
// Along x, 4 outputs of a kernel row cost R + 3 products instead of 4 R (6 for 12, 8 for 20); kernel
// rows and input channels are summed in the transformed domain, then one output transform per 4
// outputs. F(4,3) is Lavin & Gray's (f43.ts); F(4,5) uses the points 0, +-1, +-2, +-1/2, infinity:
// B^T is the 8-point transform F(6,3) also uses, G (8 x 5) is applied when the weights are packed
// (src/engine/fast/pack.ts).
// The transformed input V of a padded row is computed once per thread into a ring of KH slots, slot =
// global padded row mod KH, so an output row reuses the KH - 1 rows its predecessor transformed. A
// group of 4 tiles keeps its steps (channel, slot) 128 bytes apart, so the micro-kernel reads 5 steps
// at constant offsets from one pointer; the weights come packed in KH rotations, one per slot phase.
// An output's summation order depends only on its global row and column (tiles anchored at column 0),
// so bands and thread splits give identical bytes.
import { checkCodes, checkRange, checkTid, field } from './descriptor';
import { activate, actOf, Leaky, madd, NoAct, Relu, Relu6 } from './igemm';
import { ACT, POOL, PUT, WINOGRAD1D_SMALL } from './layout';
import { zeroFloats } from './copy';
import { btRow4, storeTail } from './f43';
import { pool_rows_f32 } from './pool';

/** Columns run in chunks of this many groups of 4 tiles, so a chunk's V (C x KH x 128 bytes per group) stays in L1. */
const CHUNK: i32 = 32;

/** (channel, slot) steps, in chunks of 5 (the micro-kernel's unrolled reduction; the last chunk padded with zero steps). */
@inline function stepChunks(d: usize): i32 {
  return (field(d, WINOGRAD1D_SMALL.C) * field(d, WINOGRAD1D_SMALL.KH) + 4) / 5;
}

/** Bytes per group of 4 tiles in the ring: [step chunks x 5 steps][8 points (6 used by F(4,3))] x 16 bytes. */
@inline function groupBytes(d: usize): i32 {
  return stepChunks(d) * 640;
}

/**
 * Per-thread scratch: slot tags i32[32] (the global padded row each slot holds), the ring
 * [TQ][C][KH slots, zero steps][8 points] x 16 bytes, the products M of an output channel pair
 * [2][TQ][8 points] x 16 bytes,
 * then (fused pool) the row accumulator [OC][16 * TQ + 16] and pool_rows_f32's OW + 16 floats.
 */
@inline function ringOf(scratch: usize): usize {
  return scratch + 128;
}

/** Local output rows [r0, r1) (pooled rows when POOL != 0) on thread tid. */
export function winograd1d_small_f32(d: usize, r0: i32, r1: i32, tid: i32): void {
  if (!ASC_NO_ASSERT) {
    WINOGRAD1D_SMALL.check(d);
    checkRange(r0, r1, 'rows: 0 <= r0 <= r1');
    checkTid(tid);
    const pool = field(d, WINOGRAD1D_SMALL.POOL);
    checkCodes(field(d, WINOGRAD1D_SMALL.ACT), pool);
    const kh = field(d, WINOGRAD1D_SMALL.KH);
    const r = field(d, WINOGRAD1D_SMALL.R);
    // The ring's slot tags take 128 bytes: at most 32 kernel rows.
    assert(kh > 0 && kh <= 32 && (r == 3 || r == 5) && field(d, WINOGRAD1D_SMALL.SY) > 0 && field(d, WINOGRAD1D_SMALL.ROW0) >= 0, 'winograd1d_small.KH in 1..32, R 3 or 5, SY > 0, ROW0 >= 0');
    const tq = field(d, WINOGRAD1D_SMALL.TQ);
    assert(field(d, WINOGRAD1D_SMALL.C) > 0 && field(d, WINOGRAD1D_SMALL.OC) > 0 && tq > 0 && field(d, WINOGRAD1D_SMALL.IN_PITCH) >= 16 * tq + 4, 'winograd1d_small.C, OC, TQ > 0, IN_PITCH >= 16 TQ + 4');
    assert(field(d, WINOGRAD1D_SMALL.IN) != 0 && field(d, WINOGRAD1D_SMALL.W) != 0 && field(d, WINOGRAD1D_SMALL.BIAS) != 0 && field(d, WINOGRAD1D_SMALL.OUT) != 0 && field(d, WINOGRAD1D_SMALL.SCRATCH) != 0, 'winograd1d_small.IN, W, BIAS, OUT, SCRATCH set');
    if (pool != POOL.NONE) assert(field(d, WINOGRAD1D_SMALL.PKH) > 0 && field(d, WINOGRAD1D_SMALL.PKW) > 0 && field(d, WINOGRAD1D_SMALL.POOL_OW) > 0, 'winograd1d_small.PKH, PKW, POOL_OW > 0');
  }
  const scratch: usize = <usize>field(d, WINOGRAD1D_SMALL.SCRATCH) + <usize>(tid * field(d, WINOGRAD1D_SMALL.SCRATCH_STRIDE));
  const tq = field(d, WINOGRAD1D_SMALL.TQ);
  for (let s = 0; s < 32; s++) store<i32>(scratch + (<usize>s << 2), -1);
  // Zero steps must read zeros (0 * inf would be NaN): the whole ring starts zeroed.
  zeroFloats(ringOf(scratch), (tq * groupBytes(d)) >> 2);
  const pool = field(d, WINOGRAD1D_SMALL.POOL);
  const ow = field(d, WINOGRAD1D_SMALL.OW);
  const oc = field(d, WINOGRAD1D_SMALL.OC);
  if (pool == 0) {
    for (let y = r0; y < r1; y++) convRow(d, scratch, y, <usize>field(d, WINOGRAD1D_SMALL.OUT) + (<usize>(y * field(d, WINOGRAD1D_SMALL.OUT_PITCH)) << 2), field(d, WINOGRAD1D_SMALL.OUT_PLANE), PUT.STORE, 0);
    return;
  }
  // Fused pool: a window's conv rows fold into a row accumulator (first stored, then added or maxed,
  // rows in order), which is then pooled along x. Windows 4 or 2 wide lie inside a tile, whose
  // columns are the 4 output vectors' lanes: they reduce lane-wise before the fold, without the
  // transpose, and the accumulator holds pooled columns.
  const pk = field(d, WINOGRAD1D_SMALL.PKH);
  const pkw = field(d, WINOGRAD1D_SMALL.PKW);
  const tile = pkw == 4 || pkw == 2;
  const aplane = tq * 16 + 16;
  const acc = ringOf(scratch) + <usize>(tq * (groupBytes(d) + 256));
  const fold = pool == POOL.MAX ? PUT.MAX : PUT.ADD;
  const tileMode = tile ? pool + (pkw == 2 ? 2 : 0) : 0;
  const out: usize = <usize>field(d, WINOGRAD1D_SMALL.OUT);
  const pitch = field(d, WINOGRAD1D_SMALL.OUT_PITCH);
  const plane = field(d, WINOGRAD1D_SMALL.OUT_PLANE);
  const div = reinterpret<f32>(field(d, WINOGRAD1D_SMALL.POOL_DIV));
  for (let py = r0; py < r1; py++) {
    for (let j = 0; j < pk; j++) convRow(d, scratch, py * pk + j, acc, aplane, j == 0 ? PUT.STORE : fold, tileMode);
    if (tile) storePooled(acc, oc, aplane, field(d, WINOGRAD1D_SMALL.POOL_OW), div, out + (<usize>(py * pitch) << 2), plane);
    else pool_rows_f32(pool, acc, oc, 1, ow, aplane, field(d, WINOGRAD1D_SMALL.PKW), field(d, WINOGRAD1D_SMALL.PKW), field(d, WINOGRAD1D_SMALL.POOL_OW), out + (<usize>(py * pitch) << 2), plane, div, acc + (<usize>(oc * aplane) << 2));
  }
}

/** The first n pooled columns of each channel's accumulator (stride aplane floats) divided by div (1 for max), at out (channel stride plane floats). */
function storePooled(acc: usize, oc: i32, aplane: i32, n: i32, div: f32, out: usize, plane: i32): void {
  const vd = f32x4.splat(div);
  for (let o = 0; o < oc; o++) {
    const a = acc + (<usize>(o * aplane) << 2);
    const p = out + (<usize>(o * plane) << 2);
    let x = 0;
    for (; x + 4 <= n; x += 4) v128.store(p + (<usize>x << 2), f32x4.div(v128.load(a + (<usize>x << 2)), vd));
    for (; x < n; x++) store<f32>(p + (<usize>x << 2), load<f32>(a + (<usize>x << 2)) / div);
  }
}

/** Output row y of every output channel into out (channel stride plane floats), stored or folded (mode); see outputTransform for tileMode. */
function convRow(d: usize, scratch: usize, y: i32, out: usize, plane: i32, mode: i32, tileMode: i32): void {
  const oc = field(d, WINOGRAD1D_SMALL.OC);
  const kh = field(d, WINOGRAD1D_SMALL.KH);
  const tq = field(d, WINOGRAD1D_SMALL.TQ);
  const ow = field(d, WINOGRAD1D_SMALL.OW);
  const gb = groupBytes(d);
  const sc = stepChunks(d);
  const ring = ringOf(scratch);
  const row0 = field(d, WINOGRAD1D_SMALL.ROW0);
  const first = y * field(d, WINOGRAD1D_SMALL.SY); // local padded row of kernel row 0
  for (let ky = 0; ky < kh; ky++) {
    const global = row0 + first + ky;
    const s = global % kh;
    if (load<i32>(scratch + (<usize>s << 2)) != global) {
      transformRow(d, first + ky, ring + <usize>(s * 128));
      store<i32>(scratch + (<usize>s << 2), global);
    }
  }
  // Slot s holds kernel row (s - rot) mod KH: the weights packed for rotation rot match.
  const rot = (row0 + first) % kh;
  const m = ring + <usize>(tq * gb);
  const pairs = (field(d, WINOGRAD1D_SMALL.R) + 3) >> 1;
  const steps = field(d, WINOGRAD1D_SMALL.C) * kh;
  const w: usize = <usize>field(d, WINOGRAD1D_SMALL.W) + <usize>(rot * oc * sc * pairs * 160);
  const bias: usize = <usize>field(d, WINOGRAD1D_SMALL.BIAS);
  const act = field(d, WINOGRAD1D_SMALL.ACT);
  const slope = reinterpret<f32>(field(d, WINOGRAD1D_SMALL.SLOPE));
  for (let q0 = 0; q0 < tq; q0 += CHUNK) {
    const q1 = min(tq, q0 + CHUNK);
    // Output channels in pairs (the last alone when OC is odd): a pair's products share every V load.
    for (let o = 0; o < oc; o += 2) {
      const two = o + 1 < oc;
      let u = w + <usize>(o * sc * pairs * 160);
      for (let k = 0; k < sc; k++) {
        const three = steps - k * 5 <= 3;
        for (let p = 0; p < 2 * pairs; p++) {
          const up = u + <usize>((p >> 1) * 160 + (p & 1) * 16);
          const vp = ring + <usize>(q0 * gb + k * 640 + p * 16);
          const mp = m + <usize>(q0 * 128 + p * 16);
          pointProducts(two, three, k > 0, up, up + <usize>(sc * pairs * 160), vp, mp, mp + <usize>(tq * 128), q1 - q0, gb);
        }
        u += <usize>(pairs * 160);
      }
      outputTransform(field(d, WINOGRAD1D_SMALL.R), m, q0, q1, bias + (<usize>o << 2), out + (<usize>(o * plane) << 2), ow, act, slope, mode, tileMode);
      if (two) outputTransform(field(d, WINOGRAD1D_SMALL.R), m + <usize>(tq * 128), q0, q1, bias + (<usize>(o + 1) << 2), out + (<usize>((o + 1) * plane) << 2), ow, act, slope, mode, tileMode);
    }
  }
}

/**
 * One point of n groups for one chunk of steps, for output channel o (U at u, M at m) and, when two,
 * o + 1 (U at u2, M at m2): M (+)= sum over the steps of U[step] * V[step]. Three: the chunk has at
 * most 3 real steps (a gray 3x3 bank's), whose 2 zero steps are skipped; add: a chunk after the
 * first adds to what the earlier ones stored, so every lane sums the same way. One instance per case,
 * so no test runs per group.
 */
function pointProducts(two: bool, three: bool, add: bool, u: usize, u2: usize, v: usize, m: usize, m2: usize, n: i32, gb: i32): void {
  if (two) {
    if (three) {
      if (add) pairKernel<Three, Add>(u, u2, v, m, m2, n, gb);
      else pairKernel<Three, Store>(u, u2, v, m, m2, n, gb);
    } else if (add) pairKernel<Five, Add>(u, u2, v, m, m2, n, gb);
    else pairKernel<Five, Store>(u, u2, v, m, m2, n, gb);
  } else if (three) {
    if (add) channelKernel<Three, Add>(u, v, m, n, gb);
    else channelKernel<Three, Store>(u, v, m, n, gb);
  } else if (add) channelKernel<Five, Add>(u, v, m, n, gb);
  else channelKernel<Five, Store>(u, v, m, n, gb);
}

// Micro-kernel tags: steps per chunk (Five, or Three real ones) and whether M is stored or added to.
class Five {}
class Three {}
class Store {}
class Add {}

/**
 * pointProducts for two output channels: their 2 x 5 U vectors (at u and u2, 32 bytes apart: the
 * packing pairs points) stay in registers while the loop runs along the row, one group per
 * iteration, and each V vector is loaded once for both. V of a group: 5 steps 128 bytes apart from v
 * (groups gb bytes apart); M: 128 bytes per group. One channel at a time loads every V vector once
 * per channel, and those loads, not the multiplies, bound the routine.
 */
function pairKernel<S, F>(u: usize, u2: usize, v: usize, m: usize, m2: usize, n: i32, gb: i32): void {
  const five = idof<S>() == idof<Five>();
  const add = idof<F>() == idof<Add>();
  const a0 = v128.load(u), a1 = v128.load(u, 32), a2 = v128.load(u, 64);
  const b0 = v128.load(u2), b1 = v128.load(u2, 32), b2 = v128.load(u2, 64);
  const a3 = five ? v128.load(u, 96) : a0, a4 = five ? v128.load(u, 128) : a0;
  const b3 = five ? v128.load(u2, 96) : b0, b4 = five ? v128.load(u2, 128) : b0;
  const end = m + <usize>(n * 128);
  const step = <usize>gb;
  while (m < end) {
    const x0 = v128.load(v);
    let a = f32x4.mul(a0, x0);
    let b = f32x4.mul(b0, x0);
    const x1 = v128.load(v, 128);
    a = madd(a1, x1, a);
    b = madd(b1, x1, b);
    const x2 = v128.load(v, 256);
    a = madd(a2, x2, a);
    b = madd(b2, x2, b);
    if (five) {
      const x3 = v128.load(v, 384);
      a = madd(a3, x3, a);
      b = madd(b3, x3, b);
      const x4 = v128.load(v, 512);
      a = madd(a4, x4, a);
      b = madd(b4, x4, b);
    }
    if (add) {
      a = f32x4.add(v128.load(m), a);
      b = f32x4.add(v128.load(m2), b);
    }
    v128.store(m, a);
    v128.store(m2, b);
    m += 128;
    m2 += 128;
    v += step;
  }
}

/** pointProducts for one output channel (the last of an odd count): its U vectors in registers, two groups per iteration. */
function channelKernel<S, F>(u: usize, v: usize, m: usize, n: i32, gb: i32): void {
  const five = idof<S>() == idof<Five>();
  const add = idof<F>() == idof<Add>();
  const u0 = v128.load(u), u1 = v128.load(u, 32), u2 = v128.load(u, 64);
  const u3 = five ? v128.load(u, 96) : u0, u4 = five ? v128.load(u, 128) : u0;
  const end = m + <usize>(n * 128);
  const step = <usize>gb;
  while (m + 128 < end) {
    const w = v + step;
    let a = f32x4.mul(u0, v128.load(v));
    let b = f32x4.mul(u0, v128.load(w));
    a = madd(u1, v128.load(v, 128), a);
    b = madd(u1, v128.load(w, 128), b);
    a = madd(u2, v128.load(v, 256), a);
    b = madd(u2, v128.load(w, 256), b);
    if (five) {
      a = madd(u3, v128.load(v, 384), a);
      b = madd(u3, v128.load(w, 384), b);
      a = madd(u4, v128.load(v, 512), a);
      b = madd(u4, v128.load(w, 512), b);
    }
    if (add) {
      a = f32x4.add(v128.load(m), a);
      b = f32x4.add(v128.load(m, 128), b);
    }
    v128.store(m, a);
    v128.store(m, b, 128);
    m += 256;
    v = w + step;
  }
  if (m < end) {
    let a = f32x4.mul(u0, v128.load(v));
    a = madd(u1, v128.load(v, 128), a);
    a = madd(u2, v128.load(v, 256), a);
    if (five) {
      a = madd(u3, v128.load(v, 384), a);
      a = madd(u4, v128.load(v, 512), a);
    }
    if (add) a = f32x4.add(v128.load(m), a);
    v128.store(m, a);
  }
}

/**
 * The output transform of groups [q0, q1) (M at m: [q][8 points] x 4 tiles), + bias, activation,
 * stored as columns 16q .. 16q + 15 (< ow) of the row at out, or folded into what it holds (mode).
 * tileMode 1 (max) / 2 (avg): each tile's 4 columns reduced to one pooled column (4q + i) instead;
 * 3 (max) / 4 (avg): to two (8q + 2i, 8q + 2i + 1).
 * One loop per kernel width and activation, so neither is a branch per value.
 */
function outputTransform(r: i32, m: usize, q0: i32, q1: i32, bias: usize, out: usize, ow: i32, act: i32, slope: f32, mode: i32, tileMode: i32): void {
  if (r == 3) {
    if (act == ACT.RELU) outputLoop<F43, Relu>(m, q0, q1, bias, out, ow, slope, mode, tileMode);
    else if (act == ACT.LEAKY) outputLoop<F43, Leaky>(m, q0, q1, bias, out, ow, slope, mode, tileMode);
    else if (act == ACT.RELU6) outputLoop<F43, Relu6>(m, q0, q1, bias, out, ow, slope, mode, tileMode);
    else outputLoop<F43, NoAct>(m, q0, q1, bias, out, ow, slope, mode, tileMode);
  } else {
    if (act == ACT.RELU) outputLoop<F45, Relu>(m, q0, q1, bias, out, ow, slope, mode, tileMode);
    else if (act == ACT.LEAKY) outputLoop<F45, Leaky>(m, q0, q1, bias, out, ow, slope, mode, tileMode);
    else if (act == ACT.RELU6) outputLoop<F45, Relu6>(m, q0, q1, bias, out, ow, slope, mode, tileMode);
    else outputLoop<F45, NoAct>(m, q0, q1, bias, out, ow, slope, mode, tileMode);
  }
}

// Kernel-width tags: with the activation's (igemm.ts), each (width, activation) pair is its own
// instance of outputLoop. As @inline calls with constant arguments, Binaryen folded the six copies
// back into one loop that tested the width and the activation for every group (seen in V8's code).
class F43 {}
class F45 {}

/** outputTransform's loop for one kernel width (K: F43 or F45) and activation (A), both fixed per instance. */
function outputLoop<K, A>(m: usize, q0: i32, q1: i32, bias: usize, out: usize, ow: i32, slope: f32, mode: i32, tileMode: i32): void {
  const r = idof<K>() == idof<F43>() ? 3 : 5;
  const act = actOf<A>();
  const vb = v128.load32_splat(bias);
  const vslope = f32x4.splat(slope);
  const k8 = f32x4.splat(8);
  for (let q = q0; q < q1; q++) {
    const g = m + <usize>(q * 128);
    const m0 = v128.load(g), m1 = v128.load(g, 16), m2 = v128.load(g, 32), m3 = v128.load(g, 48);
    const m4 = v128.load(g, 64), m5 = v128.load(g, 80);
    // A^T: y_k = sum_p M_p * a_p^k over the points (and the last M for y_3); lane i is tile i. The
    // bias rides on M_1 +- M_2, which every y_k reads once. F(4,5)'s points +-1/2 come packed as
    // M / 8, so their factors 1/2^k are 8, 4, 2, 1 times M / 8; the factors 2 and 4 are doublings
    // (adds, exact), 8 one multiply by k8 (splat outside the loop: V8 rebuilds a constant vector at each use).
    const s12 = f32x4.add(f32x4.add(m1, m2), vb), d12 = f32x4.add(f32x4.sub(m1, m2), vb);
    const s34 = f32x4.add(m3, m4), d34 = f32x4.sub(m3, m4);
    let y0: v128, y1: v128, y2: v128, y3: v128;
    if (r == 3) {
      const d2 = f32x4.add(d34, d34), s2 = f32x4.add(s34, s34);
      y0 = f32x4.add(f32x4.add(m0, s12), s34);
      y1 = f32x4.add(d12, d2);
      y2 = f32x4.add(s12, f32x4.add(s2, s2));
      y3 = madd(d34, k8, f32x4.add(d12, m5));
    } else {
      const m6 = v128.load(g, 96), m7 = v128.load(g, 112);
      const s56 = f32x4.add(m5, m6), d56 = f32x4.sub(m5, m6);
      y0 = f32x4.add(f32x4.add(m0, s12), madd(s56, k8, s34));
      const t1 = f32x4.add(d34, f32x4.add(d56, d56));
      y1 = f32x4.add(d12, f32x4.add(t1, t1));
      const t2 = f32x4.add(f32x4.add(s34, s34), s56);
      y2 = f32x4.add(s12, f32x4.add(t2, t2));
      y3 = f32x4.add(f32x4.add(d12, m7), madd(d34, k8, d56));
    }
    y0 = activate(y0, act, vslope);
    y1 = activate(y1, act, vslope);
    y2 = activate(y2, act, vslope);
    y3 = activate(y3, act, vslope);
    if (tileMode != 0) {
      // Lane i of y_k is column k of tile i: a 4-wide window is the sum (max) of the 4 vectors, the
      // 2-wide windows of y0, y1 and of y2, y3 (interleaved: pooled columns 8q + 2i, 8q + 2i + 1).
      const max = (tileMode & 1) == 1;
      if (tileMode <= 2) {
        const h = max ? f32x4.max(f32x4.max(f32x4.max(y0, y1), y2), y3) : f32x4.add(f32x4.add(f32x4.add(y0, y1), y2), y3);
        const o = out + (<usize>(q * 4) << 2);
        v128.store(o, mode == PUT.STORE ? h : fold(v128.load(o), h, mode));
      } else {
        const h0 = max ? f32x4.max(y0, y1) : f32x4.add(y0, y1);
        const h1 = max ? f32x4.max(y2, y3) : f32x4.add(y2, y3);
        const lo = v128.shuffle<f32>(h0, h1, 0, 4, 1, 5);
        const hi = v128.shuffle<f32>(h0, h1, 2, 6, 3, 7);
        const o = out + (<usize>(q * 8) << 2);
        v128.store(o, mode == PUT.STORE ? lo : fold(v128.load(o), lo, mode));
        v128.store(o, mode == PUT.STORE ? hi : fold(v128.load(o, 16), hi, mode), 16);
      }
      continue;
    }
    // Transpose: tile i's 4 outputs are columns 16q + 4i .. 16q + 4i + 3.
    const a0 = v128.shuffle<f32>(y0, y1, 0, 4, 1, 5);
    const a1 = v128.shuffle<f32>(y0, y1, 2, 6, 3, 7);
    const b0 = v128.shuffle<f32>(y2, y3, 0, 4, 1, 5);
    const b1 = v128.shuffle<f32>(y2, y3, 2, 6, 3, 7);
    const o = out + (<usize>(q * 16) << 2);
    const t0 = v128.shuffle<f32>(a0, b0, 0, 1, 4, 5), t1 = v128.shuffle<f32>(a0, b0, 2, 3, 6, 7);
    const t2 = v128.shuffle<f32>(a1, b1, 0, 1, 4, 5), t3 = v128.shuffle<f32>(a1, b1, 2, 3, 6, 7);
    if (mode == PUT.STORE) {
      const n = ow - q * 16;
      storeTail(o, t0, n);
      storeTail(o + 16, t1, n - 4);
      storeTail(o + 32, t2, n - 8);
      storeTail(o + 48, t3, n - 12);
    } else {
      // The accumulator row has room for whole groups; columns >= ow are never pooled.
      v128.store(o, fold(v128.load(o), t0, mode));
      v128.store(o, fold(v128.load(o, 16), t1, mode), 16);
      v128.store(o, fold(v128.load(o, 32), t2, mode), 32);
      v128.store(o, fold(v128.load(o, 48), t3, mode), 48);
    }
  }
}

@inline function fold(a: v128, b: v128, mode: i32): v128 {
  return mode == PUT.MAX ? f32x4.max(a, b) : f32x4.add(a, b);
}

/** V of local padded row ir, every channel (B^T of F(4,3) or F(4,5)), into its slot (at v in group 0; channel ch KH steps further, groups gb bytes apart). Reads columns 0 .. 16 * TQ + 3. */
function transformRow(d: usize, ir: i32, v: usize): void {
  const c = field(d, WINOGRAD1D_SMALL.C);
  const tq = field(d, WINOGRAD1D_SMALL.TQ);
  const pitch = field(d, WINOGRAD1D_SMALL.IN_PITCH);
  const inPlane = field(d, WINOGRAD1D_SMALL.IN_PLANE);
  const gb = <usize>groupBytes(d);
  const k54 = f32x4.splat(5.25), m174 = f32x4.splat(-4.25), k4 = f32x4.splat(4), m5 = f32x4.splat(-5);
  const m25 = f32x4.splat(-2.5), m125 = f32x4.splat(-1.25), half = f32x4.splat(0.5), quarter = f32x4.splat(0.25), two = f32x4.splat(2);
  for (let ch = 0; ch < c; ch++) {
    let p: usize = <usize>field(d, WINOGRAD1D_SMALL.IN) + (<usize>(ch * inPlane + ir * pitch) << 2);
    let o = v + <usize>(ch * field(d, WINOGRAD1D_SMALL.KH) * 128);
    if (field(d, WINOGRAD1D_SMALL.R) == 3) {
      for (let q = 0; q < tq; q++) {
        btRow4(p, o, 16);
        p += 64;
        o += gb;
      }
      continue;
    }
    for (let q = 0; q < tq; q++) {
      // d_i, lane j = p[4j + i]: two 4x4 transposes of p[0..15] and p[4..19].
      const a = v128.load(p), b = v128.load(p, 16), e = v128.load(p, 32), f = v128.load(p, 48), g = v128.load(p, 64);
      const ab0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), ab1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
      const ef0 = v128.shuffle<f32>(e, f, 0, 4, 1, 5), ef1 = v128.shuffle<f32>(e, f, 2, 6, 3, 7);
      const d0 = v128.shuffle<f32>(ab0, ef0, 0, 1, 4, 5), d1 = v128.shuffle<f32>(ab0, ef0, 2, 3, 6, 7);
      const d2 = v128.shuffle<f32>(ab1, ef1, 0, 1, 4, 5), d3 = v128.shuffle<f32>(ab1, ef1, 2, 3, 6, 7);
      const bf0 = v128.shuffle<f32>(b, e, 0, 4, 1, 5), bf1 = v128.shuffle<f32>(b, e, 2, 6, 3, 7);
      const fg0 = v128.shuffle<f32>(f, g, 0, 4, 1, 5), fg1 = v128.shuffle<f32>(f, g, 2, 6, 3, 7);
      const d4 = v128.shuffle<f32>(bf0, fg0, 0, 1, 4, 5), d5 = v128.shuffle<f32>(bf0, fg0, 2, 3, 6, 7);
      const d6 = v128.shuffle<f32>(bf1, fg1, 0, 1, 4, 5), d7 = v128.shuffle<f32>(bf1, fg1, 2, 3, 6, 7);
      // B^T (row 0 sign-flipped against wincnn's, with G's row 0 to match).
      v128.store(o, madd(k54, f32x4.sub(d4, d2), f32x4.sub(d0, d6)));
      const e1 = madd(m174, d4, f32x4.add(d2, d6));
      const o1 = madd(m174, d3, f32x4.add(d1, d5));
      v128.store(o, f32x4.add(e1, o1), 16);
      v128.store(o, f32x4.sub(e1, o1), 32);
      const e3 = madd(m125, d4, madd(quarter, d2, d6));
      const o3 = madd(two, d5, madd(m25, d3, f32x4.mul(half, d1)));
      v128.store(o, f32x4.add(e3, o3), 48);
      v128.store(o, f32x4.sub(e3, o3), 64);
      const e5 = madd(m5, d4, madd(k4, d2, d6));
      const o5 = madd(half, d5, madd(m25, d3, f32x4.mul(two, d1)));
      v128.store(o, f32x4.add(e5, o5), 80);
      v128.store(o, f32x4.sub(e5, o5), 96);
      v128.store(o, madd(k54, f32x4.sub(d3, d5), f32x4.sub(d7, d1)), 112);
      p += 64;
      o += gb;
    }
  }
}
