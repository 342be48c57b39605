// Pillow's two resampling passes on 8-bit pixels (src/io/resample.ts is the reference): the same fixed-point
// weights, int32 sums that wrap as Pillow's do (i32x4.mul and add wrap like Math.imul and | 0), the same shift
// and clip. Called on a decoding thread's own instance (src/io/resample-simd.ts), not by the engine.

/** Fixed-point one half (22 fractional bits): every sum starts there. */
const HALF: i32 = 1 << 21;

/**
 * The horizontal pass on pixels of 3 or 4 channels, a pixel's channels one vector: `rows` rows of `src`
 * (`pitch` bytes apart) into `outWidth` pixels a row at dst (packed rows). Output pixel o sums count[o]
 * input pixels from first[o] with weights[o * taps ..] (i32 arrays). Reads one byte past a 3-channel
 * pixel (the caller's slack).
 */
export function resample_rows_u8(src: usize, pitch: i32, rows: i32, ch: i32, first: usize, count: usize, weights: usize, taps: i32, outWidth: i32, dst: usize): void {
  for (let y = 0; y < rows; y++) {
    const row = src + <usize>(y * pitch);
    let q = dst + <usize>(y * outWidth * ch);
    for (let o = 0; o < outWidth; o++) {
      const n = load<i32>(count + (<usize>o << 2));
      let p = row + <usize>(load<i32>(first + (<usize>o << 2)) * ch);
      let w = weights + (<usize>(o * taps) << 2);
      let acc = i32x4.splat(HALF);
      for (let i = 0; i < n; i++) {
        const px = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(p)));
        acc = i32x4.add(acc, i32x4.mul(px, v128.load32_splat(w)));
        p += <usize>ch;
        w += 4;
      }
      const bytes = clip8x4(acc, acc, acc, acc);
      if (ch == 4) v128.store32_lane(q, bytes, 0);
      else {
        v128.store16_lane(q, bytes, 0);
        v128.store8_lane(q, bytes, 2, 2);
      }
      q += <usize>ch;
    }
  }
}

/**
 * The vertical pass: `rowBytes` bytes of each output row (a multiple of 16, the caller's padding) from
 * rows `pitch` bytes apart at src; output row o sums count[o] rows from first[o] (counted from src's
 * row 0) with weights[o * taps ..]. Output rows are `rowBytes` apart at dst.
 */
export function resample_cols_u8(src: usize, pitch: i32, rowBytes: i32, outRows: i32, first: usize, count: usize, weights: usize, taps: i32, dst: usize): void {
  for (let o = 0; o < outRows; o++) {
    const n = load<i32>(count + (<usize>o << 2));
    const top = src + <usize>(load<i32>(first + (<usize>o << 2)) * pitch);
    const w = weights + (<usize>(o * taps) << 2);
    const q = dst + <usize>(o * rowBytes);
    for (let x = 0; x < rowBytes; x += 16) {
      let a0 = i32x4.splat(HALF), a1 = a0, a2 = a0, a3 = a0;
      let p = top + <usize>x;
      for (let i = 0; i < n; i++) {
        const k = v128.load32_splat(w + (<usize>i << 2));
        const b = v128.load(p);
        const lo = i16x8.extend_low_i8x16_u(b);
        const hi = i16x8.extend_high_i8x16_u(b);
        a0 = i32x4.add(a0, i32x4.mul(i32x4.extend_low_i16x8_u(lo), k));
        a1 = i32x4.add(a1, i32x4.mul(i32x4.extend_high_i16x8_u(lo), k));
        a2 = i32x4.add(a2, i32x4.mul(i32x4.extend_low_i16x8_u(hi), k));
        a3 = i32x4.add(a3, i32x4.mul(i32x4.extend_high_i16x8_u(hi), k));
        p += <usize>pitch;
      }
      v128.store(q + <usize>x, clip8x4(a0, a1, a2, a3));
    }
  }
}

/** Sums >> 22, clipped to 0..255, as 16 bytes (a0's lanes first). */
// @ts-ignore: decorator
@inline function clip8x4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const lo = i16x8.narrow_i32x4_s(clip(a0), clip(a1));
  const hi = i16x8.narrow_i32x4_s(clip(a2), clip(a3));
  return i8x16.narrow_i16x8_u(lo, hi);
}

// @ts-ignore: decorator
@inline function clip(a: v128): v128 {
  return i32x4.min_s(i32x4.max_s(i32x4.shr_s(a, 22), i32x4.splat(0)), i32x4.splat(255));
}
