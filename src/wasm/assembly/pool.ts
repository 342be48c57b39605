// Pooling of a few full-width rows into one output row (a pool fused into a conv routine): max or average, padding 0, dilation 1.
import { POOL } from './layout';

/**
 * For each of `channels` planes (stride `plane` floats) holding `kh` rows of width `w` at src,
 * writes ow outputs at dst + c * dplane: window kh x kw starting at column ox * sw.
 * Rows are reduced first (row 0, 1, ... in order), then columns (left to right); avg divides
 * by `divisor` at the end. `tmp` must hold w + 16 floats.
 */
export function pool_rows_f32(kind: i32, src: usize, channels: i32, kh: i32, w: i32, plane: i32, kw: i32, sw: i32, ow: i32, dst: usize, dplane: i32, divisor: f32, tmp: usize): void {
  if (!ASC_NO_ASSERT) {
    assert(kind == POOL.MAX || kind == POOL.AVG, 'pool_rows: kind MAX or AVG');
    assert(channels >= 0 && kh > 0 && kw > 0 && sw > 0 && w >= 0 && ow >= 0 && (ow == 0 || (ow - 1) * sw + kw <= w), 'pool_rows: kh, kw, sw > 0, windows inside the rows');
    assert(src != 0 && dst != 0 && tmp != 0 && ((src | dst | tmp) & 3) == 0, 'pool_rows: src, dst, tmp set and aligned');
  }
  const isMax = kind == POOL.MAX;
  for (let c = 0; c < channels; c++) {
    const s: usize = src + (<usize>(c * plane) << 2);
    // Vertical reduction into tmp.
    let x = 0;
    for (; x + 4 <= w; x += 4) {
      const px = <usize>x << 2;
      let v = v128.load(s + px);
      for (let j = 1; j < kh; j++) {
        const u = v128.load(s + px + (<usize>(j * w) << 2));
        v = isMax ? f32x4.max(v, u) : f32x4.add(v, u);
      }
      v128.store(tmp + px, v);
    }
    for (; x < w; x++) {
      const px = <usize>x << 2;
      let v = load<f32>(s + px);
      for (let j = 1; j < kh; j++) {
        const u = load<f32>(s + px + (<usize>(j * w) << 2));
        v = isMax ? maxNaN(v, u) : v + u;
      }
      store<f32>(tmp + px, v);
    }
    // Horizontal reduction.
    const d: usize = dst + (<usize>(c * dplane) << 2);
    let o = 0;
    if (kw == 2 && sw == 2) {
      for (; o + 4 <= ow; o += 4) {
        const a = v128.load(tmp + (<usize>o << 3));
        const b = v128.load(tmp + (<usize>o << 3), 16);
        const ev = v128.shuffle<f32>(a, b, 0, 2, 4, 6);
        const od = v128.shuffle<f32>(a, b, 1, 3, 5, 7);
        let v = isMax ? f32x4.max(ev, od) : f32x4.add(ev, od);
        if (!isMax) v = f32x4.div(v, f32x4.splat(divisor));
        v128.store(d + (<usize>o << 2), v);
      }
    } else if (kw == 4 && sw == 4) {
      for (; o + 4 <= ow; o += 4) {
        const p = tmp + (<usize>o << 4);
        const a = v128.load(p), b = v128.load(p, 16), e = v128.load(p, 32), f = v128.load(p, 48);
        // Transpose so lane i of ci holds element i of output window c.
        const ab0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5);
        const ab1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
        const ef0 = v128.shuffle<f32>(e, f, 0, 4, 1, 5);
        const ef1 = v128.shuffle<f32>(e, f, 2, 6, 3, 7);
        const c0 = v128.shuffle<f32>(ab0, ef0, 0, 1, 4, 5);
        const c1 = v128.shuffle<f32>(ab0, ef0, 2, 3, 6, 7);
        const c2 = v128.shuffle<f32>(ab1, ef1, 0, 1, 4, 5);
        const c3 = v128.shuffle<f32>(ab1, ef1, 2, 3, 6, 7);
        let v: v128;
        if (isMax) v = f32x4.max(f32x4.max(f32x4.max(c0, c1), c2), c3);
        else v = f32x4.div(f32x4.add(f32x4.add(f32x4.add(c0, c1), c2), c3), f32x4.splat(divisor));
        v128.store(d + (<usize>o << 2), v);
      }
    }
    for (; o < ow; o++) {
      let p: usize = tmp + (<usize>(o * sw) << 2);
      let v = load<f32>(p);
      for (let i = 1; i < kw; i++) {
        const u = load<f32>(p + (<usize>i << 2));
        v = isMax ? maxNaN(v, u) : v + u;
      }
      if (!isMax) v = v / divisor;
      store<f32>(d + (<usize>o << 2), v);
    }
  }
}

/** max that lets NaN win, as wasm's f32x4.max and PyTorch's max pooling do. */
@inline function maxNaN(a: f32, b: f32): f32 {
  return a != a || b != b ? NaN : max(a, b);
}
