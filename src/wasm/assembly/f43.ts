// Lavin & Gray's F(4,3) input and output transforms, and clipped stores of 4x4 output tiles (as rows, or 2x2 / 4x4 pooled), shared by the row-wise (winograd1d.ts) and 2-D (winograd2d.ts, winograd2d_small.ts) Winograd routines.
import { activate, actOf, madd } from './igemm';
import { ACT, POOL } from './layout';

/** B^T of one axis: (d0..d5) -> 6 values stored at o, o + step, ... (one arithmetic for rows, columns and both algorithms). */
@inline export function bt(o: usize, step: usize, d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128): void {
  const v4 = f32x4.splat(4), m4 = f32x4.splat(-4), m5 = f32x4.splat(-5), v2 = f32x4.splat(2);
  v128.store(o, f32x4.add(madd(m5, d2, f32x4.mul(v4, d0)), d4));
  v128.store(o + step, f32x4.add(madd(m4, f32x4.add(d1, d2), d3), d4));
  v128.store(o + 2 * step, f32x4.add(f32x4.sub(f32x4.mul(v4, f32x4.sub(d1, d2)), d3), d4));
  v128.store(o + 3 * step, f32x4.add(f32x4.sub(f32x4.mul(v2, f32x4.sub(d3, d1)), d2), d4));
  v128.store(o + 4 * step, f32x4.add(f32x4.sub(f32x4.mul(v2, f32x4.sub(d1, d3)), d2), d4));
  v128.store(o + 5 * step, f32x4.add(madd(m5, d3, f32x4.mul(v4, d1)), d5));
}

/**
 * B^T along x of 4 consecutive tiles of one row starting at p (tile i reads p[4i .. 4i + 5]): the 6
 * transformed values, lane i = tile i, stored at o, o + step, ... Reads p[0 .. 19]; lanes past
 * p[17] are never used (callers' row pitch and allocation slack make them readable).
 */
@inline export function btRow4(p: usize, o: usize, step: usize): void {
  const a = v128.load(p), b = v128.load(p, 16), e = v128.load(p, 32), f = v128.load(p, 48);
  const g = v128.load(p, 64);
  const ab0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5);
  const ab1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
  const ef0 = v128.shuffle<f32>(e, f, 0, 4, 1, 5);
  const ef1 = v128.shuffle<f32>(e, f, 2, 6, 3, 7);
  const d0 = v128.shuffle<f32>(ab0, ef0, 0, 1, 4, 5);
  const d1 = v128.shuffle<f32>(ab0, ef0, 2, 3, 6, 7);
  const d2 = v128.shuffle<f32>(ab1, ef1, 0, 1, 4, 5);
  const d3 = v128.shuffle<f32>(ab1, ef1, 2, 3, 6, 7);
  const d4 = v128.shuffle<f32>(d0, g, 1, 2, 3, 4);
  const d5 = v128.shuffle<f32>(d1, g, 1, 2, 3, 5);
  bt(o, step, d0, d1, d2, d3, d4, d5);
}

/**
 * 4 x: two doublings, exact like the multiply, and without the splat constant that V8 keeps in a
 * register or reloads from the stack in every A^T (the 2 x is one doubling where it is used).
 */
@inline export function quadruple(x: v128): v128 {
  const d = f32x4.add(x, x);
  return f32x4.add(d, d);
}

/** The first pass of a 2-D A^T: its sums as they are (see biasAct). */
export class NoBias {}

/** A value of an A^T pass as stored: as it is for F = NoBias (the pass along x), else + bias vb, then activation F (igemm.ts; the pass along y). */
@inline export function biasAct<F>(v: v128, vb: v128, vslope: v128): v128 {
  if (idof<F>() == idof<NoBias>()) return v;
  return activate(f32x4.add(v, vb), actOf<F>(), vslope);
}

/** A^T along one axis: (m0..m5) -> 4 values through biasAct<F>, stored at o, o + step, ... (the 2-D routines' output transforms, both axes). */
@inline export function at<F>(o: usize, step: usize, vb: v128, vslope: v128, m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128): void {
  const s12 = f32x4.add(m1, m2), d12 = f32x4.sub(m1, m2);
  const s34 = f32x4.add(m3, m4), d34 = f32x4.sub(m3, m4);
  v128.store(o, biasAct<F>(f32x4.add(f32x4.add(m0, s12), s34), vb, vslope));
  v128.store(o + step, biasAct<F>(f32x4.add(d12, f32x4.add(d34, d34)), vb, vslope));
  v128.store(o + 2 * step, biasAct<F>(f32x4.add(s12, quadruple(s34)), vb, vslope));
  v128.store(o + 3 * step, biasAct<F>(f32x4.add(madd(f32x4.splat(8), d34, d12), m5), vb, vslope));
}

/** Stores the first n lanes of v at p (all 4 when n >= 4, none when n <= 0). */
@inline export function storeTail(p: usize, v: v128, n: i32): void {
  if (n >= 4) v128.store(p, v);
  else if (n > 0) {
    v128.store32_lane(p, v, 0);
    if (n > 1) v128.store32_lane(p, v, 1, 4);
    if (n > 2) v128.store32_lane(p, v, 2, 8);
  }
}

/** y [4 rows][4 cols] (lane i = tile i) as 4 rows of 16 pixels from column x0: transposed, clipped to rows [0, limit) and columns < ow. */
export function storeTileRows(y: usize, out: usize, pitch: i32, first: i32, limit: i32, x0: i32, ow: i32): void {
  for (let ry = 0; ry < 4; ry++) {
    const row = first + ry;
    if (row < 0 || row >= limit) continue;
    const a = y + <usize>ry * 64;
    const o = out + (<usize>(row * pitch + x0) << 2);
    const y0 = v128.load(a), y1 = v128.load(a, 16), y2 = v128.load(a, 32), y3 = v128.load(a, 48);
    const a0 = v128.shuffle<f32>(y0, y1, 0, 4, 1, 5);
    const a1 = v128.shuffle<f32>(y0, y1, 2, 6, 3, 7);
    const b0 = v128.shuffle<f32>(y2, y3, 0, 4, 1, 5);
    const b1 = v128.shuffle<f32>(y2, y3, 2, 6, 3, 7);
    storeTail(o, v128.shuffle<f32>(a0, b0, 0, 1, 4, 5), ow - x0);
    storeTail(o + 16, v128.shuffle<f32>(a0, b0, 2, 3, 6, 7), ow - x0 - 4);
    storeTail(o + 32, v128.shuffle<f32>(a1, b1, 0, 1, 4, 5), ow - x0 - 8);
    storeTail(o + 48, v128.shuffle<f32>(a1, b1, 2, 3, 6, 7), ow - x0 - 12);
  }
}

/**
 * The kind storePooled2/4 take for a descriptor's POOL code after activation act: POOL.MAX_RELU for a max
 * pool of ReLU outputs. Those are >= 0, +infinity or NaN, so their sum is NaN exactly when one of them
 * is: the max then needs f32x4.pmax (one instruction on x64) and one NaN check, not f32x4.max, whose
 * NaN rule V8 emits as ~7 instructions per use.
 */
@inline export function tilePoolKind(pool: i32, act: i32): i32 {
  return pool == POOL.MAX && act == ACT.RELU ? POOL.MAX_RELU : pool;
}

@inline export function pool2(kind: i32, a: v128, b: v128): v128 {
  return kind == POOL.MAX ? f32x4.max(a, b) : f32x4.add(a, b);
}

/** The pool of a, b, c, d: rows first (a with b, c with d), as pool_rows_f32 reduces. */
@inline export function pool4(kind: i32, a: v128, b: v128, c: v128, d: v128): v128 {
  if (kind == POOL.MAX_RELU) return maxOfRelu(f32x4.pmax(f32x4.pmax(a, b), f32x4.pmax(c, d)), f32x4.add(f32x4.add(a, b), f32x4.add(c, d)));
  return pool2(kind, pool2(kind, a, b), pool2(kind, c, d));
}

/** m: the pmax of ReLU outputs, s: their sum; NaN where s is (some output is NaN), else m. */
@inline function maxOfRelu(m: v128, s: v128): v128 {
  return v128.bitselect(s, m, f32x4.ne(s, s));
}

/** The 2x2 pool of y's rows 2a, 2a + 1 and columns 2c, 2c + 1 (rows first, as pool4 reduces), an average divided by vdiv. */
@inline export function pool2x2(y: usize, kind: i32, vdiv: v128, a: i32, c: i32): v128 {
  const s = y + <usize>(2 * a) * 64 + (<usize>c << 5);
  const p = pool4(kind, v128.load(s), v128.load(s, 64), v128.load(s, 16), v128.load(s, 80));
  return kind == POOL.AVG ? f32x4.div(p, vdiv) : p;
}

/** 2x2 pooling of y: 2 pooled rows of 2 pooled columns per tile, 8 contiguous pooled pixels per row from column x. */
export function storePooled2(y: usize, kind: i32, vdiv: v128, out: usize, first: i32, rows: i32, pitch: i32, x: i32, ow: i32): void {
  for (let a = 0; a < 2; a++) {
    const row = first + a;
    if (row < 0 || row >= rows) continue;
    const p0 = pool2x2(y, kind, vdiv, a, 0);
    const p1 = pool2x2(y, kind, vdiv, a, 1);
    const o = out + (<usize>(row * pitch + x) << 2);
    storeTail(o, v128.shuffle<f32>(p0, p1, 0, 4, 1, 5), ow - x);
    storeTail(o + 16, v128.shuffle<f32>(p0, p1, 2, 6, 3, 7), ow - x - 4);
  }
}

/** The 4x4 pool of y (all 16 values), an average divided by vdiv. */
@inline export function pool4x4(y: usize, kind: i32, vdiv: v128): v128 {
  let p = v128.splat<i32>(0);
  if (kind == POOL.MAX_RELU) {
    let m = v128.load(y);
    let sum = m;
    for (let i = 1; i < 16; i++) {
      const v = v128.load(y + (<usize>i << 4));
      m = f32x4.pmax(m, v);
      sum = f32x4.add(sum, v);
    }
    p = maxOfRelu(m, sum);
  } else {
    for (let cx = 0; cx < 4; cx++) {
      const s = y + (<usize>cx << 4);
      const col = pool2(kind, pool2(kind, pool2(kind, v128.load(s), v128.load(s, 64)), v128.load(s, 128)), v128.load(s, 192));
      p = cx == 0 ? col : pool2(kind, p, col);
    }
  }
  return kind == POOL.AVG ? f32x4.div(p, vdiv) : p;
}

/** 4x4 pooling of y: one pooled pixel per tile, 4 contiguous pooled pixels from column x. */
export function storePooled4(y: usize, kind: i32, vdiv: v128, out: usize, first: i32, rows: i32, pitch: i32, x: i32, ow: i32): void {
  if (first < 0 || first >= rows) return;
  storeTail(out + (<usize>(first * pitch + x) << 2), pool4x4(y, kind, vdiv), ow - x);
}
