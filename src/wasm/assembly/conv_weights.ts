// conv_weights_f32: a group's conv weights into the GEMM routines' panels ([ocb][K][4]: 4 output channels per v128), as
// src/engine/fast/pack.ts's packConv lays them out (batchnorm scale folded in as its Math.fround(w * scale)). The packer
// calls it on the main thread: ResNet-50's 1x1 and strided layers hold 13 M weights.

/**
 * Output channels [0, ocg) of src (f32 [ocg][k]) into dst: channel o's weight kk at dst + 16 ((o >> 2) k + kk) + 4 (o & 3),
 * times scales[o] (f64 [ocg]; none when scales is 0) and rounded to f32; lanes of channels from ocg up to the next
 * multiple of 4 are +0.
 */
export function conv_weights_f32(src: usize, ocg: i32, k: i32, scales: usize, dst: usize): void {
  const row = <usize>k << 2;
  for (let o = 0; o < ocg; o += 4) {
    // Channels past ocg read the last channel's row, then are masked to +0.
    const r0 = src + <usize>o * row;
    const r1 = src + <usize>min(o + 1, ocg - 1) * row;
    const r2 = src + <usize>min(o + 2, ocg - 1) * row;
    const r3 = src + <usize>min(o + 3, ocg - 1) * row;
    const live = i32x4.lt_s(i32x4(o, o + 1, o + 2, o + 3), i32x4.splat(ocg));
    const fold = scales != 0;
    const s01 = fold ? f64x2(load<f64>(scales + (<usize>o << 3)), load<f64>(scales + (<usize>min(o + 1, ocg - 1) << 3))) : f64x2.splat(1);
    const s23 = fold ? f64x2(load<f64>(scales + (<usize>min(o + 2, ocg - 1) << 3)), load<f64>(scales + (<usize>min(o + 3, ocg - 1) << 3))) : f64x2.splat(1);
    const out = dst + (<usize>((o >> 2) * k) << 4);
    for (let kk = 0; kk < k; kk++) {
      const at = <usize>kk << 2;
      let v = v128.load32_lane(r3 + at, v128.load32_lane(r2 + at, v128.load32_lane(r1 + at, v128.load32_zero(r0 + at), 1), 2), 3);
      if (fold) {
        const lo = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.promote_low_f32x4(v), s01));
        const hi = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3)), s23));
        v = v128.shuffle<f32>(lo, hi, 0, 1, 4, 5);
      }
      v128.store(out + (<usize>kk << 4), v128.and(v, live));
    }
  }
}
