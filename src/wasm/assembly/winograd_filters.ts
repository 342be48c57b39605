// winograd_filters_f32: U = G g G^T of 3x3 filters for the 2-D Winograd routines' packed weights, computed as
// src/engine/fast/pack.ts's winogradFilter computes it (float64, the same products and sums in the same order, each
// lane a filter of its own), rounded once to f32 and stored where the routine reads it. The packer calls it on the
// main thread: a VGG16 has 1.6 M filters, which take about 3.5x as long in JavaScript.

/** Type tags: F(4,3)'s G (6 x 3, tiles of 4) and F(6,3)'s (8 x 3, tiles of 6), as pack.ts's G43 and G63. */
class F43 {}
class F63 {}

/** a x0 + b x1 + c x2 in float64 lanes, summed left to right as pack.ts's `a * f0 + b * f3 + c * f6`. */
// @ts-ignore: decorator
@inline function dot(a: f64, b: f64, c: f64, x0: v128, x1: v128, x2: v128): v128 {
  return f64x2.add(f64x2.add(f64x2.mul(f64x2.splat(a), x0), f64x2.mul(f64x2.splat(b), x1)), f64x2.mul(f64x2.splat(c), x2));
}

/** G (x0, x1, x2): row r stored at o + r * step. */
// @ts-ignore: decorator
@inline function applyG<T>(x0: v128, x1: v128, x2: v128, o: usize, step: usize): void {
  if (idof<T>() == idof<F63>()) {
    v128.store(o, dot(1, 0, 0, x0, x1, x2));
    v128.store(o + step, dot(-2.0 / 9, -2.0 / 9, -2.0 / 9, x0, x1, x2));
    v128.store(o + 2 * step, dot(-2.0 / 9, 2.0 / 9, -2.0 / 9, x0, x1, x2));
    v128.store(o + 3 * step, dot(1.0 / 90, 1.0 / 45, 2.0 / 45, x0, x1, x2));
    v128.store(o + 4 * step, dot(1.0 / 90, -1.0 / 45, 2.0 / 45, x0, x1, x2));
    v128.store(o + 5 * step, dot(32.0 / 45, 16.0 / 45, 8.0 / 45, x0, x1, x2));
    v128.store(o + 6 * step, dot(32.0 / 45, -16.0 / 45, 8.0 / 45, x0, x1, x2));
    v128.store(o + 7 * step, dot(0, 0, 1, x0, x1, x2));
  } else {
    v128.store(o, dot(1.0 / 4, 0, 0, x0, x1, x2));
    v128.store(o + step, dot(-1.0 / 6, -1.0 / 6, -1.0 / 6, x0, x1, x2));
    v128.store(o + 2 * step, dot(-1.0 / 6, 1.0 / 6, -1.0 / 6, x0, x1, x2));
    v128.store(o + 3 * step, dot(1.0 / 24, 1.0 / 12, 1.0 / 6, x0, x1, x2));
    v128.store(o + 4 * step, dot(1.0 / 24, -1.0 / 12, 1.0 / 6, x0, x1, x2));
    v128.store(o + 5 * step, dot(0, 0, 1, x0, x1, x2));
  }
}

/**
 * Tap t of filters a and b (f32 [9] each) as float64 lanes 0 and 1; with `fold`, times their output
 * channels' batchnorm scales `scale` (lanes 0 and 1) and rounded to f32, as pack.ts's Math.fround(w * scale).
 */
// @ts-ignore: decorator
@inline function taps(a: usize, b: usize, t: usize, fold: bool, scale: v128): v128 {
  const x = f64x2.promote_low_f32x4(v128.load32_lane(b + (t << 2), v128.load32_zero(a + (t << 2)), 1));
  return fold ? f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(f64x2.mul(x, scale))) : x;
}

/**
 * U of filters a and b (f32 [9] each; with `fold`, times `scale` as in taps) as float64 lanes 0 and 1:
 * point xi = n i + j at u + 16 xi; gf: scratch for G g (16 x 3n bytes).
 */
// @ts-ignore: decorator
@inline function transform2<T>(a: usize, b: usize, fold: bool, scale: v128, gf: usize, u: usize): void {
  // G g, column by column: column c of g is taps (c, c + 3, c + 6); (G g)[i][c] at gf + 16 (3 i + c).
  applyG<T>(taps(a, b, 0, fold, scale), taps(a, b, 3, fold, scale), taps(a, b, 6, fold, scale), gf, 48);
  applyG<T>(taps(a, b, 1, fold, scale), taps(a, b, 4, fold, scale), taps(a, b, 7, fold, scale), gf + 16, 48);
  applyG<T>(taps(a, b, 2, fold, scale), taps(a, b, 5, fold, scale), taps(a, b, 8, fold, scale), gf + 32, 48);
  // U = (G g) G^T, row by row: row i is G applied to (G g)'s row i.
  const n: i32 = idof<T>() == idof<F63>() ? 8 : 6;
  for (let i = 0; i < n; i++) {
    const r = gf + <usize>(48 * i);
    applyG<T>(v128.load(r), v128.load(r, 16), v128.load(r, 32), u + <usize>(16 * n * i), 16);
  }
}

/**
 * The `ocg x icg` filters at src (f32 [ocg][icg][9]) of one group, output channel o's times its batchnorm
 * scale scales[o] (f64 [ocg]; none when scales is 0) and rounded to f32 first, tiles of `tile`
 * (4 or 6, n = tile + 2), into the 2-D Winograd routines' panels: [ocb][ic][4] per point xi = n i + j,
 * `panel` floats apart, every float written (zeros for channels from ocg up to the next multiple of 4).
 * tmp: 16 (3 n + 2 n^2 + 3) bytes of scratch.
 */
export function winograd_filters_f32(src: usize, ocg: i32, icg: i32, scales: usize, tile: i32, dst: usize, panel: i32, tmp: usize): void {
  if (tile == 6) panels<F63>(src, ocg, icg, scales, dst, panel, tmp);
  else panels<F43>(src, ocg, icg, scales, dst, panel, tmp);
}

/** Output channels a and b's batchnorm scales as float64 lanes 0 and 1 (ones without scales). */
// @ts-ignore: decorator
@inline function scalePair(scales: usize, a: i32, b: i32): v128 {
  if (scales == 0) return f64x2.splat(1);
  return f64x2.replace_lane(f64x2.splat(load<f64>(scales + (<usize>a << 3))), 1, load<f64>(scales + (<usize>b << 3)));
}

/** winograd2d's panels: the 4 channels of a block at one input channel are one v128 of each point's panel. */
function panels<T>(src: usize, ocg: i32, icg: i32, scales: usize, dst: usize, panel: i32, tmp: usize): void {
  const n: i32 = idof<T>() == idof<F63>() ? 8 : 6;
  const points = n * n;
  const ua = tmp + <usize>(48 * n);
  const ub = ua + <usize>(16 * points);
  const zero = ub + <usize>(16 * points); // the taps of a channel past ocg
  v128.store(zero, v128.splat<i32>(0));
  v128.store(zero, v128.splat<i32>(0), 16);
  v128.store(zero, v128.splat<i32>(0), 32);
  const stride = <usize>panel << 2;
  const fold = scales != 0;
  for (let o = 0; o < ocg; o += 4) {
    // Channels past ocg read zero taps (their transform is not all +0: -1/6 x +0 is -0), then are masked to +0,
    // the zeros the JavaScript packer leaves there.
    const sa = scalePair(scales, o, min(o + 1, ocg - 1));
    const sb = scalePair(scales, min(o + 2, ocg - 1), min(o + 3, ocg - 1));
    const live = i32x4.lt_s(i32x4(o, o + 1, o + 2, o + 3), i32x4.splat(ocg));
    for (let ic = 0; ic < icg; ic++) {
      const f = src + <usize>((o * icg + ic) * 36);
      const k = <usize>(icg * 36);
      transform2<T>(f, o + 1 < ocg ? f + k : zero, fold, sa, tmp, ua);
      transform2<T>(o + 2 < ocg ? f + 2 * k : zero, o + 3 < ocg ? f + 3 * k : zero, fold, sb, tmp, ub);
      const at = dst + (<usize>((o >> 2) * icg + ic) << 4);
      for (let xi = 0; xi < points; xi++) {
        const a = f32x4.demote_f64x2_zero(v128.load(ua + (<usize>xi << 4)));
        const b = f32x4.demote_f64x2_zero(v128.load(ub + (<usize>xi << 4)));
        v128.store(at + <usize>xi * stride, v128.and(v128.shuffle<f32>(a, b, 0, 1, 4, 5), live));
      }
    }
  }
}
