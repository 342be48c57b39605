// depthwise_f32: convs with one input channel per group (depthwise, channel multiplier OC), x-stride 1,
// vectorised along x (every lane useful, unlike the 4-channel GEMM tiles), either directly over the
// kh x kw taps or, for rank-1 kernels (gaussian, box, sobel, scharr ...), as two 1-D passes:
// vertical (column taps, into a per-thread row) then horizontal (row taps, + bias, activation).
// The descriptor is written by src/engine/fast/plan.ts (planDepthwise); fields are DW_* below.
import { activate, madd, storePartial } from './igemm';

export const DW_IN: i32 = 0; // byte address of local input row 0 of this group's input channel (padded input or band)
export const DW_IN_PITCH: i32 = 1; // floats per input row
export const DW_SY: i32 = 2;
export const DW_OW: i32 = 3;
export const DW_OC: i32 = 4; // output channels of this group (channel multiplier)
export const DW_K: i32 = 5; // direct: taps (kh * kw)
export const DW_OFFS: i32 = 6; // direct: i32[K] byte offsets (ky * dy * pitch + kx * dx) * 4
export const DW_W: i32 = 7; // direct: f32[OC][K]
export const DW_BIAS: i32 = 8; // f32[OC]
export const DW_OUT: i32 = 9; // byte address of local output row 0 of this group's first output channel
export const DW_OUT_PLANE: i32 = 10; // floats
export const DW_OUT_PITCH: i32 = 11; // floats
export const DW_ACT: i32 = 12;
export const DW_SLOPE: i32 = 13; // f32 bits
export const DW_SEP: i32 = 14; // 1: two 1-D passes
export const DW_KH: i32 = 15;
export const DW_VOFFS: i32 = 16; // i32[KH]: ky * dy * pitch * 4
export const DW_VW: i32 = 17; // f32[OC][KH]: column factors
export const DW_KW: i32 = 18;
export const DW_HOFFS: i32 = 19; // i32[KW]: kx * dx * 4
export const DW_HW: i32 = 20; // f32[OC][KW]: row factors (batchnorm folded in)
export const DW_TMP: i32 = 21; // per-thread row of SPAN (+ 16) floats: base
export const DW_TMP_STRIDE: i32 = 22; // bytes per thread
export const DW_SPAN: i32 = 23; // columns of the vertical pass: (OW - 1) + (KW - 1) * dx + 1
export const DW_WORDS: i32 = 24;

@inline function field(d: usize, i: i32): i32 {
  return load<i32>(d + (<usize>i << 2));
}

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

/** Local output rows [r0, r1) of every output channel of the group described at d, on thread tid. */
export function depthwise_f32(d: usize, r0: i32, r1: i32, tid: i32): void {
  const oc = field(d, DW_OC);
  const ow = field(d, DW_OW);
  const sy = field(d, DW_SY);
  const pitch = field(d, DW_IN_PITCH);
  const act = field(d, DW_ACT);
  const slope = reinterpret<f32>(field(d, DW_SLOPE));
  const inp: usize = <usize>field(d, DW_IN);
  const out: usize = <usize>field(d, DW_OUT);
  const oplane = field(d, DW_OUT_PLANE);
  const opitch = field(d, DW_OUT_PITCH);
  const bias: usize = <usize>field(d, DW_BIAS);
  if (field(d, DW_SEP) == 0) {
    const k = field(d, DW_K);
    const offs: usize = <usize>field(d, DW_OFFS);
    const w: usize = <usize>field(d, DW_W);
    for (let r = r0; r < r1; r++) {
      const b = inp + (<usize>(r * sy * pitch) << 2);
      for (let o = 0; o < oc; o++) {
        dwRow(w + (<usize>(o * k) << 2), offs, k, b, load<f32>(bias + (<usize>o << 2)), out + (<usize>(o * oplane + r * opitch) << 2), ow, act, slope);
      }
    }
    return;
  }
  const kh = field(d, DW_KH);
  const kw = field(d, DW_KW);
  const voffs: usize = <usize>field(d, DW_VOFFS);
  const hoffs: usize = <usize>field(d, DW_HOFFS);
  const vw: usize = <usize>field(d, DW_VW);
  const hw: usize = <usize>field(d, DW_HW);
  const span = field(d, DW_SPAN);
  const tmp: usize = <usize>field(d, DW_TMP) + <usize>(tid * field(d, DW_TMP_STRIDE));
  for (let r = r0; r < r1; r++) {
    // The vertical pass reads the same padded rows whatever the band or thread: rows r * sy + ky * dy.
    const b = inp + (<usize>(r * sy * pitch) << 2);
    for (let o = 0; o < oc; o++) {
      dwRow(vw + (<usize>(o * kh) << 2), voffs, kh, b, 0, tmp, span, 0, 0);
      dwRow(hw + (<usize>(o * kw) << 2), hoffs, kw, tmp, load<f32>(bias + (<usize>o << 2)), out + (<usize>(o * oplane + r * opitch) << 2), ow, act, slope);
    }
  }
}
