// depthwise_f32 and separable_f32: convs with one input channel per group (depthwise, channel multiplier OC), all groups in one call,
// vectorised along x (every lane useful, unlike the 4-channel GEMM tiles), either directly over the
// kh x kw taps or, for rank-1 kernels (gaussian, box, sobel, scharr ...), as two 1-D passes:
// vertical (column taps, into a per-thread row) then horizontal (row taps, + bias, activation).
// The descriptor's fields are DEPTHWISE in layout.ts (defined in ../layout.json).
import { checkCodes, checkRange, checkTid, field } from './descriptor';
import { activate, actOf, Leaky, madd, NoAct, Relu, Relu6, storePartial } from './igemm';
import { ACT, DEPTHWISE, PAD } from './layout';
import { padRows } from './pad';

/**
 * c[x] = act(bias + sum_k w[k] * b[offs[k] / 4 + x]) for x < n, k = 0..K-1 in order, f32 mul then add.
 * 16 pixels per step (4 accumulators), then 4 at a time; a lane's arithmetic never depends on which
 * step computed it. Reads up to 3 floats past b's last pixel (allocation slack).
 */
function dwRow(w: usize, offs: usize, k: i32, b: usize, bias: f32, c: usize, n: i32, act: i32, slope: f32): void {
  const vslope = f32x4.splat(slope);
  const oend = offs + (<usize>k << 2);
  let x = 0;
  for (; x + 16 <= n; x += 16) {
    const bx = b + (<usize>x << 2);
    let a0 = f32x4.splat(bias);
    let a1 = a0, a2 = a0, a3 = a0;
    let wp = w;
    for (let o = offs; o < oend; o += 4) {
      const p = bx + <usize>load<i32>(o);
      const vw = v128.load32_splat(wp);
      a0 = madd(vw, v128.load(p), a0);
      a1 = madd(vw, v128.load(p, 16), a1);
      a2 = madd(vw, v128.load(p, 32), a2);
      a3 = madd(vw, v128.load(p, 48), a3);
      wp += 4;
    }
    const cx = c + (<usize>x << 2);
    v128.store(cx, activate(a0, act, vslope));
    v128.store(cx, activate(a1, act, vslope), 16);
    v128.store(cx, activate(a2, act, vslope), 32);
    v128.store(cx, activate(a3, act, vslope), 48);
  }
  for (; x < n; x += 4) {
    const bx = b + (<usize>x << 2);
    let a0 = f32x4.splat(bias);
    let wp = w;
    for (let o = offs; o < oend; o += 4) {
      a0 = madd(v128.load32_splat(wp), v128.load(bx + <usize>load<i32>(o)), a0);
      wp += 4;
    }
    const v = activate(a0, act, vslope);
    if (x + 4 <= n) v128.store(c + (<usize>x << 2), v);
    else storePartial(c + (<usize>x << 2), v, n - x);
  }
}

/** acc + wa ta + wb tb + wc tc, in that order: one kernel row of 4 outputs whose taps are already in registers. */
@inline
function row3(wa: v128, ta: v128, wb: v128, tb: v128, wc: v128, tc: v128, acc: v128): v128 {
  return madd(wc, tc, madd(wb, tb, madd(wa, ta, acc)));
}

/** One kernel row (weights wa, wb, wc) of 4 outputs at x-stride 1 from a padded row at p (column x): columns x, x + 1, x + 2. */
@inline
function tapRow1(p: usize, wa: v128, wb: v128, wc: v128, acc: v128): v128 {
  return row3(wa, v128.load(p), wb, v128.load(p, 4), wc, v128.load(p, 8), acc);
}

/**
 * One kernel row (weights wa, wb, wc) of 4 outputs at x-stride 2 from a plain padded row at p (column 2x):
 * taps 0 and 1 are the even and odd columns of 2x .. 2x + 7, tap 2 the even columns of 2x + 2 .. 2x + 9.
 */
@inline
function tapRow2(p: usize, wa: v128, wb: v128, wc: v128, acc: v128): v128 {
  const a = v128.load(p);
  const b = v128.load(p, 16);
  return row3(wa, v128.shuffle<f32>(a, b, 0, 2, 4, 6), wb, v128.shuffle<f32>(a, b, 1, 3, 5, 7), wc, v128.shuffle<f32>(v128.load(p, 8), v128.load(p, 24), 0, 2, 4, 6), acc);
}

/** The x-stride tags of dwRows3x3's instances. */
class Stride1 {}
class Stride2 {}

/** Where dwRow3x3 reads: padded rows (the routine's scratch, or IN), or the band's rows in place (DEPTHWISE.IN_PLACE). */
class Padded {}
class InPlace {}

/** dwRows3x3 for x-stride sx (1 or 2) and activation code act: the instance for that pair. */
function dwRows3x3Of(sx: i32, act: i32, w: usize, offs: usize, b: usize, bstep: usize, bias: f32, c: usize, cstep: usize, n: i32, rows: i32, slope: f32): void {
  if (sx == 1) {
    if (act == ACT.RELU6) dwRows3x3<Stride1, Relu6>(w, offs, b, bstep, bias, c, cstep, n, rows, slope);
    else if (act == ACT.RELU) dwRows3x3<Stride1, Relu>(w, offs, b, bstep, bias, c, cstep, n, rows, slope);
    else if (act == ACT.LEAKY) dwRows3x3<Stride1, Leaky>(w, offs, b, bstep, bias, c, cstep, n, rows, slope);
    else dwRows3x3<Stride1, NoAct>(w, offs, b, bstep, bias, c, cstep, n, rows, slope);
  } else {
    if (act == ACT.RELU6) dwRows3x3<Stride2, Relu6>(w, offs, b, bstep, bias, c, cstep, n, rows, slope);
    else if (act == ACT.RELU) dwRows3x3<Stride2, Relu>(w, offs, b, bstep, bias, c, cstep, n, rows, slope);
    else if (act == ACT.LEAKY) dwRows3x3<Stride2, Leaky>(w, offs, b, bstep, bias, c, cstep, n, rows, slope);
    else dwRows3x3<Stride2, NoAct>(w, offs, b, bstep, bias, c, cstep, n, rows, slope);
  }
}

/** dwRowsInPlace3x3 for x-stride sx (1 or 2) and activation code act: the instance for that pair. */
function dwRowsInPlace3x3Of(sx: i32, act: i32, w: usize, src: usize, spitch: usize, rowtab: usize, p: i32, sy: i32, zero: usize, width: i32, bias: f32, c: usize, cstep: usize, n: i32, rows: i32, slope: f32): void {
  if (sx == 1) {
    if (act == ACT.RELU6) dwRowsInPlace3x3<Stride1, Relu6>(w, src, spitch, rowtab, p, sy, zero, width, bias, c, cstep, n, rows, slope);
    else if (act == ACT.RELU) dwRowsInPlace3x3<Stride1, Relu>(w, src, spitch, rowtab, p, sy, zero, width, bias, c, cstep, n, rows, slope);
    else if (act == ACT.LEAKY) dwRowsInPlace3x3<Stride1, Leaky>(w, src, spitch, rowtab, p, sy, zero, width, bias, c, cstep, n, rows, slope);
    else dwRowsInPlace3x3<Stride1, NoAct>(w, src, spitch, rowtab, p, sy, zero, width, bias, c, cstep, n, rows, slope);
  } else {
    if (act == ACT.RELU6) dwRowsInPlace3x3<Stride2, Relu6>(w, src, spitch, rowtab, p, sy, zero, width, bias, c, cstep, n, rows, slope);
    else if (act == ACT.RELU) dwRowsInPlace3x3<Stride2, Relu>(w, src, spitch, rowtab, p, sy, zero, width, bias, c, cstep, n, rows, slope);
    else if (act == ACT.LEAKY) dwRowsInPlace3x3<Stride2, Leaky>(w, src, spitch, rowtab, p, sy, zero, width, bias, c, cstep, n, rows, slope);
    else dwRowsInPlace3x3<Stride2, NoAct>(w, src, spitch, rowtab, p, sy, zero, width, bias, c, cstep, n, rows, slope);
  }
}

/**
 * dwRow for a 3x3 kernel at x-stride S (Stride1, or Stride2 from plain padded rows) and activation A over
 * `rows` output rows, the input rows bstep bytes apart and the output rows cstep: the 9 weights stay in
 * registers for the run of rows, and the taps are read at fixed distances from 3 row addresses, not from the
 * offset table for every 4 pixels, and (but for a row's last steps) from vectors carried along the row. The
 * same sums in the same order as dwRow. At x-stride 2 it reads up to 7 floats past the last column a row's
 * outputs need (the routine's scratch has that slack). One instance per stride and activation (dwRows3x3Of),
 * as winograd2d_small's tileRow<A>: the carried loop then holds no runtime tests on them.
 */
function dwRows3x3<S, A>(w: usize, offs: usize, b: usize, bstep: usize, bias: f32, c: usize, cstep: usize, n: i32, rows: i32, slope: f32): void {
  const vslope = f32x4.splat(slope);
  const vb = f32x4.splat(bias);
  const w0 = v128.load32_splat(w), w1 = v128.load32_splat(w, 4), w2 = v128.load32_splat(w, 8);
  const w3 = v128.load32_splat(w, 12), w4 = v128.load32_splat(w, 16), w5 = v128.load32_splat(w, 20);
  const w6 = v128.load32_splat(w, 24), w7 = v128.load32_splat(w, 28), w8 = v128.load32_splat(w, 32);
  // Each kernel row's first tap: offsets 0, 3 and 6.
  const o0 = <usize>load<i32>(offs), o1 = <usize>load<i32>(offs, 12), o2 = <usize>load<i32>(offs, 24);
  for (let r = 0; r < rows; r++) {
    dwRow3x3<S, A, Padded>(b + o0, b + o1, b + o2, 0, c, n, w0, w1, w2, w3, w4, w5, w6, w7, w8, vb, vslope);
    b += bstep;
    c += cstep;
  }
}

/**
 * dwRows3x3 reading the band's rows in place (DEPTHWISE.IN_PLACE: zero padding, one column on the left and at
 * most one on the right, dilation 1): output row i reads padded rows p + i sy .. + 2, each the band row ROWTAB
 * gives (src + row x spitch, rows `width` floats wide) or, outside the map, the zero row at `zero`. The same
 * floats as the padded rows of dwRows3x3 (dwRow3x3 makes the padding columns zero in registers), so the same
 * sums, without copying the rows.
 */
function dwRowsInPlace3x3<S, A>(w: usize, src: usize, spitch: usize, rowtab: usize, p: i32, sy: i32, zero: usize, width: i32, bias: f32, c: usize, cstep: usize, n: i32, rows: i32, slope: f32): void {
  const vslope = f32x4.splat(slope);
  const vb = f32x4.splat(bias);
  const w0 = v128.load32_splat(w), w1 = v128.load32_splat(w, 4), w2 = v128.load32_splat(w, 8);
  const w3 = v128.load32_splat(w, 12), w4 = v128.load32_splat(w, 16), w5 = v128.load32_splat(w, 20);
  const w6 = v128.load32_splat(w, 24), w7 = v128.load32_splat(w, 28), w8 = v128.load32_splat(w, 32);
  for (let r = 0; r < rows; r++) {
    const t = rowtab + (<usize>(p + r * sy) << 2);
    const t0 = load<i32>(t), t1 = load<i32>(t, 4), t2 = load<i32>(t, 8);
    // Padded column 0 is the float before each row's first.
    const q0 = (t0 < 0 ? zero : src + <usize>t0 * spitch) - 4;
    const q1 = (t1 < 0 ? zero : src + <usize>t1 * spitch) - 4;
    const q2 = (t2 < 0 ? zero : src + <usize>t2 * spitch) - 4;
    dwRow3x3<S, A, InPlace>(q0, q1, q2, width, c, n, w0, w1, w2, w3, w4, w5, w6, w7, w8, vb, vslope);
    c += cstep;
  }
}

/** v with the lanes whose source column (first + lane) lies outside [0, width) zero: padding read in place. */
@inline
function inRow(v: v128, first: i32, width: i32): v128 {
  return v128.and(v, i32x4.lt_u(i32x4.add(i32x4.splat(first), i32x4(0, 1, 2, 3)), i32x4.splat(width)));
}

/**
 * One output row of dwRows3x3 (n outputs at c), its kernel rows' padded column 0 at q0, q1, q2. M = InPlace:
 * padded column j is column j - 1 of a band row `width` floats wide, read in place, and the columns outside the
 * row are made zero in registers: the first step's column 0, and in the last steps every column past the row.
 */
@inline
function dwRow3x3<S, A, M>(q0: usize, q1: usize, q2: usize, width: i32, c: usize, n: i32, w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128, w8: v128, vb: v128, vslope: v128): void {
  const sx = idof<S>() == idof<Stride1>() ? 1 : 2;
  const inPlace = idof<M>() == idof<InPlace>();
  let x = 0;
  // Along the row, each kernel row's vectors are carried from one step to the next, and a step loads only what
  // is new: at x-stride 1 columns x + 4 .. x + 7 (the taps at x + 1 and x + 2 come from the vectors of x and
  // x + 4), at x-stride 2 columns 2x + 4 .. 2x + 11 (the third tap's columns 2x + 2 .. 2x + 8 from the even
  // columns and the next step's first vector). The same floats as the loads of the loop below, so the same sums;
  // the row's last steps (x + 8 > n) take that loop, so the reads end where they always did. (In place, with at
  // most one padding column on the right, the columns this loop reads all lie inside the row.)
  let c0 = v128.load(q0), c1 = v128.load(q1), c2 = v128.load(q2);
  if (inPlace) {
    c0 = f32x4.replace_lane(c0, 0, 0);
    c1 = f32x4.replace_lane(c1, 0, 0);
    c2 = f32x4.replace_lane(c2, 0, 0);
  }
  for (; x + 8 <= n; x += 4) {
    let a: v128, n0: v128, n1: v128, n2: v128;
    if (sx == 1) {
      const next = <usize>(x + 4) << 2;
      n0 = v128.load(q0 + next);
      n1 = v128.load(q1 + next);
      n2 = v128.load(q2 + next);
      a = row3(w0, c0, w1, v128.shuffle<f32>(c0, n0, 1, 2, 3, 4), w2, v128.shuffle<f32>(c0, n0, 2, 3, 4, 5), vb);
      a = row3(w3, c1, w4, v128.shuffle<f32>(c1, n1, 1, 2, 3, 4), w5, v128.shuffle<f32>(c1, n1, 2, 3, 4, 5), a);
      a = row3(w6, c2, w7, v128.shuffle<f32>(c2, n2, 1, 2, 3, 4), w8, v128.shuffle<f32>(c2, n2, 2, 3, 4, 5), a);
    } else {
      const at = <usize>x << 3;
      const h0 = v128.load(q0 + at, 16), h1 = v128.load(q1 + at, 16), h2 = v128.load(q2 + at, 16);
      n0 = v128.load(q0 + at, 32);
      n1 = v128.load(q1 + at, 32);
      n2 = v128.load(q2 + at, 32);
      const e0 = v128.shuffle<f32>(c0, h0, 0, 2, 4, 6), e1 = v128.shuffle<f32>(c1, h1, 0, 2, 4, 6), e2 = v128.shuffle<f32>(c2, h2, 0, 2, 4, 6);
      a = row3(w0, e0, w1, v128.shuffle<f32>(c0, h0, 1, 3, 5, 7), w2, v128.shuffle<f32>(e0, n0, 1, 2, 3, 4), vb);
      a = row3(w3, e1, w4, v128.shuffle<f32>(c1, h1, 1, 3, 5, 7), w5, v128.shuffle<f32>(e1, n1, 1, 2, 3, 4), a);
      a = row3(w6, e2, w7, v128.shuffle<f32>(c2, h2, 1, 3, 5, 7), w8, v128.shuffle<f32>(e2, n2, 1, 2, 3, 4), a);
    }
    v128.store(c + (<usize>x << 2), activate(a, actOf<A>(), vslope));
    c0 = n0;
    c1 = n1;
    c2 = n2;
  }
  for (; x < n; x += 4) {
    let a: v128;
    if (!inPlace) {
      if (sx == 1) a = tapRow1(q2 + (<usize>x << 2), w6, w7, w8, tapRow1(q1 + (<usize>x << 2), w3, w4, w5, tapRow1(q0 + (<usize>x << 2), w0, w1, w2, vb)));
      else a = tapRow2(q2 + (<usize>x << 3), w6, w7, w8, tapRow2(q1 + (<usize>x << 3), w3, w4, w5, tapRow2(q0 + (<usize>x << 3), w0, w1, w2, vb)));
    } else if (sx == 1) {
      a = tapRowIn1(q2, x, width, w6, w7, w8, tapRowIn1(q1, x, width, w3, w4, w5, tapRowIn1(q0, x, width, w0, w1, w2, vb)));
    } else {
      a = tapRowIn2(q2, x, width, w6, w7, w8, tapRowIn2(q1, x, width, w3, w4, w5, tapRowIn2(q0, x, width, w0, w1, w2, vb)));
    }
    const v = activate(a, actOf<A>(), vslope);
    const q = c + (<usize>x << 2);
    if (x + 4 <= n) v128.store(q, v);
    else storePartial(q, v, n - x);
  }
}

/** tapRow1 of padded column x read in place from q (padded column 0, see dwRow3x3): the same floats, padding zero. */
@inline
function tapRowIn1(q: usize, x: i32, width: i32, wa: v128, wb: v128, wc: v128, acc: v128): v128 {
  const a = inRow(v128.load(q + (<usize>x << 2)), x - 1, width);
  const b = inRow(v128.load(q + (<usize>x << 2), 16), x + 3, width);
  return row3(wa, a, wb, v128.shuffle<f32>(a, b, 1, 2, 3, 4), wc, v128.shuffle<f32>(a, b, 2, 3, 4, 5), acc);
}

/** tapRow2 of padded column 2x read in place from q (padded column 0, see dwRow3x3): the same floats, padding zero. */
@inline
function tapRowIn2(q: usize, x: i32, width: i32, wa: v128, wb: v128, wc: v128, acc: v128): v128 {
  const p = q + (<usize>x << 3);
  const a = inRow(v128.load(p), 2 * x - 1, width);
  const b = inRow(v128.load(p, 16), 2 * x + 3, width);
  const e = inRow(v128.load(p, 32), 2 * x + 7, width);
  const third = v128.shuffle<f32>(v128.shuffle<f32>(a, b, 2, 3, 4, 5), v128.shuffle<f32>(b, e, 2, 3, 4, 5), 0, 2, 4, 6);
  return row3(wa, v128.shuffle<f32>(a, b, 0, 2, 4, 6), wb, v128.shuffle<f32>(a, b, 1, 3, 5, 7), wc, third, acc);
}

/** The max of one kernel row of 4 outputs at x-stride 1 from a padded row at p (column x): columns x, x + 1, x + 2. */
@inline
function maxRow1(p: usize): v128 {
  return f32x4.max(f32x4.max(v128.load(p), v128.load(p, 4)), v128.load(p, 8));
}

/** The max of one kernel row of 4 outputs at x-stride 2 from a plain padded row at p (column 2x), columns apart as tapRow2 takes them. */
@inline
function maxRow2(p: usize): v128 {
  const a = v128.load(p);
  const b = v128.load(p, 16);
  const m = f32x4.max(v128.shuffle<f32>(a, b, 0, 2, 4, 6), v128.shuffle<f32>(a, b, 1, 3, 5, 7));
  return f32x4.max(m, v128.shuffle<f32>(v128.load(p, 8), v128.load(p, 24), 0, 2, 4, 6));
}

/**
 * The max pool of dwRows3x3: 3x3 windows at x-stride sx (1, or 2 from plain padded rows) over `rows` output
 * rows, the same reads; f32x4.max keeps NaN, and max is exact, so the order of the taps does not matter.
 */
function maxRows3x3(sx: i32, offs: usize, b: usize, bstep: usize, c: usize, cstep: usize, n: i32, rows: i32): void {
  const o0 = <usize>load<i32>(offs), o1 = <usize>load<i32>(offs, 12), o2 = <usize>load<i32>(offs, 24);
  for (let r = 0; r < rows; r++) {
    for (let x = 0; x < n; x += 4) {
      let m: v128;
      if (sx == 1) {
        const p = b + (<usize>x << 2);
        m = f32x4.max(f32x4.max(maxRow1(p + o0), maxRow1(p + o1)), maxRow1(p + o2));
      } else {
        const p = b + (<usize>x << 3);
        m = f32x4.max(f32x4.max(maxRow2(p + o0), maxRow2(p + o1)), maxRow2(p + o2));
      }
      const q = c + (<usize>x << 2);
      if (x + 4 <= n) v128.store(q, m);
      else storePartial(q, m, n - x);
    }
    b += bstep;
    c += cstep;
  }
}

/** The depthwise routine: direct taps. Units [u0, u1) (output row u % ROWS of group u / ROWS, every output channel of the group), on thread tid. */
export function depthwise_f32(d: usize, u0: i32, u1: i32, tid: i32): void {
  if (!ASC_NO_ASSERT) {
    checkDepthwise(d, u0, u1, tid);
    assert(field(d, DEPTHWISE.SEP) == 0 && field(d, DEPTHWISE.K) > 0 && field(d, DEPTHWISE.OFFS) != 0 && field(d, DEPTHWISE.W) != 0, 'depthwise: SEP == 0, K > 0, OFFS and W set');
    const k3 = field(d, DEPTHWISE.K3X3);
    if (k3 != 0) {
      assert(field(d, DEPTHWISE.K) == 9 && (k3 == 1 || (k3 == 2 && field(d, DEPTHWISE.PAD) != 0)), 'depthwise with K3X3: 9 taps; K3X3 1, or 2 with rows padded by the routine');
      const offs: usize = <usize>field(d, DEPTHWISE.OFFS);
      for (let t = 0; t < 9; t++) assert(load<i32>(offs + <usize>(t << 2)) == load<i32>(offs + <usize>((t / 3) * 12)) + (t % 3) * 4, 'depthwise with K3X3: OFFS are kernel rows of 3 adjacent columns');
    }
  }
  depthwise(d, u0, u1, tid, false);
}

/** The separable routine: rank-1 kernels as two 1-D passes. Arguments as depthwise_f32's. */
export function separable_f32(d: usize, u0: i32, u1: i32, tid: i32): void {
  if (!ASC_NO_ASSERT) {
    checkDepthwise(d, u0, u1, tid);
    assert(field(d, DEPTHWISE.SEP) == 1 && field(d, DEPTHWISE.KH) > 0 && field(d, DEPTHWISE.KW) > 0 && field(d, DEPTHWISE.SPAN) >= field(d, DEPTHWISE.OW), 'separable: SEP == 1, KH, KW > 0, SPAN >= OW');
    assert(field(d, DEPTHWISE.VOFFS) != 0 && field(d, DEPTHWISE.VW) != 0 && field(d, DEPTHWISE.HOFFS) != 0 && field(d, DEPTHWISE.HW) != 0 && field(d, DEPTHWISE.TMP) != 0, 'separable: VOFFS, VW, HOFFS, HW, TMP set');
  }
  depthwise(d, u0, u1, tid, false);
}

/** Debug build: what both depthwise routines need of their descriptor and arguments. */
function checkDepthwise(d: usize, u0: i32, u1: i32, tid: i32): void {
  DEPTHWISE.check(d);
  checkRange(u0, u1, 'units: 0 <= u0 <= u1');
  assert(u1 <= field(d, DEPTHWISE.GROUPS) * field(d, DEPTHWISE.ROWS), 'units: u1 <= GROUPS x ROWS');
  checkTid(tid);
  checkCodes(field(d, DEPTHWISE.ACT), 0);
  assert(field(d, DEPTHWISE.OC) > 0 && field(d, DEPTHWISE.OW) > 0 && field(d, DEPTHWISE.SY) > 0 && field(d, DEPTHWISE.OUT_PITCH) >= field(d, DEPTHWISE.OW), 'depthwise.OC, OW, SY > 0, OUT_PITCH >= OW');
  assert(field(d, DEPTHWISE.GROUPS) > 0 && field(d, DEPTHWISE.ROWS) > 0, 'depthwise.GROUPS, ROWS > 0');
  assert((field(d, DEPTHWISE.IN) != 0 || field(d, DEPTHWISE.PAD) != 0) && field(d, DEPTHWISE.BIAS) != 0 && field(d, DEPTHWISE.OUT) != 0, 'depthwise.IN or PAD, BIAS, OUT set');
  const pd = field(d, DEPTHWISE.PAD);
  if (field(d, DEPTHWISE.IN_PLACE) != 0) {
    assert(pd != 0 && field(d, DEPTHWISE.SEP) == 0 && field(d, DEPTHWISE.K3X3) != 0 && field(d, DEPTHWISE.ZERO) != 0 && field(d, DEPTHWISE.READ_ROWS) == 3, 'depthwise IN_PLACE: PAD, K3X3 and ZERO set, READ_ROWS 3');
    PAD.check(pd);
    assert(field(pd, PAD.LEFT) == 1 && field(pd, PAD.GATHER) == 0 && field(pd, PAD.FILL) == 0, 'depthwise IN_PLACE: one zero padding column on the left, plain rows');
    assert((field(d, DEPTHWISE.ROWS) - 1) * field(d, DEPTHWISE.SY) + 3 <= field(pd, PAD.ROWS), 'depthwise IN_PLACE: the rows read are pad.ROWS');
  } else if (pd != 0) {
    PAD.check(pd);
    assert(field(d, DEPTHWISE.PAD_TMP) != 0 && field(d, DEPTHWISE.READ_ROWS) > 0 && field(d, DEPTHWISE.PAD_ROWS) >= field(d, DEPTHWISE.READ_ROWS), 'depthwise with PAD: PAD_TMP set, PAD_ROWS >= READ_ROWS > 0');
    assert(field(pd, PAD.PW) == field(d, DEPTHWISE.IN_PITCH) && field(d, DEPTHWISE.PAD_TMP_STRIDE) >= (field(d, DEPTHWISE.PAD_ROWS) * field(d, DEPTHWISE.IN_PITCH) + 8) * 4, 'depthwise with PAD: pad.PW == IN_PITCH, PAD_TMP_STRIDE >= (PAD_ROWS x IN_PITCH + 8) x 4');
    assert((field(d, DEPTHWISE.ROWS) - 1) * field(d, DEPTHWISE.SY) + field(d, DEPTHWISE.READ_ROWS) <= field(pd, PAD.ROWS), 'depthwise with PAD: the rows read are pad.ROWS');
  }
}

/**
 * Units [u0, u1) of the depthwise descriptor at d: for each, one output row of one group, by the taps or the
 * two passes (SEP); with `pool`, the max over the 3x3 window (K3X3) of channel g's rows instead.
 */
function depthwise(d: usize, u0: i32, u1: i32, tid: i32, pool: bool): void {
  const oc = field(d, DEPTHWISE.OC);
  const ow = field(d, DEPTHWISE.OW);
  const sy = field(d, DEPTHWISE.SY);
  const pitch = field(d, DEPTHWISE.IN_PITCH);
  const rows = field(d, DEPTHWISE.ROWS);
  const iplane = field(d, DEPTHWISE.IN_PLANE);
  const act = field(d, DEPTHWISE.ACT);
  const slope = reinterpret<f32>(field(d, DEPTHWISE.SLOPE));
  const oplane = field(d, DEPTHWISE.OUT_PLANE);
  const opitch = field(d, DEPTHWISE.OUT_PITCH);
  const sep = field(d, DEPTHWISE.SEP) != 0;
  const k = field(d, DEPTHWISE.K);
  const offs: usize = <usize>field(d, DEPTHWISE.OFFS);
  const k3 = field(d, DEPTHWISE.K3X3);
  const kh = field(d, DEPTHWISE.KH);
  const kw = field(d, DEPTHWISE.KW);
  const voffs: usize = <usize>field(d, DEPTHWISE.VOFFS);
  const hoffs: usize = <usize>field(d, DEPTHWISE.HOFFS);
  const span = field(d, DEPTHWISE.SPAN);
  const tmp: usize = <usize>field(d, DEPTHWISE.TMP) + <usize>(tid * field(d, DEPTHWISE.TMP_STRIDE));
  // Own padding: the padded rows [p0, p1) of group pg sit in this thread's PAD_TMP.
  const pd: usize = <usize>field(d, DEPTHWISE.PAD);
  const ptmp: usize = <usize>field(d, DEPTHWISE.PAD_TMP) + <usize>(tid * field(d, DEPTHWISE.PAD_TMP_STRIDE));
  const held = field(d, DEPTHWISE.PAD_ROWS);
  const reads = field(d, DEPTHWISE.READ_ROWS);
  // In place (IN_PLACE): no copy; the band rows PAD's row table gives are read where they lie.
  const inPlace = field(d, DEPTHWISE.IN_PLACE) != 0;
  const src: usize = inPlace ? <usize>field(pd, PAD.SRC) : 0;
  const splane = inPlace ? field(pd, PAD.SRC_PLANE) : 0;
  const spitch: usize = inPlace ? <usize>field(pd, PAD.SRC_PITCH) << 2 : 0;
  const rowtab: usize = inPlace ? <usize>field(pd, PAD.ROWTAB) : 0;
  const width = inPlace ? field(pd, PAD.W) : 0;
  const zero: usize = <usize>field(d, DEPTHWISE.ZERO);
  let pg = -1;
  let p0 = 0;
  let p1 = 0;
  const bstep = <usize>(sy * pitch) << 2;
  const cstep = <usize>opitch << 2;
  // Runs of units: consecutive output rows of one group whose input rows are all in place.
  let u = u0;
  while (u < u1) {
    const g = u / rows;
    const r = u % rows;
    let e = min(u1, (g + 1) * rows);
    // Group g's input plane, its first output channel, and its taps, factors and biases (packed group after group).
    let b = <usize>field(d, DEPTHWISE.IN) + (<usize>(g * iplane + r * sy * pitch) << 2);
    if (pd != 0 && !inPlace) {
      const first = r * sy;
      if (g != pg || first + reads > p1) {
        pg = g;
        p0 = first;
        p1 = min(first + held, field(pd, PAD.ROWS));
        padRows(pd, g, p0, p1, ptmp);
      }
      b = ptmp + (<usize>((first - p0) * pitch) << 2);
      // Row r' reads padded rows r' sy .. r' sy + reads - 1, all below p1.
      e = min(e, g * rows + (p1 - reads) / sy + 1);
    }
    const n = e - u;
    u = e;
    const out = <usize>field(d, DEPTHWISE.OUT) + (<usize>(g * oc * oplane + r * opitch) << 2);
    if (pool) {
      maxRows3x3(k3, offs, b, bstep, out, cstep, ow, n);
      continue;
    }
    const bias = <usize>field(d, DEPTHWISE.BIAS) + (<usize>(g * oc) << 2);
    if (!sep) {
      const w = <usize>field(d, DEPTHWISE.W) + (<usize>(g * oc * k) << 2);
      for (let o = 0; o < oc; o++) {
        const wo = w + (<usize>(o * k) << 2);
        const bo = load<f32>(bias + (<usize>o << 2));
        const co = out + (<usize>(o * oplane) << 2);
        if (inPlace) dwRowsInPlace3x3Of(k3, act, wo, src + (<usize>(g * splane) << 2), spitch, rowtab, r * sy, sy, zero, width, bo, co, cstep, ow, n, slope);
        else if (k3 != 0) dwRows3x3Of(k3, act, wo, offs, b, bstep, bo, co, cstep, ow, n, slope);
        else for (let i = 0; i < n; i++) dwRow(wo, offs, k, b + <usize>i * bstep, bo, co + <usize>i * cstep, ow, act, slope);
      }
      continue;
    }
    // The vertical pass reads the same padded rows whatever the band or thread: rows r * sy + ky * dy.
    const vw = <usize>field(d, DEPTHWISE.VW) + (<usize>(g * oc * kh) << 2);
    const hw = <usize>field(d, DEPTHWISE.HW) + (<usize>(g * oc * kw) << 2);
    for (let i = 0; i < n; i++) {
      const bi = b + <usize>i * bstep;
      const oi = out + <usize>i * cstep;
      for (let o = 0; o < oc; o++) {
        dwRow(vw + (<usize>(o * kh) << 2), voffs, kh, bi, 0, tmp, span, 0, 0);
        dwRow(hw + (<usize>(o * kw) << 2), hoffs, kw, tmp, load<f32>(bias + (<usize>o << 2)), oi + (<usize>(o * oplane) << 2), ow, act, slope);
      }
    }
  }
}

/**
 * The max pool routine on the depthwise descriptor (OC 1, no weights): units [u0, u1) (output row u % ROWS of
 * channel u / ROWS), each pixel the max over the K taps of a padded input whose padding is -inf (so it never
 * wins). f32x4.max keeps NaN, as PyTorch's max pool does. With K3X3 (3x3 windows at x-stride 1 or 2) the
 * routine pads a channel's rows itself into this thread's PAD_TMP, as depthwise_f32 does, and takes the
 * columns apart in registers; otherwise the padded input's columns are stored in x-stride phases.
 */
export function maxpool2d_f32(d: usize, u0: i32, u1: i32, tid: i32): void {
  const k3 = field(d, DEPTHWISE.K3X3);
  if (!ASC_NO_ASSERT) {
    DEPTHWISE.check(d);
    checkRange(u0, u1, 'units: 0 <= u0 <= u1');
    assert(u1 <= field(d, DEPTHWISE.GROUPS) * field(d, DEPTHWISE.ROWS), 'units: u1 <= GROUPS x ROWS');
    assert(field(d, DEPTHWISE.K) > 0 && field(d, DEPTHWISE.OFFS) != 0 && field(d, DEPTHWISE.OUT) != 0, 'maxpool2d: K > 0, OFFS, OUT set');
    assert(field(d, DEPTHWISE.OW) > 0 && field(d, DEPTHWISE.SY) > 0 && field(d, DEPTHWISE.ROWS) > 0, 'maxpool2d: OW, SY, ROWS > 0');
    if (k3 != 0) {
      checkTid(tid);
      const pd = field(d, DEPTHWISE.PAD);
      assert((k3 == 1 || k3 == 2) && field(d, DEPTHWISE.K) == 9 && field(d, DEPTHWISE.OC) == 1 && field(d, DEPTHWISE.READ_ROWS) == 3, 'maxpool2d with K3X3: x-stride 1 or 2, 9 taps, OC 1, READ_ROWS 3');
      assert(pd != 0 && field(d, DEPTHWISE.PAD_TMP) != 0 && field(d, DEPTHWISE.PAD_ROWS) >= 3, 'maxpool2d with K3X3: PAD, PAD_TMP set, PAD_ROWS >= 3');
      PAD.check(pd);
      assert(field(pd, PAD.PW) == field(d, DEPTHWISE.IN_PITCH) && field(d, DEPTHWISE.PAD_TMP_STRIDE) >= (field(d, DEPTHWISE.PAD_ROWS) * field(d, DEPTHWISE.IN_PITCH) + 8) * 4, 'maxpool2d with K3X3: pad.PW == IN_PITCH, PAD_TMP_STRIDE >= (PAD_ROWS x IN_PITCH + 8) x 4');
      assert((field(d, DEPTHWISE.ROWS) - 1) * field(d, DEPTHWISE.SY) + 3 <= field(pd, PAD.ROWS), 'maxpool2d with K3X3: the rows read are pad.ROWS');
      const offs: usize = <usize>field(d, DEPTHWISE.OFFS);
      for (let t = 0; t < 9; t++) assert(load<i32>(offs + <usize>(t << 2)) == load<i32>(offs + <usize>((t / 3) * 12)) + (t % 3) * 4, 'maxpool2d with K3X3: OFFS are kernel rows of 3 adjacent columns');
    } else assert(field(d, DEPTHWISE.IN) != 0, 'maxpool2d: IN set');
  }
  if (k3 != 0) {
    depthwise(d, u0, u1, tid, true);
    return;
  }
  const ow = field(d, DEPTHWISE.OW);
  const sy = field(d, DEPTHWISE.SY);
  const pitch = field(d, DEPTHWISE.IN_PITCH);
  const rows = field(d, DEPTHWISE.ROWS);
  const iplane = field(d, DEPTHWISE.IN_PLANE);
  const oplane = field(d, DEPTHWISE.OUT_PLANE);
  const opitch = field(d, DEPTHWISE.OUT_PITCH);
  const k = field(d, DEPTHWISE.K);
  const offs: usize = <usize>field(d, DEPTHWISE.OFFS);
  const oend = offs + (<usize>k << 2);
  for (let u = u0; u < u1; u++) {
    const c = u / rows;
    const r = u % rows;
    const b = <usize>field(d, DEPTHWISE.IN) + (<usize>(c * iplane + r * sy * pitch) << 2);
    const out = <usize>field(d, DEPTHWISE.OUT) + (<usize>(c * oplane + r * opitch) << 2);
    let x = 0;
    for (; x + 4 <= ow; x += 4) {
      const bx = b + (<usize>x << 2);
      let m = v128.load(bx + <usize>load<i32>(offs));
      for (let o = offs + 4; o < oend; o += 4) m = f32x4.max(m, v128.load(bx + <usize>load<i32>(o)));
      v128.store(out + (<usize>x << 2), m);
    }
    for (; x < ow; x++) {
      const bx = b + (<usize>x << 2);
      let m = load<f32>(bx + <usize>load<i32>(offs));
      for (let o = offs + 4; o < oend; o += 4) {
        // f32.max: NaN wins, as with f32x4.max.
        m = max(m, load<f32>(bx + <usize>load<i32>(o)));
      }
      store<f32>(out + (<usize>x << 2), m);
    }
  }
}
