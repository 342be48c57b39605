// 2-D Winograd F(4x4,3x3) for 3x3 stride-1 convs with few input channels (1..7 per group).
//
// With so few channels there is no GEMM worth the name: for 4 tiles at a time the input transform of
// every channel stays in L1 scratch, and each output channel's 36 products are summed over the
// channels in order and fed straight into the output transform (A^T along x, then y), + bias,
// activation: 36 C multiplies per 16 outputs instead of 144 C. (Not for 5x5 banks: F(2x2,5x5) on the
// same 6x6 tiles gives 4 outputs per 36 products, more work than the direct routine.)
// Tiles are anchored at output row 0 of the full map (outputRowTile in src/engine/tiles.ts), so an
// output's bits depend only on its tile: bands and thread splits give identical bytes.
import { copyFloats } from './copy';
import { checkCodes, checkRange, checkTid, field } from './descriptor';
import { actOf, Leaky, madd, NoAct, Relu, Relu6 } from './igemm';
import { ACT, POOL, WINOGRAD2D_SMALL } from './layout';
import { at, bt, btRow4, NoBias, storePooled2, storePooled4, storeTileRows, tilePoolKind } from './f43';
import { pool_rows_f32 } from './pool';

/** Units [u0, u1) (relative to the descriptor's unit 0) on thread tid. */
export function winograd2d_small_f32(d: usize, u0: i32, u1: i32, tid: i32): void {
  if (!ASC_NO_ASSERT) {
    WINOGRAD2D_SMALL.check(d);
    checkRange(u0, u1, 'units: 0 <= u0 <= u1');
    checkTid(tid);
    const pool = field(d, WINOGRAD2D_SMALL.POOL);
    checkCodes(field(d, WINOGRAD2D_SMALL.ACT), pool);
    const s = field(d, WINOGRAD2D_SMALL.S);
    assert(s == 4 && field(d, WINOGRAD2D_SMALL.UNIT) % s == 0 && field(d, WINOGRAD2D_SMALL.UNIT) > 0, 'winograd2d_small.S == 4, UNIT a positive multiple of S');
    assert(field(d, WINOGRAD2D_SMALL.C) > 0 && field(d, WINOGRAD2D_SMALL.OC) > 0 && field(d, WINOGRAD2D_SMALL.TQ) > 0 && field(d, WINOGRAD2D_SMALL.OW) > 0, 'winograd2d_small.C, OC, TQ, OW > 0');
    assert(field(d, WINOGRAD2D_SMALL.IN) != 0 && field(d, WINOGRAD2D_SMALL.W) != 0 && field(d, WINOGRAD2D_SMALL.BIAS) != 0 && field(d, WINOGRAD2D_SMALL.OUT) != 0 && field(d, WINOGRAD2D_SMALL.SCRATCH) != 0, 'winograd2d_small.IN, W, BIAS, OUT, SCRATCH set');
    if (pool != POOL.NONE) assert(field(d, WINOGRAD2D_SMALL.PKH) > 0 && field(d, WINOGRAD2D_SMALL.PKW) > 0 && field(d, WINOGRAD2D_SMALL.POOL_OW) > 0, 'winograd2d_small.PKH, PKW, POOL_OW > 0');
  }
  const s = field(d, WINOGRAD2D_SMALL.S);
  const unit = field(d, WINOGRAD2D_SMALL.UNIT);
  const c = field(d, WINOGRAD2D_SMALL.C);
  const oc = field(d, WINOGRAD2D_SMALL.OC);
  const ow = field(d, WINOGRAD2D_SMALL.OW);
  const pool = field(d, WINOGRAD2D_SMALL.POOL);
  const scratch: usize = <usize>field(d, WINOGRAD2D_SMALL.SCRATCH) + <usize>(tid * field(d, WINOGRAD2D_SMALL.SCRATCH_STRIDE));
  const v = scratch + 2048;
  const rowsBuf = v + <usize>(c * 36 * 16);
  const plane = unit * ow + 16;
  const pk = field(d, WINOGRAD2D_SMALL.PKH);
  const bpitch = field(d, WINOGRAD2D_SMALL.BUF_PITCH);
  if (bpitch != 0) {
    // Units are single tile rows. Square 2x2 / 4x4 windows lie inside a tile and are pooled as it is
    // stored. The tile row's rows of every output channel go to a row buffer, then out one channel at
    // a time: stored straight to the band, the 32 or 64 channels' rows, planes a multiple of 4 KiB
    // apart at 512x512 or 224x224, all fall in one L1 set and evict each other.
    const tilePool = pool == 0 ? 0 : pk;
    const per = pool == 0 ? s : s / pk;
    const width = pool == 0 ? ow : field(d, WINOGRAD2D_SMALL.POOL_OW);
    const rows = field(d, WINOGRAD2D_SMALL.ROWS);
    const out: usize = <usize>field(d, WINOGRAD2D_SMALL.OUT);
    const outPlane = field(d, WINOGRAD2D_SMALL.OUT_PLANE);
    const outPitch = field(d, WINOGRAD2D_SMALL.OUT_PITCH);
    for (let u = u0; u < u1; u++) {
      const first = field(d, WINOGRAD2D_SMALL.ROW0) + u * per;
      if (first + per <= 0 || first >= rows) continue;
      tileRowAct(d, u, v, scratch, rowsBuf, per * bpitch, bpitch, 0, per, tilePool);
      for (let o = 0; o < oc; o++) {
        for (let j = max(0, -first); j < min(per, rows - first); j++) {
          copyFloats(out + (<usize>(o * outPlane + (first + j) * outPitch) << 2), rowsBuf + (<usize>((o * per + j) * bpitch) << 2), width);
        }
      }
    }
    return;
  }
  // Other pools (kernel = stride, a multiple of the tile): a unit's conv rows into the row buffer, then pooled out.
  const rows = field(d, WINOGRAD2D_SMALL.ROWS);
  for (let u = u0; u < u1; u++) {
    for (let tr = 0; tr < unit / s; tr++) tileRowAct(d, u * (unit / s) + tr, v, scratch, rowsBuf, plane, ow, tr * s, unit, 0);
    const py0 = field(d, WINOGRAD2D_SMALL.ROW0) + u * (unit / pk);
    for (let j = 0; j < unit / pk; j++) {
      const py = py0 + j;
      if (py < 0 || py >= rows) continue;
      pool_rows_f32(pool, rowsBuf + (<usize>(j * pk * ow) << 2), oc, pk, ow, plane, field(d, WINOGRAD2D_SMALL.PKW), field(d, WINOGRAD2D_SMALL.PKW), field(d, WINOGRAD2D_SMALL.POOL_OW),
        <usize>field(d, WINOGRAD2D_SMALL.OUT) + (<usize>(py * field(d, WINOGRAD2D_SMALL.OUT_PITCH)) << 2), field(d, WINOGRAD2D_SMALL.OUT_PLANE), reinterpret<f32>(field(d, WINOGRAD2D_SMALL.POOL_DIV)), rowsBuf + (<usize>(oc * plane) << 2));
    }
  }
}

/** tileRow for the descriptor's activation. */
function tileRowAct(d: usize, t: i32, v: usize, scratch: usize, out: usize, outPlane: i32, outPitch: i32, first: i32, limit: i32, pk: i32): void {
  const act = field(d, WINOGRAD2D_SMALL.ACT);
  if (act == ACT.RELU) tileRow<Relu>(d, t, v, scratch, out, outPlane, outPitch, first, limit, pk);
  else if (act == ACT.LEAKY) tileRow<Leaky>(d, t, v, scratch, out, outPlane, outPitch, first, limit, pk);
  else if (act == ACT.RELU6) tileRow<Relu6>(d, t, v, scratch, out, outPlane, outPitch, first, limit, pk);
  else tileRow<NoAct>(d, t, v, scratch, out, outPlane, outPitch, first, limit, pk);
}

/**
 * Tile row t: for each group of 4 tiles, V of every channel into v ([C][36], lane i = tile i), then
 * per output channel the products summed over channels, the output transform, bias and activation A
 * (one instance per activation, so it is not tested per value; see igemm.ts), stored as rows first..
 * of out (only rows in [0, limit) and columns < OW), or with pk = 2 / 4 pooled (POOL's kind) into
 * pooled rows first.. (columns < POOL_OW).
 */
function tileRow<A>(d: usize, t: i32, v: usize, scratch: usize, out: usize, outPlane: i32, outPitch: i32, first: i32, limit: i32, pk: i32): void {
  const s = field(d, WINOGRAD2D_SMALL.S);
  const c = field(d, WINOGRAD2D_SMALL.C);
  const oc = field(d, WINOGRAD2D_SMALL.OC);
  const ow = field(d, WINOGRAD2D_SMALL.OW);
  const pitch = field(d, WINOGRAD2D_SMALL.IN_PITCH);
  const inPlane = field(d, WINOGRAD2D_SMALL.IN_PLANE);
  const tq = field(d, WINOGRAD2D_SMALL.TQ);
  const w: usize = <usize>field(d, WINOGRAD2D_SMALL.W);
  const bias: usize = <usize>field(d, WINOGRAD2D_SMALL.BIAS);
  const act = actOf<A>();
  const vslope = f32x4.splat(reinterpret<f32>(field(d, WINOGRAD2D_SMALL.SLOPE)));
  const vdiv = f32x4.splat(reinterpret<f32>(field(d, WINOGRAD2D_SMALL.POOL_DIV)));
  const kind = tilePoolKind(field(d, WINOGRAD2D_SMALL.POOL), act);
  const src: usize = <usize>field(d, WINOGRAD2D_SMALL.IN) + (<usize>(t * s * pitch) << 2);
  const rowT = scratch; // two channels' [6][4] A^T along x (768 bytes)
  const y = scratch + 1024; // [4][4] outputs
  for (let q = 0; q < tq; q++) {
    const x0 = q * 4 * s;
    for (let ch = 0; ch < c; ch++) {
      const p = src + (<usize>(ch * inPlane + x0) << 2);
      for (let r = 0; r < 6; r++) btRow4(p + (<usize>(r * pitch) << 2), rowT + <usize>r * 96, 16);
      const vc = v + <usize>(ch * 36 * 16);
      for (let x = 0; x < 6; x++) {
        const a = rowT + (<usize>x << 4);
        bt(vc + (<usize>x << 4), 96, v128.load(a), v128.load(a, 96), v128.load(a, 192), v128.load(a, 288), v128.load(a, 384), v128.load(a, 480));
      }
    }
    // Output channels two at a time: each V load serves both channels' products (loads, not multiplies,
    // bound this loop); a lone last channel pairs with itself. Each channel's sums keep their order.
    // A transform row's points go in two halves, 0..2 then 3..5: one half's six accumulators and its
    // loads fit the registers, where all twelve would spill in every step.
    for (let o = 0; o < oc; o += 2) {
      const o1 = min(o + 1, oc - 1);
      const ua = w + <usize>(o * c * 36 * 4);
      const ub = w + <usize>(o1 * c * 36 * 4);
      const vba = v128.load32_splat(bias + (<usize>o << 2));
      const vbb = v128.load32_splat(bias + (<usize>o1 << 2));
      for (let i = 0; i < 6; i++) {
        const ui = <usize>(i * 24);
        const vi = v + <usize>(i * 96);
        let vv = v128.load(vi);
        let a0 = f32x4.mul(v128.load32_splat(ua + ui), vv);
        let b0 = f32x4.mul(v128.load32_splat(ub + ui), vv);
        vv = v128.load(vi, 16);
        let a1 = f32x4.mul(v128.load32_splat(ua + ui, 4), vv);
        let b1 = f32x4.mul(v128.load32_splat(ub + ui, 4), vv);
        vv = v128.load(vi, 32);
        let a2 = f32x4.mul(v128.load32_splat(ua + ui, 8), vv);
        let b2 = f32x4.mul(v128.load32_splat(ub + ui, 8), vv);
        for (let ch = 1; ch < c; ch++) {
          const uc = <usize>(ch * 144) + ui;
          const vc = v + <usize>(ch * 576 + i * 96);
          vv = v128.load(vc);
          a0 = madd(v128.load32_splat(ua + uc), vv, a0);
          b0 = madd(v128.load32_splat(ub + uc), vv, b0);
          vv = v128.load(vc, 16);
          a1 = madd(v128.load32_splat(ua + uc, 4), vv, a1);
          b1 = madd(v128.load32_splat(ub + uc, 4), vv, b1);
          vv = v128.load(vc, 32);
          a2 = madd(v128.load32_splat(ua + uc, 8), vv, a2);
          b2 = madd(v128.load32_splat(ub + uc, 8), vv, b2);
        }
        vv = v128.load(vi, 48);
        let a3 = f32x4.mul(v128.load32_splat(ua + ui, 12), vv);
        let b3 = f32x4.mul(v128.load32_splat(ub + ui, 12), vv);
        vv = v128.load(vi, 64);
        let a4 = f32x4.mul(v128.load32_splat(ua + ui, 16), vv);
        let b4 = f32x4.mul(v128.load32_splat(ub + ui, 16), vv);
        vv = v128.load(vi, 80);
        let a5 = f32x4.mul(v128.load32_splat(ua + ui, 20), vv);
        let b5 = f32x4.mul(v128.load32_splat(ub + ui, 20), vv);
        for (let ch = 1; ch < c; ch++) {
          const uc = <usize>(ch * 144) + ui;
          const vc = v + <usize>(ch * 576 + i * 96);
          vv = v128.load(vc, 48);
          a3 = madd(v128.load32_splat(ua + uc, 12), vv, a3);
          b3 = madd(v128.load32_splat(ub + uc, 12), vv, b3);
          vv = v128.load(vc, 64);
          a4 = madd(v128.load32_splat(ua + uc, 16), vv, a4);
          b4 = madd(v128.load32_splat(ub + uc, 16), vv, b4);
          vv = v128.load(vc, 80);
          a5 = madd(v128.load32_splat(ua + uc, 20), vv, a5);
          b5 = madd(v128.load32_splat(ub + uc, 20), vv, b5);
        }
        at<NoBias>(rowT + <usize>i * 64, 16, vba, vslope, a0, a1, a2, a3, a4, a5);
        at<NoBias>(rowT + 384 + <usize>i * 64, 16, vbb, vslope, b0, b1, b2, b3, b4, b5);
      }
      for (let k = 0; k < (o1 > o ? 2 : 1); k++) {
        const m = rowT + <usize>(k * 384);
        const vb = k == 0 ? vba : vbb;
        for (let x = 0; x < 4; x++) {
          const a = m + (<usize>x << 4);
          at<A>(y + (<usize>x << 4), 64, vb, vslope, v128.load(a), v128.load(a, 64), v128.load(a, 128), v128.load(a, 192), v128.load(a, 256), v128.load(a, 320));
        }
        const oo = out + (<usize>((o + k) * outPlane) << 2);
        if (pk == 0) storeTileRows(y, oo, outPitch, first, limit, x0, ow);
        else if (pk == 2) storePooled2(y, kind, vdiv, oo, first, limit, outPitch, q * 8, field(d, WINOGRAD2D_SMALL.POOL_OW));
        else storePooled4(y, kind, vdiv, oo, first, limit, outPitch, q * 4, field(d, WINOGRAD2D_SMALL.POOL_OW));
      }
    }
  }
}
