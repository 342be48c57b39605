// 2-D Winograd for 3x3 stride-1 convolutions: F(4x4,3x3) (winograd2d: 36 multiplies per 4x4 outputs instead of 144) and,
// for wide maps, F(6x6,3x3) (winograd2d_wide: 64 per 6x6 outputs instead of 324).
//
// Tile (ty, tx) of F(m x m, 3x3) covers outputs m ty..m ty+m-1 x m tx..m tx+m-1 and padded inputs m ty..m ty+m+1 (likewise in x):
//   V = B^T d B (per input channel), U = G g G^T (per filter, packed by src/engine/fast/pack.ts),
//   M[xi] = U[xi] V[xi] summed over input channels ((m+2)^2 GEMMs, one per transform point xi),
//   y = A^T M A, + bias, activation, and optionally a max/avg pool of 2x2 (or, F(4x4) only, 4x4) windows.
// F(4,3)'s matrices are Lavin & Gray's (points 0, +-1, +-2, inf; f43.ts), F(6,3)'s use 0, +-1, +-2, +-1/2, inf (f63.ts);
// both are applied along x then y. Tiles are anchored at output row 0 of the full map, so an output's bits depend on
// its tile only: a band run reads the whole tiles its rows fall in (neededRows in src/engine/band.ts), and any split
// of tile rows or channel blocks between threads gives the same bytes.
import { gemmPanels } from './gemm';
import { checkCodes, checkRange, checkTid, field } from './descriptor';
import { actOf, Leaky, NoAct, Relu, Relu6 } from './igemm';
import { ACT, POOL, WINOGRAD2D, WINOGRAD2D_SCRATCH } from './layout';
import { at, bt, btRow4, NoBias, storePooled2, storePooled4, storeTileRows, tilePoolKind } from './f43';
import { at8, bt8, btRow4x6, storePooled2x6, storeTileRows6 } from './f63';

/** F(4x4,3x3): 4x4 output tiles. */
class F43 {}
/** F(6x6,3x3): 6x6 output tiles. */
class F63 {}

/** Output rows and columns per tile of algorithm T. */
@inline function tileOf<T>(): i32 {
  return idof<T>() == idof<F63>() ? 6 : 4;
}

/** Transform points per tile of algorithm T ((tile + 2)^2): V's and M's planes, U's panels, the GEMMs per batch. */
@inline function pointsOf<T>(): i32 {
  return (tileOf<T>() + 2) * (tileOf<T>() + 2);
}

export function winograd2d_f32(d: usize, t0: i32, t1: i32, b0: i32, b1: i32, tid: i32): void {
  tiles<F43>(d, t0, t1, b0, b1, tid);
}

export function winograd2d_input_f32(d: usize, u0: i32, u1: i32, tid: i32): void {
  inputUnits<F43>(d, u0, u1, tid);
}

export function winograd2d_wide_f32(d: usize, t0: i32, t1: i32, b0: i32, b1: i32, tid: i32): void {
  tiles<F63>(d, t0, t1, b0, b1, tid);
}

export function winograd2d_wide_input_f32(d: usize, u0: i32, u1: i32, tid: i32): void {
  inputUnits<F63>(d, u0, u1, tid);
}

/**
 * Tile rows [t0, t1) (relative to the descriptor's tile row 0), output-channel blocks [b0, b1), on thread tid.
 * With SHARED, t0 is a multiple of NR and each chunk's V comes from its slot (threads splitting channel
 * blocks would otherwise each transform every tile's input).
 */
function tiles<T>(d: usize, t0: i32, t1: i32, b0: i32, b1: i32, tid: i32): void {
  const points = pointsOf<T>();
  if (!ASC_NO_ASSERT) {
    checkWinograd2d<T>(d, tid);
    assert(0 <= t0 && t0 <= t1 && t1 <= field(d, WINOGRAD2D.NT), 'tile rows: 0 <= t0 <= t1 <= NT');
    assert(0 <= b0 && b0 <= b1 && b1 <= (field(d, WINOGRAD2D.OC) + 3) >> 2, 'blocks: 0 <= b0 <= b1 <= ceil(OC / 4)');
    if (field(d, WINOGRAD2D.SHARED) != 0) assert(t0 % field(d, WINOGRAD2D.NR) == 0, 'SHARED: t0 a multiple of NR');
    assert((b1 - b0) * 16 * field(d, WINOGRAD2D.NR) * field(d, WINOGRAD2D.TC) <= field(d, WINOGRAD2D.M_XI), 'blocks: M_XI holds b1 - b0 blocks');
  }
  const c = field(d, WINOGRAD2D.C);
  const tp = field(d, WINOGRAD2D.TP);
  const tw = field(d, WINOGRAD2D.TW);
  const nr = field(d, WINOGRAD2D.NR);
  const tc = field(d, WINOGRAD2D.TC);
  const act = field(d, WINOGRAD2D.ACT);
  const vp = nr * tc;
  const shared = field(d, WINOGRAD2D.SHARED) != 0;
  const chunks = (tp + tc - 1) / tc;
  let v: usize = <usize>field(d, WINOGRAD2D.V) + <usize>(tid * field(d, WINOGRAD2D.V_STRIDE));
  const m: usize = <usize>field(d, WINOGRAD2D.M) + <usize>(tid * field(d, WINOGRAD2D.M_STRIDE));
  const vxi = <usize>field(d, WINOGRAD2D.V_XI);
  const mxi = <usize>field(d, WINOGRAD2D.M_XI);
  const scratch = m + <usize>points * mxi;
  const wxi = <usize>field(d, WINOGRAD2D.W_XI);
  const w: usize = <usize>field(d, WINOGRAD2D.W) + (<usize>(b0 * c) << 4);
  for (let t = t0; t < t1; t += nr) {
    const n = min(nr, t1 - t);
    for (let x0 = 0; x0 < tw; x0 += tc) {
      const cols = min(tc, tw - x0);
      if (shared) v = <usize>field(d, WINOGRAD2D.V) + <usize>(((t / nr) * chunks + x0 / tc) * field(d, WINOGRAD2D.V_STRIDE));
      else for (let ch = 0; ch < c; ch++) inputTiles<T>(d, t, n, x0, cols, ch, v + (<usize>ch << 5), vxi, scratch);
      for (let xi = 0; xi < points; xi++) {
        gemmPanels(w + <usize>xi * wxi, c, v + <usize>xi * vxi, <usize>(c * 32), m + <usize>xi * mxi, <usize>vp << 2, b1 - b0, (n * cols + 3) & ~3);
      }
      const c1 = min(b1 * 4, field(d, WINOGRAD2D.OC));
      for (let oc = b0 * 4; oc < c1; oc++) {
        const mc = m + (<usize>((oc - b0 * 4) * vp) << 2);
        if (act == ACT.RELU) outputTiles<T, Relu>(d, t, n, x0, cols, oc, mc, mxi, scratch);
        else if (act == ACT.LEAKY) outputTiles<T, Leaky>(d, t, n, x0, cols, oc, mc, mxi, scratch);
        else if (act == ACT.RELU6) outputTiles<T, Relu6>(d, t, n, x0, cols, oc, mc, mxi, scratch);
        else outputTiles<T, NoAct>(d, t, n, x0, cols, oc, mc, mxi, scratch);
      }
    }
  }
}

/**
 * Units [u0, u1) of V's SHARED slots on thread tid. A unit is one input channel of one chunk,
 * u = chunk x C + channel (chunk = batch of NR tile rows x chunks per row + chunk along x): a layer
 * whose tiles are one chunk (a 14x14 or 7x7 map) still splits its transforms between the threads.
 */
function inputUnits<T>(d: usize, u0: i32, u1: i32, tid: i32): void {
  const c = field(d, WINOGRAD2D.C);
  const tp = field(d, WINOGRAD2D.TP);
  const nr = field(d, WINOGRAD2D.NR);
  const tc = field(d, WINOGRAD2D.TC);
  const nt = field(d, WINOGRAD2D.NT);
  const chunks = (tp + tc - 1) / tc;
  if (!ASC_NO_ASSERT) {
    checkWinograd2d<T>(d, tid);
    checkRange(u0, u1, 'units: 0 <= u0 <= u1');
    assert(u1 <= ((nt + nr - 1) / nr) * chunks * c, 'units: u1 <= batches x chunks x C');
    assert(field(d, WINOGRAD2D.SHARED) == 1, 'winograd2d.SHARED == 1');
  }
  const vxi = <usize>field(d, WINOGRAD2D.V_XI);
  const scratch = <usize>field(d, WINOGRAD2D.M) + <usize>(tid * field(d, WINOGRAD2D.M_STRIDE)) + <usize>pointsOf<T>() * <usize>field(d, WINOGRAD2D.M_XI);
  for (let u = u0; u < u1; u++) {
    const k = u / c;
    const ch = u - k * c;
    const t = (k / chunks) * nr;
    const x0 = (k % chunks) * tc;
    const v = <usize>field(d, WINOGRAD2D.V) + <usize>(k * field(d, WINOGRAD2D.V_STRIDE));
    inputTiles<T>(d, t, min(nr, nt - t), x0, min(tc, field(d, WINOGRAD2D.TW) - x0), ch, v + (<usize>ch << 5), vxi, scratch);
  }
}

/** Debug build: what both winograd2d entries need of the descriptor. */
function checkWinograd2d<T>(d: usize, tid: i32): void {
  WINOGRAD2D.check(d);
  checkTid(tid);
  const pool = field(d, WINOGRAD2D.POOL);
  checkCodes(field(d, WINOGRAD2D.ACT), pool);
  const tp = field(d, WINOGRAD2D.TP);
  const tc = field(d, WINOGRAD2D.TC);
  assert(field(d, WINOGRAD2D.C) > 0 && field(d, WINOGRAD2D.OC) > 0 && field(d, WINOGRAD2D.NR) > 0 && field(d, WINOGRAD2D.NT) >= 0, 'winograd2d.C, OC, NR > 0');
  assert(tp > 0 && tp % 4 == 0 && tc > 0 && tc % 4 == 0 && tc <= tp && field(d, WINOGRAD2D.IN_PITCH) >= tileOf<T>() * tp + 2, 'winograd2d.TP, TC positive multiples of 4, TC <= TP, IN_PITCH >= tile x TP + 2');
  assert(tp - 4 < field(d, WINOGRAD2D.TW) && field(d, WINOGRAD2D.TW) <= tp, 'winograd2d.TW: TP - 3 .. TP');
  assert(field(d, WINOGRAD2D.IN) != 0 && field(d, WINOGRAD2D.W) != 0 && field(d, WINOGRAD2D.BIAS) != 0 && field(d, WINOGRAD2D.V) != 0 && field(d, WINOGRAD2D.M) != 0 && field(d, WINOGRAD2D.OUT) != 0, 'winograd2d.IN, W, BIAS, V, M, OUT set');
  // The scratch: B^T along x's rows of 4-tile vectors below STAGE, the staged group's vectors from STAGE to BYTES.
  assert((tileOf<T>() + 2) * (tileOf<T>() + 2) * 16 <= WINOGRAD2D_SCRATCH.STAGE && WINOGRAD2D_SCRATCH.STAGE + pointsOf<T>() * 16 <= WINOGRAD2D_SCRATCH.BYTES, 'WINOGRAD2D_SCRATCH: STAGE past B^T rows, BYTES past the staged group');
  if (pool != POOL.NONE) assert(field(d, WINOGRAD2D.PK) == 2 || (field(d, WINOGRAD2D.PK) == 4 && tileOf<T>() == 4), 'winograd2d.PK: 2, or 4 with 4x4 tiles');
}

/**
 * V for channel ch of tiles [x0, x0 + cols) of tile rows t..t+n-1, 4 tiles at a time (lane i = tile q + i): B^T along x of
 * the tile + 2 input rows into scratch [tile + 2 rows][tile + 2], then B^T along y into V[xi = (tile + 2) yi + xi_x][panel][ch][8]
 * (vc: V at channel ch's row of panel 0). Tiles are packed: tile row tr's tiles start at tr x cols, so a row's last group
 * of 4 may run over into the next row's first tiles, which are stored later and overwrite those lanes, or past the batch's
 * last tile (V has room for 3). A group whose 4 tiles span two panels goes through stage and is stored lane by lane.
 */
function inputTiles<T>(d: usize, t: i32, n: i32, x0: i32, cols: i32, ch: i32, vc: usize, vxi: usize, scratch: usize): void {
  const c = field(d, WINOGRAD2D.C);
  const pitch = field(d, WINOGRAD2D.IN_PITCH);
  const m = tileOf<T>();
  const points = pointsOf<T>();
  const stage = scratch + <usize>WINOGRAD2D_SCRATCH.STAGE;
  const src: usize = <usize>field(d, WINOGRAD2D.IN) + (<usize>(ch * field(d, WINOGRAD2D.IN_PLANE)) << 2);
  for (let tr = 0; tr < n; tr++) {
    const row0 = src + (<usize>((t + tr) * m * pitch) << 2);
    for (let q = x0; q < x0 + cols; q += 4) {
      const tile = tr * cols + q - x0;
      const whole = (tile & 7) <= 4;
      const o = whole ? vc + <usize>(tile >> 3) * <usize>(c << 5) + (<usize>(tile & 7) << 2) : stage;
      const step = whole ? vxi : 16;
      if (m == 6) {
        // Tiles q..q+3 read columns 6q..6q+25; lanes past 6 TP + 1 are never used (pitch and slack cover the loads).
        for (let r = 0; r < 8; r++) btRow4x6(row0 + (<usize>(r * pitch + 6 * q) << 2), scratch + <usize>r * 128, 16);
        for (let x = 0; x < 8; x++) {
          const s = scratch + (<usize>x << 4);
          bt8(o + <usize>x * step, 8 * step, v128.load(s), v128.load(s, 128), v128.load(s, 256), v128.load(s, 384), v128.load(s, 512), v128.load(s, 640), v128.load(s, 768), v128.load(s, 896));
        }
      } else {
        // Tiles q..q+3 read columns 4q..4q+19; lanes past 4 TP + 1 are never used (pitch and slack cover the loads).
        for (let r = 0; r < 6; r++) btRow4(row0 + (<usize>(r * pitch + 4 * q) << 2), scratch + <usize>r * 96, 16);
        for (let x = 0; x < 6; x++) {
          const s = scratch + (<usize>x << 4);
          bt(o + <usize>x * step, 6 * step, v128.load(s), v128.load(s, 96), v128.load(s, 192), v128.load(s, 288), v128.load(s, 384), v128.load(s, 480));
        }
      }
      if (!whole) scatterLanes(stage, points, vc + <usize>(tile >> 3) * <usize>(c << 5), c << 5, tile & 7, vxi);
    }
  }
}

/**
 * Lanes 0..3 of stage's `points` vectors to tiles s..s+3 (s = 5..7) of the panel at p and the next one (`panel` bytes
 * further), planes vxi bytes apart.
 */
function scatterLanes(stage: usize, points: i32, p: usize, panel: i32, s: i32, vxi: usize): void {
  const a0 = p + (<usize>s << 2);
  const a1 = s + 1 < 8 ? a0 + 4 : p + <usize>panel;
  const a2 = s + 2 < 8 ? a0 + 8 : p + <usize>panel + (<usize>(s + 2 - 8) << 2);
  const a3 = p + <usize>panel + (<usize>(s + 3 - 8) << 2);
  for (let xi = 0; xi < points; xi++) {
    const v = v128.load(stage + (<usize>xi << 4));
    const off = <usize>xi * vxi;
    v128.store32_lane(a0 + off, v, 0);
    v128.store32_lane(a1 + off, v, 1);
    v128.store32_lane(a2 + off, v, 2);
    v128.store32_lane(a3 + off, v, 3);
  }
}

/**
 * Output transform of channel oc (products at mc, xi planes mxi bytes apart) for tiles [x0, x0 + cols) of tile rows t..t+n-1:
 * A^T along x into scratch [tile + 2][tile], A^T along y into scratch y [tile rows][tile cols] (+ bias, activation A: one
 * instance per activation), then stored as rows, or pooled (rows first, then columns, as pool_rows_f32 reduces) and stored.
 */
function outputTiles<T, A>(d: usize, t: i32, n: i32, x0: i32, cols: i32, oc: i32, mc: usize, mxi: usize, scratch: usize): void {
  const ow = field(d, WINOGRAD2D.OW);
  const row0 = field(d, WINOGRAD2D.ROW0);
  const rows = field(d, WINOGRAD2D.ROWS);
  const pitch = field(d, WINOGRAD2D.OUT_PITCH);
  const act = actOf<A>();
  const m = tileOf<T>();
  const vslope = f32x4.splat(reinterpret<f32>(field(d, WINOGRAD2D.SLOPE)));
  const vb = v128.load32_splat(<usize>field(d, WINOGRAD2D.BIAS) + (<usize>oc << 2));
  const pool = field(d, WINOGRAD2D.POOL);
  const kind = tilePoolKind(pool, act);
  const pk = field(d, WINOGRAD2D.PK);
  const per = pool == 0 ? m : m / pk; // output rows per tile row
  const out: usize = <usize>field(d, WINOGRAD2D.OUT) + (<usize>(oc * field(d, WINOGRAD2D.OUT_PLANE)) << 2);
  const y = scratch + <usize>((m + 2) * m) * 16;
  for (let tr = 0; tr < n; tr++) {
    const first = row0 + (t + tr) * per;
    if (first + per <= 0 || first >= rows) continue;
    for (let q = x0; q < x0 + cols; q += 4) {
      const p = mc + (<usize>(tr * cols + q - x0) << 2);
      if (m == 6) {
        for (let r = 0; r < 8; r++) {
          const pr = p + <usize>(8 * r) * mxi;
          at8<NoBias>(scratch + <usize>r * 96, 16, vb, vslope, v128.load(pr), v128.load(pr + mxi), v128.load(pr + 2 * mxi), v128.load(pr + 3 * mxi), v128.load(pr + 4 * mxi), v128.load(pr + 5 * mxi), v128.load(pr + 6 * mxi), v128.load(pr + 7 * mxi));
        }
        for (let x = 0; x < 6; x++) {
          const s = scratch + (<usize>x << 4);
          at8<A>(y + (<usize>x << 4), 96, vb, vslope, v128.load(s), v128.load(s, 96), v128.load(s, 192), v128.load(s, 288), v128.load(s, 384), v128.load(s, 480), v128.load(s, 576), v128.load(s, 672));
        }
      } else {
        for (let r = 0; r < 6; r++) {
          const pr = p + <usize>(6 * r) * mxi;
          at<NoBias>(scratch + <usize>r * 64, 16, vb, vslope, v128.load(pr), v128.load(pr + mxi), v128.load(pr + 2 * mxi), v128.load(pr + 3 * mxi), v128.load(pr + 4 * mxi), v128.load(pr + 5 * mxi));
        }
        for (let x = 0; x < 4; x++) {
          const s = scratch + (<usize>x << 4);
          at<A>(y + (<usize>x << 4), 64, vb, vslope, v128.load(s), v128.load(s, 64), v128.load(s, 128), v128.load(s, 192), v128.load(s, 256), v128.load(s, 320));
        }
      }
      if (m == 6) {
        if (pool == 0) storeTileRows6(y, out, pitch, first, rows, q * 6, ow);
        else storePooled2x6(y, kind, f32x4.splat(reinterpret<f32>(field(d, WINOGRAD2D.POOL_DIV))), out, first, rows, pitch, q * 3, ow);
      } else if (pool == 0) storeTileRows(y, out, pitch, first, rows, q << 2, ow);
      else if (pk == 2) storePooled2(y, kind, f32x4.splat(reinterpret<f32>(field(d, WINOGRAD2D.POOL_DIV))), out, first, rows, pitch, q << 1, ow);
      else storePooled4(y, kind, f32x4.splat(reinterpret<f32>(field(d, WINOGRAD2D.POOL_DIV))), out, first, rows, pitch, q, ow);
    }
  }
}
