// The conv2d descriptor's planner, shared by the direct, strided and winograd1d routines (one row loop in
// src/wasm/assembly/conv2d.ts), and the input rows every conv that reads its taps in place starts from.
import type { RowRange } from '../../band.js';
import { effectiveKernel } from '../../geometry.js';
import { descriptor } from '../descriptor.js';
import { CONV2D, WINOGRAD1D_INPUT } from '../layout.js';
import { blocking } from '../machine.js';
import { align } from '../memory.js';
import type { PackedConv } from '../pack.js';
import { outputChannel, padDescriptor, planPad, poolCode, poolDivisor, share, shareRanges } from '../plan-parts.js';
import type { ConvJob, PadGeometry, Pool2dLayer } from '../plan-types.js';
import type { Shape } from '../../tensor.js';
import type { Conv2dLayer } from '../../../network/types.js';
import { TID, type Call, type Phase } from '../protocol.js';

/**
 * The input rows of a conv whose taps are read from its input rows: a padded copy (its padding phase
 * first in `phases`, its buffer in `transients`) when the layer pads, `winograd` asks for whole tiles
 * or `columnPhases` > 1 asks for each row's columns in that many phases (see planPad), else the band
 * itself. With `ownPadding`, no copy and no phase: `pad` is the descriptor of the padded rows, which
 * the routine pads itself (ptr is then 0). `rows` are the conv rows to compute: the requested ones, or
 * exactly those a fused pool reads.
 */
export interface ConvInput {
  readonly rows: RowRange;
  readonly ptr: number;
  readonly plane: number;
  readonly pitch: number;
  /** Padded rows per channel (0 when the band is read in place). */
  readonly padRows: number;
  /** With ownPadding and a padded input: the pad descriptor (else 0). */
  readonly pad: number;
  readonly phases: Phase[];
  /** Buffers only this step uses, [address, bytes]: released once its descriptors are written. */
  readonly transients: [number, number][];
}

/** The conv rows a step computes for output rows `out` (those, or exactly the rows a fused pool reads), and the input rows [iy0, iy1) they read. */
export function convRows(layer: Conv2dLayer, pool: Pool2dLayer | null, out: RowRange): { rows: RowRange; iy0: number; iy1: number } {
  const rows = pool ? { start: out.start * pool.stride[0], end: (out.end - 1) * pool.stride[0] + pool.kernelSize[0] } : out;
  const iy0 = rows.start * layer.stride[0] - layer.padding.top;
  const iy1 = (rows.end - 1) * layer.stride[0] - layer.padding.top + effectiveKernel(layer.kernelSize[0], layer.dilation[0]);
  return { rows, iy0, iy1 };
}

/** Whether the conv reads a padded copy of its input rows rather than the band in place. */
function readsPadded(layer: Conv2dLayer, winograd: boolean, columnPhases: number): boolean {
  const pad = layer.padding;
  return winograd || columnPhases > 1 || pad.top > 0 || pad.bottom > 0 || pad.left > 0 || pad.right > 0;
}

/** The padded copy's row pitch: Winograd tiles T of 4 outputs, tile t reading padded columns 4t..4t+5, so rows are at least 4T + 2 wide (extra columns are zeros). */
function paddedPitch(layer: Conv2dLayer, convWidth: number, inWidth: number, winograd: boolean, columnPhases: number): number {
  const pad = layer.padding;
  const width = winograd ? Math.max(inWidth + pad.left + pad.right, 4 * Math.ceil(convWidth / 4) + 2) : inWidth + pad.left + pad.right;
  return Math.ceil(width / columnPhases) * columnPhases;
}

/**
 * The padded copy convInput makes for a conv (direct, or winograd1d with `winograd`) computing output rows `out` of an
 * input `inWidth` wide, or null when it reads the band in place (Routine.paddedInput).
 */
export function conv2dPadding(layer: Conv2dLayer, pool: Pool2dLayer | null, conv: Shape, out: RowRange, inWidth: number, winograd: boolean): PadGeometry | null {
  if (!readsPadded(layer, winograd, 1)) return null;
  const { iy0, iy1 } = convRows(layer, pool, out);
  return { iy0, rows: iy1 - iy0, pitch: paddedPitch(layer, conv.width, inWidth, winograd, 1) };
}

export function convInput(job: ConvJob<unknown>, winograd: boolean, columnPhases = 1, ownPadding = false): ConvInput {
  const { layer, input: prev, out } = job;
  const { rows, iy0, iy1 } = convRows(layer, job.fusion.pool, { start: out.band.y0, end: out.band.y0 + out.band.height });
  const W = prev.width;
  if (readsPadded(layer, winograd, columnPhases)) {
    const pitch = paddedPitch(layer, job.conv.width, W, winograd, columnPhases);
    if (ownPadding) {
      const pd = padDescriptor(job.arena, layer, prev, iy0, iy1 - iy0, pitch, job.index, columnPhases);
      return { rows, ptr: 0, plane: 0, pitch, padRows: iy1 - iy0, pad: pd, phases: [], transients: [] };
    }
    const p = planPad(job.arena, job.threads, layer, prev, iy0, iy1 - iy0, pitch, job.index, columnPhases);
    return { rows, ptr: p.ptr, plane: p.rows * p.pitch, pitch: p.pitch, padRows: p.rows, pad: 0, phases: [p.phase], transients: [[p.ptr, p.bytes]] };
  }
  if (iy0 < prev.y0 || iy1 > prev.y0 + prev.height) throw new RangeError(`layers[${job.index}] (conv2d): rows ${iy0}..${iy1} are not all in the band ${prev.y0}..${prev.y0 + prev.height}`);
  return { rows, ptr: prev.ptr + (iy0 - prev.y0) * W * 4, plane: prev.height * W, pitch: W, padRows: 0, pad: 0, phases: [], transients: [] };
}

/**
 * Plans a conv on the conv2d descriptor: direct (taps read in place, x-stride 1), strided (columns
 * gathered first) or winograd1d (row-wise F(4,3): padded rows transformed into V, 6 GEMMs).
 */
export function planConv2d(job: ConvJob<PackedConv>, routine: 'direct' | 'pointwise' | 'strided' | 'winograd1d'): Phase[] {
  const { arena, threads, layer, packed, fusion: f, out } = job;
  const wino = routine === 'winograd1d';
  const [kh, kw] = layer.kernelSize;
  const [sy, sx] = layer.stride;
  const [dy, dx] = layer.dilation;
  const ow = job.conv.width;
  const G = layer.groups;
  const icg = layer.inChannels / G;
  const ocg = packed.ocPerGroup;
  const pool = f.pool;
  const input = convInput(job, wino);
  const { phases, transients } = input;
  const R = input.rows.end - input.rows.start;
  const T = Math.ceil(ow / 4);
  const TP = T;
  let inPtr = input.ptr;
  let inPlane = input.plane;
  let pitch = input.pitch;

  const K = packed.k;
  let offs: Int32Array;
  let mPtr = 0;
  let mStride = 0;
  let nmax = 1;
  if (wino) {
    // Transformed input V: [channel][6][padded row][TP]; consecutive rows' tiles are contiguous, so one
    // GEMM strip can span NMAX output rows (stride 1), which keeps narrow deep layers on long strips.
    const padRows = input.padRows;
    const vPtr = arena.alloc(job.input.channels * padRows * 6 * TP * 4);
    transients.push([vPtr, job.input.channels * padRows * 6 * TP * 4]);
    const wdPtr = descriptor(WINOGRAD1D_INPUT).set({ SRC: input.ptr, SRC_PLANE: padRows * input.pitch, PW: input.pitch, ROWS: padRows, DST: vPtr, T, TP }).put(arena);
    // The transform of a padded row reads only that row, so it joins the padding phase (same row
    // ranges, no barrier between them).
    const ranges = shareRanges(job.input.channels * padRows, threads);
    phases[phases.length - 1] = phases[phases.length - 1].map((item, k) => [...item, ['winograd1d_input_f32', wdPtr, ...ranges[k]] as Call]);
    inPtr = vPtr;
    inPlane = padRows * 6 * TP;
    pitch = TP;
    offs = new Int32Array(6 * K);
    for (let xi = 0; xi < 6; xi++) {
      let k = 0;
      for (let ic = 0; ic < icg; ic++) for (let ky = 0; ky < kh; ky++) offs[xi * K + k++] = ((ic * 6 + xi) * padRows + ky * dy) * TP * 4;
    }
    // Rows per GEMM: enough tiles for several 8-wide strips, products kept within half the L2.
    nmax = sy === 1 ? Math.max(1, Math.min(Math.ceil(64 / T), Math.floor(blocking().l2Products / 4 / (6 * packed.blocks * 4 * T)))) : 1;
    const m = arena.allocPerThread(6 * packed.blocks * 4 * nmax * TP * 4 + 256, threads);
    transients.push([m.base, m.span]);
    mPtr = m.ptr;
    mStride = m.stride;
  } else {
    offs = new Int32Array(K);
    let k = 0;
    for (let ic = 0; ic < icg; ic++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) offs[k++] = (ic * inPlane + ky * dy * pitch + kx * dx) * 4;
  }
  const offsPtr = arena.putI32(offs);
  const zeroPtr = arena.putF32(new Float32Array(4));

  let colPtr = 0;
  let colStride = 0;
  let colPitch = 0;
  let offsColPtr = 0;
  if (routine === 'strided') {
    colPitch = align(ow, 4) + 16;
    const col = arena.allocPerThread(K * colPitch * 4 + 256, threads);
    transients.push([col.base, col.span]);
    colPtr = col.ptr;
    colStride = col.stride;
    const oc = new Int32Array(K);
    for (let kk = 0; kk < K; kk++) oc[kk] = kk * colPitch * 4;
    offsColPtr = arena.putI32(oc);
  }
  let scratchPtr = 0;
  let scratchStride = 0;
  // Pooled rows per batch: with Winograd, enough that their conv rows fill one multi-row GEMM.
  const pnp = pool && wino ? Math.max(1, Math.floor(nmax / pool.kernelSize[0])) : 1;
  // Fused pool on the direct routine (conv2d.ts pooledDirect): conv rows folded into an L1 row
  // accumulator, in column chunks of CW (input rows of half the L1d, a multiple of 8 pixels and of the pool stride).
  let cw = 0;
  if (pool && (routine === 'direct' || routine === 'pointwise')) {
    const unit = 8 * pool.stride[1];
    cw = Math.min(Math.max(unit, Math.floor(Math.max(256, Math.floor(blocking().l1Chunk / (K * 4))) / unit) * unit), Math.ceil(ow / unit) * unit);
  }
  if (pool) {
    const bytes = cw > 0 ? (ocg * (cw + 16) + cw + 16 + 64) * 4 : (ocg * (pnp * pool.kernelSize[0] * ow + 16) + ow + 64) * 4;
    const scratch = arena.allocPerThread(bytes, threads);
    transients.push([scratch.base, scratch.span]);
    scratchPtr = scratch.ptr;
    scratchStride = scratch.stride;
  }

  const descs: number[] = [];
  for (let g = 0; g < G; g++) {
    const d = descriptor(CONV2D).set({
      IN: inPtr + g * icg * inPlane * 4,
      IN_PITCH: pitch,
      OFFS: offsPtr,
      K,
      W: packed.groups[g].w,
      OCB: packed.blocks,
      BIAS: packed.groups[g].bias,
      OC: ocg,
      OW: ow,
      SY: sy,
      SX: sx,
      ACT: f.act.code,
      SLOPE: f.act.slope,
      COL: colPtr,
      COL_STRIDE: colStride,
      OFFS_COL: offsColPtr,
      COL_PITCH: colPitch,
    });
    if (wino) d.set({ WINO: 1, T, TP, M: mPtr, M_STRIDE: mStride, W_XI: packed.blocks * K * 16, ZERO: zeroPtr, NMAX: nmax });
    const o = outputChannel(out, g * ocg);
    if (!pool) d.set({ OUT: o.ptr, OUT_PLANE: o.plane, OUT_PITCH: o.pitch });
    else {
      d.set({
        POOL: poolCode(pool),
        PKH: pool.kernelSize[0],
        PKW: pool.kernelSize[1],
        PSH: pool.stride[0],
        PSW: pool.stride[1],
        POOL_OUT: o.ptr,
        POOL_OUT_PLANE: o.plane,
        POOL_OUT_PITCH: o.pitch,
        POOL_OW: out.band.width,
        POOL_DIV: poolDivisor(pool),
        SCRATCH: scratchPtr,
        SCRATCH_STRIDE: scratchStride,
        POOL_ROW_BASE: 0,
        PNP: pnp,
        CW: cw,
      });
    }
    descs.push(d.put(arena));
  }
  // Rows (pooled rows when fused) in contiguous ranges of whole Winograd GEMM batches; few rows and
  // many channel blocks: block ranges instead.
  const items = pool ? out.band.height : R;
  const batch = wino ? (pool ? pnp : nmax) : 1;
  const blocks = packed.blocks;
  const byRows = items >= 8 * threads || blocks < 2 * threads;
  const entry = `${routine}_f32`;
  phases.push(
    byRows
      ? share(Math.ceil(items / batch), threads, (u0, u1) => descs.map((d) => [entry, d, u0 * batch, Math.min(items, u1 * batch), 0, blocks, TID] as Call))
      : share(blocks, threads, (b0, b1) => descs.map((d) => [entry, d, 0, items, b0, b1, TID] as Call), 'one-per-thread'),
  );
  for (const [ptr, bytes] of transients) job.arena.release(ptr, bytes);
  return phases;
}
