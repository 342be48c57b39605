// eltwise_f32: a per-value layer over whole channel runs (batchnorm2d, an activation, an add of two maps, a copy into a concatenation).
import { checkRange, field } from './descriptor';
import { ACT, ELTWISE } from './layout';

/**
 * out = act(x * scale[c] + shift[c] (+ y)) for units [u0, u1) of the descriptor at d: unit u is floats
 * u % CHUNKS * CHUNK .. + CHUNK of channel u / CHUNKS (the last chunk of a channel may be shorter).
 * Each value is computed on its own, in this order, so any partition gives the same bits; the add of
 * y is one f32 add, as the reference's Math.fround(a + b).
 */
export function eltwise_f32(d: usize, u0: i32, u1: i32): void {
  if (!ASC_NO_ASSERT) {
    ELTWISE.check(d);
    checkRange(u0, u1, 'units: 0 <= u0 <= u1');
    const act = field(d, ELTWISE.ACT);
    assert(0 <= act && act <= 4, 'eltwise.ACT: NONE, RELU, LEAKY, RELU6 or CLAMP');
    assert(field(d, ELTWISE.X) != 0 && field(d, ELTWISE.OUT) != 0 && field(d, ELTWISE.N) > 0, 'eltwise.X, OUT set, N > 0');
    assert(field(d, ELTWISE.CHUNK) > 0 && (field(d, ELTWISE.CHUNK) & 3) == 0 && field(d, ELTWISE.CHUNKS) > 0, 'eltwise.CHUNK > 0 and a multiple of 4, CHUNKS > 0');
  }
  const n = field(d, ELTWISE.N);
  const chunk = field(d, ELTWISE.CHUNK);
  const chunks = field(d, ELTWISE.CHUNKS);
  const act = field(d, ELTWISE.ACT);
  const scale = <usize>field(d, ELTWISE.SCALE);
  const shift = <usize>field(d, ELTWISE.SHIFT);
  const y = <usize>field(d, ELTWISE.Y);
  for (let u = u0; u < u1; u++) {
    const c = u / chunks;
    const start = (u % chunks) * chunk;
    const count = min(chunk, n - start);
    const off = <usize>start << 2;
    const xp = <usize>field(d, ELTWISE.X) + (<usize>(c * field(d, ELTWISE.X_PLANE)) << 2) + off;
    const op = <usize>field(d, ELTWISE.OUT) + (<usize>(c * field(d, ELTWISE.OUT_PLANE)) << 2) + off;
    const yp = y ? y + (<usize>(c * field(d, ELTWISE.Y_PLANE)) << 2) + off : 0;
    const s = scale ? load<f32>(scale + (<usize>c << 2)) : 1;
    const t = shift ? load<f32>(shift + (<usize>c << 2)) : 0;
    run(xp, yp, op, count, scale != 0 || shift != 0, s, t, act, reinterpret<f32>(field(d, ELTWISE.SLOPE)), reinterpret<f32>(field(d, ELTWISE.LO)), reinterpret<f32>(field(d, ELTWISE.HI)));
  }
}

/** One run of n floats: the vector loop, then the tail one value at a time (the same operations in f32). */
function run(x: usize, y: usize, out: usize, n: i32, affine: bool, s: f32, t: f32, act: i32, slope: f32, lo: f32, hi: f32): void {
  const vs = f32x4.splat(s);
  const vt = f32x4.splat(t);
  const vslope = f32x4.splat(slope);
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    let v = v128.load(x + o);
    if (affine) v = f32x4.add(f32x4.mul(v, vs), vt);
    if (y) v = f32x4.add(v, v128.load(y + o));
    v128.store(out + o, activate4(v, act, vslope, vlo, vhi));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let v = load<f32>(x + o);
    if (affine) v = v * s + t;
    if (y) v = v + load<f32>(y + o);
    store<f32>(out + o, activate1(v, act, slope, lo, hi));
  }
}

@inline function activate4(v: v128, act: i32, vslope: v128, vlo: v128, vhi: v128): v128 {
  if (act == ACT.RELU) return f32x4.pmax(v, f32x4.splat(0));
  if (act == ACT.LEAKY) return v128.bitselect(v, f32x4.mul(v, vslope), f32x4.gt(v, f32x4.splat(0)));
  if (act == ACT.RELU6) return f32x4.pmin(f32x4.pmax(v, f32x4.splat(0)), f32x4.splat(6));
  // pmax(v, lo) = v < lo ? lo : v, pmin(w, hi) = hi < w ? hi : w: NaN stays NaN, as the reference's clamp.
  if (act == ACT.CLAMP) return f32x4.pmin(f32x4.pmax(v, vlo), vhi);
  return v;
}

@inline function activate1(v: f32, act: i32, slope: f32, lo: f32, hi: f32): f32 {
  if (act == ACT.RELU) return v < 0 ? 0 : v;
  if (act == ACT.LEAKY) return v > 0 ? v : v * slope;
  if (act == ACT.RELU6) return v < 0 ? 0 : v > 6 ? 6 : v;
  if (act == ACT.CLAMP) return v < lo ? lo : v > hi ? hi : v;
  return v;
}
