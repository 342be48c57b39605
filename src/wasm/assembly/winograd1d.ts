// Row-wise Winograd F(4,3) for 3-wide, x-stride-1 convolutions: transforms along x only, so every output's bits depend on whole rows (band-safe).
//
// For one input row d (padded), tile t covers outputs 4t..4t+3 and inputs 4t..4t+5:
//   V = B^T d (6 values), U = G g (per filter row g, packed by src/engine/fast/pack.ts),
//   y = A^T (sum over (ic, ky) of U * V), 6 multiplies per 4 outputs instead of 12.
// B^T, G and A^T are Lavin & Gray's F(4,3) matrices (points 0, +-1, +-2, inf).
import { checkRange, field } from './descriptor';
import { activate, madd } from './igemm';
import { WINOGRAD1D_INPUT } from './layout';
import { btRow4, quadruple, storeTail } from './f43';

/** Transforms padded rows [i0, i1) (counted over all channels, as pad_f32's items) of the descriptor at d into V. */
export function winograd1d_input_f32(d: usize, i0: i32, i1: i32): void {
  if (!ASC_NO_ASSERT) {
    WINOGRAD1D_INPUT.check(d);
    checkRange(i0, i1, 'items: 0 <= i0 <= i1');
    const t = field(d, WINOGRAD1D_INPUT.T);
    assert(t > 0 && field(d, WINOGRAD1D_INPUT.TP) >= t && field(d, WINOGRAD1D_INPUT.ROWS) > 0 && field(d, WINOGRAD1D_INPUT.PW) >= 4 * t + 2, 'winograd1d_input.T, ROWS > 0, TP >= T, PW >= 4 T + 2');
    assert(field(d, WINOGRAD1D_INPUT.SRC) != 0 && field(d, WINOGRAD1D_INPUT.DST) != 0, 'winograd1d_input.SRC, DST set');
  }
  const plane = field(d, WINOGRAD1D_INPUT.SRC_PLANE);
  const pw = field(d, WINOGRAD1D_INPUT.PW);
  const rows = field(d, WINOGRAD1D_INPUT.ROWS);
  const tiles = field(d, WINOGRAD1D_INPUT.T);
  const tp = field(d, WINOGRAD1D_INPUT.TP);
  // V is [channel][xi][row][tp]: consecutive rows' tiles are contiguous, so GEMM strips can span rows.
  const vstep = <usize>(rows * tp) << 2;
  const v4 = f32x4.splat(4), m4 = f32x4.splat(-4), m5 = f32x4.splat(-5), v2 = f32x4.splat(2);
  for (let c = i0 / rows; c * rows < i1; c++) {
    const ra = max(0, i0 - c * rows);
    const rb = min(rows, i1 - c * rows);
    for (let r = ra; r < rb; r++) {
      const src: usize = <usize>field(d, WINOGRAD1D_INPUT.SRC) + (<usize>(c * plane + r * pw) << 2);
      const dst: usize = <usize>field(d, WINOGRAD1D_INPUT.DST) + (<usize>(c * 6 * rows * tp + r * tp) << 2);
      let t = 0;
      for (; t + 4 <= tiles; t += 4) {
        // Lanes beyond the row (4t + 16..19) exist: pw >= 4T + 2 and allocations carry slack; only lanes 0, 1 are used.
        btRow4(src + (<usize>t << 4), dst + (<usize>t << 2), vstep);
      }
      for (; t < tiles; t++) {
        const p = src + (<usize>t << 4);
        const d0 = v128.load32_splat(p, 0), d1 = v128.load32_splat(p, 4), d2 = v128.load32_splat(p, 8);
        const d3 = v128.load32_splat(p, 12), d4 = v128.load32_splat(p, 16), d5 = v128.load32_splat(p, 20);
        const o = dst + (<usize>t << 2);
        const x0 = f32x4.add(madd(m5, d2, f32x4.mul(v4, d0)), d4);
        const x1 = f32x4.add(madd(m4, f32x4.add(d1, d2), d3), d4);
        const x2 = f32x4.add(f32x4.sub(f32x4.mul(v4, f32x4.sub(d1, d2)), d3), d4);
        const x3 = f32x4.add(f32x4.sub(f32x4.mul(v2, f32x4.sub(d3, d1)), d2), d4);
        const x4 = f32x4.add(f32x4.sub(f32x4.mul(v2, f32x4.sub(d1, d3)), d2), d4);
        const x5 = f32x4.add(madd(m5, d3, f32x4.mul(v4, d1)), d5);
        v128.store32_lane(o, x0, 0);
        v128.store32_lane(o + vstep, x1, 0);
        v128.store32_lane(o + 2 * vstep, x2, 0);
        v128.store32_lane(o + 3 * vstep, x3, 0);
        v128.store32_lane(o + 4 * vstep, x4, 0);
        v128.store32_lane(o + 5 * vstep, x5, 0);
      }
    }
  }
}

/**
 * Output transform of one row: m holds [6][mplane floats] products summed over (ic, ky), channel c's
 * tiles at c * mchan; writes channels x ow outputs at out (channel stride plane floats), + bias, activation.
 */
export function winograd1d_output_f32(m: usize, channels: i32, mchan: i32, mplane: i32, tiles: i32, ow: i32, bias: usize, out: usize, plane: i32, act: i32, slope: f32): void {
  const xi = <usize>mplane << 2;
  const v8 = f32x4.splat(8);
  const vslope = f32x4.splat(slope);
  for (let c = 0; c < channels; c++) {
    const vb = v128.load32_splat(bias + (<usize>c << 2));
    const mc = m + (<usize>(c * mchan) << 2);
    const oc = out + (<usize>(c * plane) << 2);
    for (let t = 0; t < tiles; t += 4) {
      const p = mc + (<usize>t << 2);
      const m0 = v128.load(p), m1 = v128.load(p + xi), m2 = v128.load(p + 2 * xi);
      const m3 = v128.load(p + 3 * xi), m4 = v128.load(p + 4 * xi), m5 = v128.load(p + 5 * xi);
      const s12 = f32x4.add(m1, m2), d12 = f32x4.sub(m1, m2);
      const s34 = f32x4.add(m3, m4), d34 = f32x4.sub(m3, m4);
      const y0 = activate(f32x4.add(f32x4.add(f32x4.add(m0, s12), s34), vb), act, vslope);
      const y1 = activate(f32x4.add(f32x4.add(d12, f32x4.add(d34, d34)), vb), act, vslope);
      const y2 = activate(f32x4.add(f32x4.add(s12, quadruple(s34)), vb), act, vslope);
      const y3 = activate(f32x4.add(f32x4.add(madd(v8, d34, d12), m5), vb), act, vslope);
      // Transpose: lane i of yj is output 4(t + i) + j.
      const a0 = v128.shuffle<f32>(y0, y1, 0, 4, 1, 5);
      const a1 = v128.shuffle<f32>(y0, y1, 2, 6, 3, 7);
      const b0 = v128.shuffle<f32>(y2, y3, 0, 4, 1, 5);
      const b1 = v128.shuffle<f32>(y2, y3, 2, 6, 3, 7);
      const q0 = v128.shuffle<f32>(a0, b0, 0, 1, 4, 5);
      const q1 = v128.shuffle<f32>(a0, b0, 2, 3, 6, 7);
      const q2 = v128.shuffle<f32>(a1, b1, 0, 1, 4, 5);
      const q3 = v128.shuffle<f32>(a1, b1, 2, 3, 6, 7);
      const x = t << 2;
      const o = oc + (<usize>x << 2);
      if (x + 16 <= ow) {
        v128.store(o, q0);
        v128.store(o, q1, 16);
        v128.store(o, q2, 32);
        v128.store(o, q3, 48);
      } else {
        storeTail(o, q0, ow - x);
        storeTail(o + 16, q1, ow - x - 4);
        storeTail(o + 32, q2, ow - x - 8);
        storeTail(o + 48, q3, ow - x - 12);
      }
    }
  }
}
