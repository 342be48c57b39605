// 2-D Winograd F(4x4,3x3) for 3x3 stride-1 convs with few input channels (1..7 per group).
//
// With so few channels there is no GEMM worth the name: for 4 tiles at a time the input transform of
// every channel stays in L1 scratch, and each point's products are summed over the channels in order,
// 4 output channels a vector (winograd2d's packed weights, so a U load serves 4 tiles' splatted V), then
// go through the output transform (A^T along x, then y), + bias, activation, a block of 4 channels at a
// time: 36 C multiplies per 16 outputs instead of 144 C. (Not for 5x5 banks: F(2x2,5x5) on the same
// 6x6 tiles gives 4 outputs per 36 products, more work than the direct routine.)
// Tiles are anchored at output row 0 of the full map (outputRowTile in src/engine/tiles.ts), so an
// output's bits depend only on its tile: bands and thread splits give identical bytes.
import { copyFloats } from './copy';
import { checkCodes, checkRange, checkTid, field } from './descriptor';
import { actOf, Leaky, madd, NoAct, Relu, Relu6 } from './igemm';
import { ACT, POOL, WINOGRAD2D_SMALL, WINOGRAD2D_SMALL_SCRATCH } from './layout';
import { at, bt, btRow4, NoBias, pool2x2, pool4x4, storeTail, tilePoolKind } from './f43';
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
  const v = scratch + WINOGRAD2D_SMALL_SCRATCH.V;
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
 * Tile row t: for each group of 4 tiles, V of every channel into v ([C][36], lane i = tile i); then,
 * for two blocks of 4 output channels at a time, each point's products summed over the channels (lane k
 * = channel k of a block) into M, and per tile and block the output transform, bias and activation A
 * (one instance per activation, so it is not tested per value; see igemm.ts), stored as rows first.. of
 * out (only rows in [0, limit) and columns < OW), or with pk = 2 / 4 pooled (POOL's kind) into pooled
 * rows first.. (columns < POOL_OW), transposed from channel lanes into channel rows on the way.
 */
function tileRow<A>(d: usize, t: i32, v: usize, scratch: usize, out: usize, outPlane: i32, outPitch: i32, first: i32, limit: i32, pk: i32): void {
  const s = field(d, WINOGRAD2D_SMALL.S);
  const c = field(d, WINOGRAD2D_SMALL.C);
  const oc = field(d, WINOGRAD2D_SMALL.OC);
  const ow = field(d, WINOGRAD2D_SMALL.OW);
  const pitch = field(d, WINOGRAD2D_SMALL.IN_PITCH);
  const inPlane = field(d, WINOGRAD2D_SMALL.IN_PLANE);
  const tq = field(d, WINOGRAD2D_SMALL.TQ);
  const poolOw = field(d, WINOGRAD2D_SMALL.POOL_OW);
  const w: usize = <usize>field(d, WINOGRAD2D_SMALL.W);
  const bias: usize = <usize>field(d, WINOGRAD2D_SMALL.BIAS);
  const act = actOf<A>();
  const vslope = f32x4.splat(reinterpret<f32>(field(d, WINOGRAD2D_SMALL.SLOPE)));
  const vdiv = f32x4.splat(reinterpret<f32>(field(d, WINOGRAD2D_SMALL.POOL_DIV)));
  const kind = tilePoolKind(field(d, WINOGRAD2D_SMALL.POOL), act);
  const src: usize = <usize>field(d, WINOGRAD2D_SMALL.IN) + (<usize>(t * s * pitch) << 2);
  const blocks = (oc + 3) >> 2;
  const panel = <usize>(blocks * c) << 4; // bytes from one point's U panel to the next
  const rowT = scratch; // B^T along x [6][6], later A^T along x [6][4]
  const y = scratch + WINOGRAD2D_SMALL_SCRATCH.Y;
  const pooled = scratch + WINOGRAD2D_SMALL_SCRATCH.POOLED;
  const m = scratch + WINOGRAD2D_SMALL_SCRATCH.M;
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
    // Output channels two blocks of 4 at a time (8 accumulators: 4 tiles x 2 blocks): per channel, 2 U
    // loads and 4 splats of V serve 8 products. Each sum keeps its channel order.
    for (let b = 0; b < blocks; b += 2) {
      const pair = b + 1 < blocks;
      const nb = pair ? 2 : 1;
      if (pair) productsPair(w + (<usize>(b * c) << 4), v, c, panel, m);
      else productsOne(w + (<usize>(b * c) << 4), v, c, panel, m);
      for (let k = 0; k < nb; k++) {
        const o = (b + k) * 4;
        const n = min(4, oc - o);
        const vb = v128.load(bias + (<usize>o << 2));
        const oo = out + (<usize>(o * outPlane) << 2);
        for (let tile = 0; tile < 4; tile++) {
          const mt = m + (<usize>(tile * 2 + k) << 4);
          for (let i = 0; i < 6; i++) {
            const a = mt + <usize>(i * 768);
            at<NoBias>(rowT + <usize>i * 64, 16, vb, vslope, v128.load(a), v128.load(a, 128), v128.load(a, 256), v128.load(a, 384), v128.load(a, 512), v128.load(a, 640));
          }
          for (let x = 0; x < 4; x++) {
            const a = rowT + (<usize>x << 4);
            at<A>(y + (<usize>x << 4), 64, vb, vslope, v128.load(a), v128.load(a, 64), v128.load(a, 128), v128.load(a, 192), v128.load(a, 256), v128.load(a, 320));
          }
          if (pk == 0) {
            const xt = x0 + tile * 4;
            for (let ry = 0; ry < 4; ry++) {
              const row = first + ry;
              if (row < 0 || row >= limit) continue;
              const a = y + <usize>ry * 64;
              storeChannels(oo + (<usize>(row * outPitch + xt) << 2), outPlane, n, v128.load(a), v128.load(a, 16), v128.load(a, 32), v128.load(a, 48), ow - xt);
            }
          } else if (pk == 2) {
            const pt = pooled + (<usize>tile << 5);
            v128.store(pt, pool2x2(y, kind, vdiv, 0, 0));
            v128.store(pt, pool2x2(y, kind, vdiv, 0, 1), 16);
            v128.store(pt, pool2x2(y, kind, vdiv, 1, 0), 128);
            v128.store(pt, pool2x2(y, kind, vdiv, 1, 1), 144);
          } else v128.store(pooled + (<usize>tile << 4), pool4x4(y, kind, vdiv));
        }
        if (pk == 2) {
          const x = q * 8;
          for (let a = 0; a < 2; a++) {
            const row = first + a;
            if (row < 0 || row >= limit) continue;
            const pa = pooled + <usize>(a * 128);
            const po = oo + (<usize>(row * outPitch + x) << 2);
            storeChannels(po, outPlane, n, v128.load(pa), v128.load(pa, 16), v128.load(pa, 32), v128.load(pa, 48), poolOw - x);
            storeChannels(po + 16, outPlane, n, v128.load(pa, 64), v128.load(pa, 80), v128.load(pa, 96), v128.load(pa, 112), poolOw - x - 4);
          }
        } else if (pk == 4 && first >= 0 && first < limit) {
          const x = q * 4;
          storeChannels(oo + (<usize>(first * outPitch + x) << 2), outPlane, n, v128.load(pooled), v128.load(pooled, 16), v128.load(pooled, 32), v128.load(pooled, 48), poolOw - x);
        }
      }
    }
  }
}

/**
 * Products of blocks b and b + 1 (U at ua, the next block's C vectors later): M[p][tile][block] = sum over
 * channels of U[p][block][ch] * V[ch][p][tile], channel 0's product first.
 */
@inline function productsPair(ua: usize, v: usize, c: i32, panel: usize, m: usize): void {
  const next = <usize>c << 4;
  for (let p = 0; p < 36; p++) {
    const u = ua + <usize>p * panel;
    const vp = v + (<usize>p << 4);
    let u0 = v128.load(u);
    let u1 = v128.load(u + next);
    let sv = v128.load32_splat(vp);
    let a0 = f32x4.mul(u0, sv);
    let b0 = f32x4.mul(u1, sv);
    sv = v128.load32_splat(vp, 4);
    let a1 = f32x4.mul(u0, sv);
    let b1 = f32x4.mul(u1, sv);
    sv = v128.load32_splat(vp, 8);
    let a2 = f32x4.mul(u0, sv);
    let b2 = f32x4.mul(u1, sv);
    sv = v128.load32_splat(vp, 12);
    let a3 = f32x4.mul(u0, sv);
    let b3 = f32x4.mul(u1, sv);
    for (let ch = 1; ch < c; ch++) {
      const uc = u + (<usize>ch << 4);
      const vc = vp + <usize>(ch * 576);
      u0 = v128.load(uc);
      u1 = v128.load(uc + next);
      sv = v128.load32_splat(vc);
      a0 = madd(u0, sv, a0);
      b0 = madd(u1, sv, b0);
      sv = v128.load32_splat(vc, 4);
      a1 = madd(u0, sv, a1);
      b1 = madd(u1, sv, b1);
      sv = v128.load32_splat(vc, 8);
      a2 = madd(u0, sv, a2);
      b2 = madd(u1, sv, b2);
      sv = v128.load32_splat(vc, 12);
      a3 = madd(u0, sv, a3);
      b3 = madd(u1, sv, b3);
    }
    const mp = m + (<usize>p << 7);
    v128.store(mp, a0);
    v128.store(mp, b0, 16);
    v128.store(mp, a1, 32);
    v128.store(mp, b1, 48);
    v128.store(mp, a2, 64);
    v128.store(mp, b2, 80);
    v128.store(mp, a3, 96);
    v128.store(mp, b3, 112);
  }
}

/** productsPair for a lone last block: M[p][tile][0] only. */
@inline function productsOne(ua: usize, v: usize, c: i32, panel: usize, m: usize): void {
  for (let p = 0; p < 36; p++) {
    const u = ua + <usize>p * panel;
    const vp = v + (<usize>p << 4);
    let u0 = v128.load(u);
    let a0 = f32x4.mul(u0, v128.load32_splat(vp));
    let a1 = f32x4.mul(u0, v128.load32_splat(vp, 4));
    let a2 = f32x4.mul(u0, v128.load32_splat(vp, 8));
    let a3 = f32x4.mul(u0, v128.load32_splat(vp, 12));
    for (let ch = 1; ch < c; ch++) {
      const vc = vp + <usize>(ch * 576);
      u0 = v128.load(u + (<usize>ch << 4));
      a0 = madd(u0, v128.load32_splat(vc), a0);
      a1 = madd(u0, v128.load32_splat(vc, 4), a1);
      a2 = madd(u0, v128.load32_splat(vc, 8), a2);
      a3 = madd(u0, v128.load32_splat(vc, 12), a3);
    }
    const mp = m + (<usize>p << 7);
    v128.store(mp, a0);
    v128.store(mp, a1, 32);
    v128.store(mp, a2, 64);
    v128.store(mp, a3, 96);
  }
}

/**
 * Pixels p0..p3 (lane k = channel k) transposed into channel rows: channel k's 4 pixels at out + k
 * planes (`plane` floats apart), for the first n channels, clipped to `cols` columns (storeTail).
 */
@inline function storeChannels(out: usize, plane: i32, n: i32, p0: v128, p1: v128, p2: v128, p3: v128, cols: i32): void {
  const a0 = v128.shuffle<f32>(p0, p1, 0, 4, 1, 5);
  const a1 = v128.shuffle<f32>(p0, p1, 2, 6, 3, 7);
  const b0 = v128.shuffle<f32>(p2, p3, 0, 4, 1, 5);
  const b1 = v128.shuffle<f32>(p2, p3, 2, 6, 3, 7);
  const step = <usize>plane << 2;
  storeTail(out, v128.shuffle<f32>(a0, b0, 0, 1, 4, 5), cols);
  if (n > 1) storeTail(out + step, v128.shuffle<f32>(a0, b0, 2, 3, 6, 7), cols);
  if (n > 2) storeTail(out + 2 * step, v128.shuffle<f32>(a1, b1, 0, 1, 4, 5), cols);
  if (n > 3) storeTail(out + 3 * step, v128.shuffle<f32>(a1, b1, 2, 3, 6, 7), cols);
}
