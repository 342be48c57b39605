// F(6,3) input and output transforms (points 0, +-1, +-2, +-1/2, inf), and stores of 6x6 output tiles (as rows, or 2x2
// pooled), for the 2-D Winograd routine on wide maps (winograd2d_wide in winograd2d.ts).
import { POOL } from './layout';
import { biasAct, pool4, storeTail } from './f43';
import { madd } from './igemm';

/** B^T of one axis: (d0..d7) -> 8 values stored at o, o + step, ... (rows and columns alike). */
@inline export function bt8(o: usize, step: usize, d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, d6: v128, d7: v128): void {
  const k525 = f32x4.splat(5.25), m425 = f32x4.splat(-4.25), m125 = f32x4.splat(-1.25), m25 = f32x4.splat(-2.5);
  const half = f32x4.splat(0.5), quarter = f32x4.splat(0.25), four = f32x4.splat(4), m5 = f32x4.splat(-5);
  v128.store(o, madd(k525, f32x4.sub(d4, d2), f32x4.sub(d0, d6)));
  v128.store(o + 7 * step, madd(k525, f32x4.sub(d3, d5), f32x4.sub(d7, d1)));
  let a = madd(m425, d4, f32x4.add(d2, d6));
  let b = madd(m425, d3, f32x4.add(d1, d5));
  v128.store(o + step, f32x4.add(a, b));
  v128.store(o + 2 * step, f32x4.sub(a, b));
  a = madd(m125, d4, madd(quarter, d2, d6));
  b = f32x4.add(madd(m25, d3, f32x4.mul(half, d1)), f32x4.add(d5, d5));
  v128.store(o + 3 * step, f32x4.add(a, b));
  v128.store(o + 4 * step, f32x4.sub(a, b));
  a = madd(m5, d4, madd(four, d2, d6));
  b = madd(half, d5, madd(m25, d3, f32x4.add(d1, d1)));
  v128.store(o + 5 * step, f32x4.add(a, b));
  v128.store(o + 6 * step, f32x4.sub(a, b));
}

/**
 * B^T along x of 4 consecutive tiles of one row starting at p (tile i reads p[6i .. 6i + 7]): the 8
 * transformed values, lane i = tile i, stored at o, o + step, ... Reads p[0 .. 25].
 */
@inline export function btRow4x6(p: usize, o: usize, step: usize): void {
  const r0 = v128.load(p), r1 = v128.load(p, 24), r2 = v128.load(p, 48), r3 = v128.load(p, 72);
  const s0 = v128.load(p, 16), s1 = v128.load(p, 40), s2 = v128.load(p, 64), s3 = v128.load(p, 88);
  const a0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), a1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const a2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), a3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  const b0 = v128.shuffle<f32>(s0, s1, 0, 4, 1, 5), b1 = v128.shuffle<f32>(s0, s1, 2, 6, 3, 7);
  const b2 = v128.shuffle<f32>(s2, s3, 0, 4, 1, 5), b3 = v128.shuffle<f32>(s2, s3, 2, 6, 3, 7);
  bt8(o, step,
    v128.shuffle<f32>(a0, a2, 0, 1, 4, 5), v128.shuffle<f32>(a0, a2, 2, 3, 6, 7), v128.shuffle<f32>(a1, a3, 0, 1, 4, 5), v128.shuffle<f32>(a1, a3, 2, 3, 6, 7),
    v128.shuffle<f32>(b0, b2, 0, 1, 4, 5), v128.shuffle<f32>(b0, b2, 2, 3, 6, 7), v128.shuffle<f32>(b1, b3, 0, 1, 4, 5), v128.shuffle<f32>(b1, b3, 2, 3, 6, 7));
}

/** A^T along one axis: (m0..m7) -> 6 values through biasAct<F> (f43.ts), stored at o, o + step, ... */
@inline export function at8<F>(o: usize, step: usize, vb: v128, vslope: v128, m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, m6: v128, m7: v128): void {
  const s12 = f32x4.add(m1, m2), d12 = f32x4.sub(m1, m2);
  const s34 = f32x4.add(m3, m4), d34 = f32x4.sub(m3, m4);
  const s56 = f32x4.add(m5, m6), d56 = f32x4.sub(m5, m6);
  v128.store(o, biasAct<F>(f32x4.add(f32x4.add(m0, s12), f32x4.add(s34, s56)), vb, vslope));
  v128.store(o + step, biasAct<F>(madd(f32x4.splat(0.5), d56, f32x4.add(d12, f32x4.add(d34, d34))), vb, vslope));
  v128.store(o + 2 * step, biasAct<F>(madd(f32x4.splat(0.25), s56, madd(f32x4.splat(4), s34, s12)), vb, vslope));
  v128.store(o + 3 * step, biasAct<F>(madd(f32x4.splat(0.125), d56, madd(f32x4.splat(8), d34, d12)), vb, vslope));
  v128.store(o + 4 * step, biasAct<F>(madd(f32x4.splat(0.0625), s56, madd(f32x4.splat(16), s34, s12)), vb, vslope));
  v128.store(o + 5 * step, biasAct<F>(f32x4.add(madd(f32x4.splat(0.03125), d56, madd(f32x4.splat(32), d34, d12)), m7), vb, vslope));
}

/** y [6 rows][6 cols] (lane i = tile i) as 6 rows of 24 pixels from column x0: clipped to rows [0, limit) and columns < ow. */
export function storeTileRows6(y: usize, out: usize, pitch: i32, first: i32, limit: i32, x0: i32, ow: i32): void {
  for (let ry = 0; ry < 6; ry++) {
    const row = first + ry;
    if (row < 0 || row >= limit) continue;
    const a = y + <usize>ry * 96;
    const o = out + (<usize>(row * pitch + x0) << 2);
    const c0 = v128.load(a), c1 = v128.load(a, 16), c2 = v128.load(a, 32), c3 = v128.load(a, 48), c4 = v128.load(a, 64), c5 = v128.load(a, 80);
    // Columns 0..3 of each tile (a 4x4 transpose), then columns 4 and 5 paired per tile.
    const e0 = v128.shuffle<f32>(c0, c1, 0, 4, 1, 5), e1 = v128.shuffle<f32>(c0, c1, 2, 6, 3, 7);
    const e2 = v128.shuffle<f32>(c2, c3, 0, 4, 1, 5), e3 = v128.shuffle<f32>(c2, c3, 2, 6, 3, 7);
    const t0 = v128.shuffle<f32>(e0, e2, 0, 1, 4, 5), t1 = v128.shuffle<f32>(e0, e2, 2, 3, 6, 7);
    const t2 = v128.shuffle<f32>(e1, e3, 0, 1, 4, 5), t3 = v128.shuffle<f32>(e1, e3, 2, 3, 6, 7);
    const u = v128.shuffle<f32>(c4, c5, 0, 4, 1, 5), v = v128.shuffle<f32>(c4, c5, 2, 6, 3, 7);
    storeTail(o, t0, ow - x0);
    storeTail(o + 16, v128.shuffle<f32>(u, t1, 0, 1, 4, 5), ow - x0 - 4);
    storeTail(o + 32, v128.shuffle<f32>(t1, u, 2, 3, 6, 7), ow - x0 - 8);
    storeTail(o + 48, t2, ow - x0 - 12);
    storeTail(o + 64, v128.shuffle<f32>(v, t3, 0, 1, 4, 5), ow - x0 - 16);
    storeTail(o + 80, v128.shuffle<f32>(t3, v, 2, 3, 6, 7), ow - x0 - 20);
  }
}

/** 2x2 pooling of y [6][6]: 3 pooled rows of 3 pooled columns per tile, 12 contiguous pooled pixels per row from column x. */
export function storePooled2x6(y: usize, kind: i32, vdiv: v128, out: usize, first: i32, rows: i32, pitch: i32, x: i32, ow: i32): void {
  for (let a = 0; a < 3; a++) {
    const row = first + a;
    if (row < 0 || row >= rows) continue;
    const s = y + <usize>(2 * a) * 96;
    let p0 = pool4(kind, v128.load(s), v128.load(s, 96), v128.load(s, 16), v128.load(s, 112));
    let p1 = pool4(kind, v128.load(s, 32), v128.load(s, 128), v128.load(s, 48), v128.load(s, 144));
    let p2 = pool4(kind, v128.load(s, 64), v128.load(s, 160), v128.load(s, 80), v128.load(s, 176));
    if (kind == POOL.AVG) {
      p0 = f32x4.div(p0, vdiv);
      p1 = f32x4.div(p1, vdiv);
      p2 = f32x4.div(p2, vdiv);
    }
    // Pooled pixel f of the row: tile f / 3, pooled column f % 3.
    const e = v128.shuffle<f32>(p0, p1, 0, 4, 1, 5);
    const f = v128.shuffle<f32>(p0, p1, 2, 6, 3, 7);
    const o = out + (<usize>(row * pitch + x) << 2);
    storeTail(o, v128.shuffle<f32>(e, p2, 0, 1, 4, 2), ow - x);
    storeTail(o + 16, v128.shuffle<f32>(v128.shuffle<f32>(e, p2, 3, 5, 3, 5), f, 0, 1, 4, 5), ow - x - 4);
    storeTail(o + 32, v128.shuffle<f32>(p2, f, 2, 6, 7, 3), ow - x - 8);
  }
}
