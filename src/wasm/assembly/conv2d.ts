// The conv2d descriptor's routines, direct_f32, strided_f32 and winograd1d_f32: one conv group (+ bias, activation, a following pool) over a range of rows.
// The descriptor's fields are CONV2D in layout.ts (defined in ../layout.json).
import { checkCodes, checkRange, checkTid, field } from './descriptor';
import { f32_igemm_ukernel_4x8, f32_igemm_ukernel_8x4, f32_igemm_ukernel_4x4 } from './igemm';
import { CONV2D, POOL, PUT } from './layout';
import { pool_rows_f32 } from './pool';
import { winograd1d_output_f32 } from './winograd1d';

/** Computes local output row r into c (channel stride plane floats), channel blocks [b0, b1). */
function convRow(d: usize, r: i32, c: usize, plane: i32, tid: i32, b0: i32, b1: i32): void {
  const k = field(d, CONV2D.K);
  const sx = field(d, CONV2D.SX);
  const ow = field(d, CONV2D.OW);
  const oc = field(d, CONV2D.OC);
  const act = field(d, CONV2D.ACT);
  const slope = reinterpret<f32>(field(d, CONV2D.SLOPE));
  let b: usize = <usize>field(d, CONV2D.IN) + (<usize>(r * field(d, CONV2D.SY) * field(d, CONV2D.IN_PITCH)) << 2);
  let offs: usize = <usize>field(d, CONV2D.OFFS);
  if (sx != 1) {
    // Strided along x: gather col[k][ox] = row[offs[k] + ox * sx] so the micro-kernels see unit stride.
    const col: usize = <usize>field(d, CONV2D.COL) + <usize>(tid * field(d, CONV2D.COL_STRIDE));
    const pitch = <usize>field(d, CONV2D.COL_PITCH) << 2;
    const step = <usize>sx << 2;
    // At x-stride 2 the first `fours` outputs go four at a time, the even lanes of two vectors (the odd float past
    // the last one read is allocation slack, and dropped).
    const fours = sx == 2 ? ow & ~3 : 0;
    for (let kk = 0; kk < k; kk++) {
      let src = b + <usize>load<i32>(offs + (<usize>kk << 2));
      let dst = col + <usize>kk * pitch;
      const end = dst + (<usize>ow << 2);
      const vend = dst + (<usize>fours << 2);
      while (dst < vend) {
        v128.store(dst, v128.shuffle<f32>(v128.load(src), v128.load(src, 16), 0, 2, 4, 6));
        dst += 16;
        src += 32;
      }
      while (dst < end) {
        store<f32>(dst, load<f32>(src));
        dst += 4;
        src += step;
      }
    }
    b = col;
    offs = <usize>field(d, CONV2D.OFFS_COL);
  }
  const ldc = <usize>plane << 2;
  const panel: usize = <usize>field(d, CONV2D.PANEL);
  if (panel != 0) {
    panelRow(d, b, offs, panel + <usize>(tid * field(d, CONV2D.PANEL_STRIDE)), c, ldc, b0, b1);
    return;
  }
  gemmRow(<usize>field(d, CONV2D.W) + (<usize>(b0 * k) << 4), offs, k, b, <usize>field(d, CONV2D.BIAS) + (<usize>b0 << 4), 16, c + <usize>(b0 * 4) * ldc, ldc, b1 - b0, oc - b0 * 4, ow, act, slope, PUT.STORE, <isize>field(d, CONV2D.RES));
}

/**
 * A pointwise row through packed strips: its pixels, 8 at a time, copied from the K input planes (b + offs[k])
 * into strips [K][8] at p, every step of a strip 32 bytes after the last, then each channel block over groups of
 * PANEL_GROUP strips. The micro-kernels and their sums are gemmRow's; only where B is read from, and in which
 * order the tiles are computed, change. Reads up to 7 floats past a plane's last pixel (allocation slack; those
 * lanes are not stored).
 */
function panelRow(d: usize, b: usize, offs: usize, p: usize, c: usize, ldc: usize, b0: i32, b1: i32): void {
  const k = field(d, CONV2D.K);
  const n = field(d, CONV2D.OW);
  const oc = field(d, CONV2D.OC);
  const act = field(d, CONV2D.ACT);
  const slope = reinterpret<f32>(field(d, CONV2D.SLOPE));
  const res = <isize>field(d, CONV2D.RES);
  const steps: usize = <usize>field(d, CONV2D.PANEL_OFFS);
  const strip = <usize>k << 5;
  const oend = offs + (<usize>k << 2);
  for (let x = 0; x < n; x += 8) {
    let dst = p + <usize>(x >> 3) * strip;
    const src = b + (<usize>x << 2);
    for (let o = offs; o < oend; o += 4) {
      const q = src + <usize>load<i32>(o);
      v128.store(dst, v128.load(q));
      v128.store(dst, v128.load(q, 16), 16);
      dst += 32;
    }
  }
  // Groups of PANEL_GROUP strips (half the L2), every block over a group: a block's weights are read once per
  // group, in order, and the group stays in L2 while the blocks pass.
  const group = field(d, CONV2D.PANEL_GROUP);
  const strips = (n + 7) >> 3;
  const whole = n >> 3;
  const ablock = <usize>k << 4;
  for (let s0 = 0; s0 < strips; s0 += group) {
    const s1 = min(strips, s0 + group);
    const f1 = min(s1, whole);
    // Blocks two at a time: both over the group's whole strips, then a last strip of 1-7 pixels (a 7x7 map's 49th)
    // 4 pixels at a time for both at once (8x4). The 4x4 kernel alone has four accumulators, which wait on the
    // multiply-add latency: one pixel would cost as long as a whole strip.
    for (let blk = b0; blk < b1; blk += 2) {
      const two = blk + 1 < b1;
      const ab = <usize>field(d, CONV2D.W) + <usize>blk * k * 16;
      const bb = <usize>field(d, CONV2D.BIAS) + (<usize>blk << 4);
      const cb = c + <usize>(blk * 4) * ldc;
      const pair = two ? 2 : 1;
      for (let j = 0; j < pair; j++) {
        const cj = cb + <usize>(j * 4) * ldc;
        const mr = min(4, oc - (blk + j) * 4);
        for (let si = s0; si < f1; si++) f32_igemm_ukernel_4x8(ab + <usize>j * ablock, steps, k, p + <usize>si * strip, bb + (<usize>j << 4), cj + (<usize>si << 5), ldc, mr, act, slope, PUT.STORE, res);
      }
      if (f1 == s1) continue;
      const x = f1 << 3;
      const sp = p + <usize>f1 * strip;
      for (let h = 0; h < 8 && x + h < n; h += 4) {
        const cx = cb + (<usize>(x + h) << 2);
        const nr = min(4, n - x - h);
        if (two) f32_igemm_ukernel_8x4(ab, ab + ablock, steps, k, sp + (<usize>h << 2), bb, bb + 16, cx, ldc, min(8, oc - blk * 4), nr, act, slope, PUT.STORE, res);
        else f32_igemm_ukernel_4x4(ab, steps, k, sp + (<usize>h << 2), bb, cx, ldc, min(4, oc - blk * 4), nr, act, slope, PUT.STORE, res);
      }
    }
  }
}

/**
 * All output-channel blocks x all strips of n pixels: C[oc][x] for oc < oc, x < n (block stride
 * biasStep bytes of bias). Short reductions run in column chunks of ~16 KiB of B rows, so the rows
 * a strip reads stay in L1 while every channel block uses them (a 1->8 k5 conv on 2048-wide rows
 * reads 5 rows of 8 KiB: without chunks each block streams them from L2 again).
 */
export function gemmRow(a: usize, offs: usize, k: i32, b: usize, bias: usize, biasStep: usize, c: usize, ldc: usize, ocb: i32, oc: i32, n: i32, act: i32, slope: f32, mode: i32 = 0, res: isize = 0): void {
  let chunk = n;
  if (k <= 128) chunk = max(32, (16384 / (k * 4)) & ~7);
  const ablock = <usize>k << 4;
  for (let x0 = 0; x0 < n; x0 += chunk) {
    const x1 = min(n, x0 + chunk);
    const xt = x0 + ((x1 - x0) & ~7);
    // 4x8 is the main tile (see igemm.ts for why not 4x12); the tail, 4 pixels at a time (masked), takes two
    // channel blocks at once (8x4), and the last block of an odd count alone (4x4).
    for (let blk = 0; blk < ocb; blk += 2) {
      const two = blk + 1 < ocb;
      for (let j = blk; j < blk + (two ? 2 : 1); j++) {
        const cj = c + <usize>(j * 4) * ldc;
        for (let x = x0; x < xt; x += 8) f32_igemm_ukernel_4x8(a + <usize>j * ablock, offs, k, b + (<usize>x << 2), bias + <usize>j * biasStep, cj + (<usize>x << 2), ldc, min(4, oc - j * 4), act, slope, mode, res);
      }
      const ab = a + <usize>blk * ablock;
      const bb = bias + <usize>blk * biasStep;
      const cb = c + <usize>(blk * 4) * ldc;
      const mr = min(8, oc - blk * 4);
      for (let x = xt; x < x1; x += 4) {
        if (two) f32_igemm_ukernel_8x4(ab, ab + ablock, offs, k, b + (<usize>x << 2), bb, bb + biasStep, cb + (<usize>x << 2), ldc, mr, min(4, x1 - x), act, slope, mode, res);
        else f32_igemm_ukernel_4x4(ab, offs, k, b + (<usize>x << 2), bb, cb + (<usize>x << 2), ldc, mr, min(4, x1 - x), act, slope, mode, res);
      }
    }
  }
}

/**
 * Rows r..r+n-1 by row-wise Winograd: 6 GEMMs over the transformed input (the n rows' tiles as one
 * strip: V rows are TP apart and TP = T), then the output transform (+ bias, activation) per row.
 */
function convRowsWino(d: usize, r: i32, n: i32, c: usize, plane: i32, pitch: i32, tid: i32, b0: i32, b1: i32): void {
  const k = field(d, CONV2D.K);
  const ocb = field(d, CONV2D.OCB);
  const tiles = field(d, CONV2D.T);
  const tp = field(d, CONV2D.TP);
  const b: usize = <usize>field(d, CONV2D.IN) + (<usize>(r * field(d, CONV2D.SY) * field(d, CONV2D.IN_PITCH)) << 2);
  const m: usize = <usize>field(d, CONV2D.M) + <usize>(tid * field(d, CONV2D.M_STRIDE));
  const mchan = n * tp;
  const mplane = ocb * 4 * mchan;
  const wxi = <usize>field(d, CONV2D.W_XI);
  const zero = <usize>field(d, CONV2D.ZERO);
  for (let xi = 0; xi < 6; xi++) {
    gemmRow(<usize>field(d, CONV2D.W) + <usize>xi * wxi + (<usize>(b0 * k) << 4), <usize>field(d, CONV2D.OFFS) + (<usize>(xi * k) << 2), k, b, zero, 0,
      m + (<usize>(xi * mplane + b0 * 4 * mchan) << 2), <usize>mchan << 2, b1 - b0, (b1 - b0) * 4, n * tp, 0, 0);
  }
  const c0 = b0 * 4;
  const c1 = min(b1 * 4, field(d, CONV2D.OC));
  for (let rr = 0; rr < n; rr++) {
    winograd1d_output_f32(m + (<usize>(rr * tp + c0 * mchan) << 2), c1 - c0, mchan, mplane, tiles, field(d, CONV2D.OW), <usize>field(d, CONV2D.BIAS) + (<usize>c0 << 2),
      c + (<usize>(rr * pitch + c0 * plane) << 2), plane, field(d, CONV2D.ACT), reinterpret<f32>(field(d, CONV2D.SLOPE)));
  }
}

/** Local rows r..r+n-1 into c (row stride pitch, channel stride plane floats). */
function convRows(d: usize, r: i32, n: i32, c: usize, plane: i32, pitch: i32, tid: i32, b0: i32, b1: i32): void {
  if (field(d, CONV2D.WINO) != 0) {
    const nmax = field(d, CONV2D.NMAX);
    for (let rr = 0; rr < n; rr += nmax) convRowsWino(d, r + rr, min(nmax, n - rr), c + (<usize>(rr * pitch) << 2), plane, pitch, tid, b0, b1);
    return;
  }
  for (let rr = 0; rr < n; rr++) convRow(d, r + rr, c + (<usize>(rr * pitch) << 2), plane, tid, b0, b1);
}

/**
 * The direct routine: taps read in place from the input rows (x-stride 1), 4 output channels x 8
 * pixels per micro-kernel step. Local rows [r0, r1) (pooled rows with a fused pool), output-channel
 * blocks [b0, b1), on thread tid (which picks the scratch slices).
 */
export function direct_f32(d: usize, r0: i32, r1: i32, b0: i32, b1: i32, tid: i32): void {
  if (!ASC_NO_ASSERT) {
    checkConv2d(d, r0, r1, b0, b1, tid);
    assert(field(d, CONV2D.SX) == 1 && field(d, CONV2D.WINO) == 0, 'direct: conv2d.SX == 1, WINO == 0');
    const cw = field(d, CONV2D.CW);
    if (field(d, CONV2D.POOL) != POOL.NONE) assert(cw > 0 && cw % 8 == 0 && cw % field(d, CONV2D.PSW) == 0, 'direct with a pool: conv2d.CW a positive multiple of 8 and of PSW');
  }
  conv2d(d, r0, r1, b0, b1, tid);
}

/**
 * The pointwise routine: a 1x1 stride-1 unpadded conv over its rows flattened into one run of pixels,
 * cut into virtual rows of OW pixels (IN_PITCH = OUT_PITCH = OW), so narrow maps fill the 8-pixel strips;
 * with a fused pool, real rows as direct_f32. Arguments as direct_f32's; the arithmetic is direct's, pixel for pixel.
 */
export function pointwise_f32(d: usize, r0: i32, r1: i32, b0: i32, b1: i32, tid: i32): void {
  if (!ASC_NO_ASSERT) {
    checkConv2d(d, r0, r1, b0, b1, tid);
    assert(field(d, CONV2D.SX) == 1 && field(d, CONV2D.SY) == 1 && field(d, CONV2D.WINO) == 0, 'pointwise: conv2d.SX == SY == 1, WINO == 0');
    const cw = field(d, CONV2D.CW);
    if (field(d, CONV2D.POOL) != POOL.NONE) assert(cw > 0 && cw % 8 == 0 && cw % field(d, CONV2D.PSW) == 0, 'pointwise with a pool: conv2d.CW a positive multiple of 8 and of PSW');
    if (field(d, CONV2D.PANEL) != 0) {
      assert(field(d, CONV2D.POOL) == POOL.NONE && field(d, CONV2D.PANEL_OFFS) != 0 && field(d, CONV2D.PANEL_GROUP) > 0, 'pointwise with PANEL: no pool, PANEL_OFFS set, PANEL_GROUP > 0');
      assert(field(d, CONV2D.PANEL_STRIDE) >= field(d, CONV2D.K) * 32 * ((field(d, CONV2D.OW) + 7) >> 3), 'pointwise with PANEL: PANEL_STRIDE >= K x 32 x ceil(OW / 8)');
    }
  }
  conv2d(d, r0, r1, b0, b1, tid);
}

/** The strided routine (x-stride > 1): each row's taps gathered into a unit-stride panel, then as direct_f32. */
export function strided_f32(d: usize, r0: i32, r1: i32, b0: i32, b1: i32, tid: i32): void {
  if (!ASC_NO_ASSERT) {
    checkConv2d(d, r0, r1, b0, b1, tid);
    assert(field(d, CONV2D.SX) > 1 && field(d, CONV2D.WINO) == 0, 'strided: conv2d.SX > 1, WINO == 0');
    assert(field(d, CONV2D.COL) != 0 && field(d, CONV2D.OFFS_COL) != 0 && field(d, CONV2D.COL_PITCH) >= field(d, CONV2D.OW), 'strided: conv2d.COL, OFFS_COL set, COL_PITCH >= OW');
  }
  conv2d(d, r0, r1, b0, b1, tid);
}

/**
 * The winograd1d routine: row-wise Winograd F(4,3) for 3-wide x-stride-1 convs, 6 GEMMs over the
 * input transformed by winograd1d_input_f32, then the output transform. Arguments as direct_f32's.
 */
export function winograd1d_f32(d: usize, r0: i32, r1: i32, b0: i32, b1: i32, tid: i32): void {
  if (!ASC_NO_ASSERT) {
    checkConv2d(d, r0, r1, b0, b1, tid);
    assert(field(d, CONV2D.WINO) == 1 && field(d, CONV2D.SX) == 1, 'winograd1d: conv2d.WINO == 1, SX == 1');
    assert(field(d, CONV2D.T) > 0 && field(d, CONV2D.TP) >= field(d, CONV2D.T) && field(d, CONV2D.NMAX) > 0 && field(d, CONV2D.W_XI) > 0, 'winograd1d: conv2d.T, NMAX, W_XI > 0, TP >= T');
    assert(field(d, CONV2D.M) != 0 && field(d, CONV2D.ZERO) != 0, 'winograd1d: conv2d.M, ZERO set');
  }
  conv2d(d, r0, r1, b0, b1, tid);
}

/** Debug build: what all three conv2d routines need of their descriptor and arguments. */
function checkConv2d(d: usize, r0: i32, r1: i32, b0: i32, b1: i32, tid: i32): void {
  CONV2D.check(d);
  checkRange(r0, r1, 'rows: 0 <= r0 <= r1');
  checkTid(tid);
  const oc = field(d, CONV2D.OC);
  const ocb = field(d, CONV2D.OCB);
  assert(oc > 0 && ocb == (oc + 3) >> 2, 'conv2d.OC > 0, OCB == ceil(OC / 4)');
  assert(0 <= b0 && b0 <= b1 && b1 <= ocb, 'blocks: 0 <= b0 <= b1 <= OCB');
  assert(field(d, CONV2D.K) > 0 && field(d, CONV2D.OW) > 0 && field(d, CONV2D.SY) > 0 && field(d, CONV2D.IN_PITCH) > 0, 'conv2d.K, OW, SY, IN_PITCH > 0');
  assert(field(d, CONV2D.IN) != 0 && field(d, CONV2D.OFFS) != 0 && field(d, CONV2D.W) != 0 && field(d, CONV2D.BIAS) != 0, 'conv2d.IN, OFFS, W, BIAS set');
  const pool = field(d, CONV2D.POOL);
  checkCodes(field(d, CONV2D.ACT), pool);
  assert(field(d, CONV2D.RES) == 0 || (pool == POOL.NONE && field(d, CONV2D.WINO) == 0 && field(d, CONV2D.RES) % 4 == 0), 'conv2d.RES: 0, or a whole float distance without a pool or Winograd');
  if (pool == POOL.NONE) {
    assert(field(d, CONV2D.OUT) != 0 && field(d, CONV2D.OUT_PITCH) >= field(d, CONV2D.OW) && field(d, CONV2D.OUT_PLANE) >= 0, 'conv2d.OUT set, OUT_PITCH >= OW');
    return;
  }
  // The conv rows of consecutive pooled rows are contiguous only when the pool's stride is its kernel.
  const pkh = field(d, CONV2D.PKH);
  const pkw = field(d, CONV2D.PKW);
  assert(pkh > 0 && pkw > 0 && field(d, CONV2D.PSH) == pkh && field(d, CONV2D.PSW) == pkw, 'conv2d pool: kernel = stride > 0');
  assert(field(d, CONV2D.POOL_OUT) != 0 && field(d, CONV2D.SCRATCH) != 0 && field(d, CONV2D.SCRATCH_STRIDE) > 0, 'conv2d.POOL_OUT, SCRATCH set');
  assert(field(d, CONV2D.POOL_OW) > 0 && field(d, CONV2D.POOL_OUT_PITCH) >= field(d, CONV2D.POOL_OW) && field(d, CONV2D.PNP) > 0, 'conv2d.POOL_OW, PNP > 0, POOL_OUT_PITCH >= POOL_OW');
}

/** Local rows [r0, r1), output-channel blocks [b0, b1) of the conv2d descriptor at d: the row loop of all three. */
function conv2d(d: usize, r0: i32, r1: i32, b0: i32, b1: i32, tid: i32): void {
  const pool = field(d, CONV2D.POOL);
  if (pool == 0) {
    const out: usize = <usize>field(d, CONV2D.OUT);
    const pitch = field(d, CONV2D.OUT_PITCH);
    const plane = field(d, CONV2D.OUT_PLANE);
    convRows(d, r0, r1 - r0, out + (<usize>(r0 * pitch) << 2), plane, pitch, tid, b0, b1);
    return;
  }
  if (field(d, CONV2D.WINO) == 0 && field(d, CONV2D.SX) == 1) {
    pooledDirect(d, r0, r1, b0, b1, tid);
    return;
  }
  const pkh = field(d, CONV2D.PKH);
  const psh = field(d, CONV2D.PSH);
  const ow = field(d, CONV2D.OW);
  const oc = field(d, CONV2D.OC);
  const np = field(d, CONV2D.PNP);
  const base = field(d, CONV2D.POOL_ROW_BASE);
  const scratch: usize = <usize>field(d, CONV2D.SCRATCH) + <usize>(tid * field(d, CONV2D.SCRATCH_STRIDE));
  // +16 floats: channel planes of power-of-two widths would otherwise alias in L1 sets.
  const plane = np * pkh * ow + 16;
  const tmp = scratch + (<usize>(oc * plane) << 2);
  const pout: usize = <usize>field(d, CONV2D.POOL_OUT);
  const ppitch = field(d, CONV2D.POOL_OUT_PITCH);
  const pplane = field(d, CONV2D.POOL_OUT_PLANE);
  const c0 = b0 * 4;
  const c1 = min(b1 * 4, oc);
  for (let py = r0; py < r1; py += np) {
    // Pool stride == pool kernel (a planner precondition), so the conv rows of n pooled rows are contiguous.
    const n = min(np, r1 - py);
    convRows(d, base + py * psh, n * pkh, scratch, plane, ow, tid, b0, b1);
    for (let j = 0; j < n; j++) {
      pool_rows_f32(field(d, CONV2D.POOL), scratch + (<usize>(c0 * plane + j * pkh * ow) << 2), c1 - c0, pkh, ow, plane, field(d, CONV2D.PKW), field(d, CONV2D.PSW), field(d, CONV2D.POOL_OW),
        pout + (<usize>((py + j) * ppitch + c0 * pplane) << 2), pplane, reinterpret<f32>(field(d, CONV2D.POOL_DIV)), tmp);
    }
  }
}

/**
 * Direct conv + fused pool, pooled rows [r0, r1): the conv rows of one pooled row are computed in
 * column chunks that fit L1, each conv row folded into a row accumulator by the micro-kernels'
 * epilogue (store, then add or max: the pool's vertical reduction, rows in order), then the chunk is
 * pooled along x. The conv output never leaves L1. Pool stride == kernel (a planner precondition),
 * so a chunk of CW conv columns (a multiple of the pool stride) yields CW / PSW pooled columns.
 */
function pooledDirect(d: usize, r0: i32, r1: i32, b0: i32, b1: i32, tid: i32): void {
  const k = field(d, CONV2D.K);
  const ow = field(d, CONV2D.OW);
  const oc = field(d, CONV2D.OC);
  const pkh = field(d, CONV2D.PKH);
  const psh = field(d, CONV2D.PSH);
  const pkw = field(d, CONV2D.PKW);
  const psw = field(d, CONV2D.PSW);
  const pow = field(d, CONV2D.POOL_OW);
  const kind = field(d, CONV2D.POOL);
  const act = field(d, CONV2D.ACT);
  const slope = reinterpret<f32>(field(d, CONV2D.SLOPE));
  const sy = field(d, CONV2D.SY);
  const pitch = field(d, CONV2D.IN_PITCH);
  const base = field(d, CONV2D.POOL_ROW_BASE);
  const divisor = reinterpret<f32>(field(d, CONV2D.POOL_DIV));
  const offs: usize = <usize>field(d, CONV2D.OFFS);
  const bias: usize = <usize>field(d, CONV2D.BIAS);
  const w: usize = <usize>field(d, CONV2D.W);
  const inp: usize = <usize>field(d, CONV2D.IN);
  const pout: usize = <usize>field(d, CONV2D.POOL_OUT);
  const ppitch = field(d, CONV2D.POOL_OUT_PITCH);
  const pplane = field(d, CONV2D.POOL_OUT_PLANE);
  const c0 = b0 * 4;
  const c1 = min(b1 * 4, oc);
  const cw = field(d, CONV2D.CW);
  // Scratch: the row accumulator [channels][cw + 16], then pool_rows_f32's own row buffer (cw + 16 floats).
  const acc: usize = <usize>field(d, CONV2D.SCRATCH) + <usize>(tid * field(d, CONV2D.SCRATCH_STRIDE));
  const aplane = cw + 16;
  const tmp = acc + (<usize>((c1 - c0) * aplane) << 2);
  const mode = kind == POOL.MAX ? PUT.MAX : PUT.ADD;
  for (let py = r0; py < r1; py++) {
    const cy = base + py * psh;
    for (let x0 = 0; x0 < ow; x0 += cw) {
      const n = min(cw, ow - x0);
      const px0 = x0 / psw;
      const pn = min(pow, (x0 + cw) / psw) - px0;
      if (pn <= 0) break;
      for (let j = 0; j < pkh; j++) {
        const b = inp + (<usize>((cy + j) * sy * pitch + x0) << 2);
        gemmRow(w + (<usize>(b0 * k) << 4), offs, k, b, bias + (<usize>b0 << 4), 16, acc, <usize>aplane << 2, b1 - b0, c1 - c0, n, act, slope, j == 0 ? 0 : mode);
      }
      pool_rows_f32(kind, acc, c1 - c0, 1, pn * psw, aplane, pkw, psw, pn, pout + (<usize>(py * ppitch + c0 * pplane + px0) << 2), pplane, divisor, tmp);
    }
  }
}
