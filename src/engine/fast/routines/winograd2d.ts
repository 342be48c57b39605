// The winograd2d routine: 2-D Winograd F(4x4,3x3) for 3x3 stride-1 convs with many channels, as 36 GEMMs over
// transformed tiles (src/wasm/assembly/winograd2d.ts): a padding phase, then tile rows or channel blocks split across threads.
// The planner also serves winograd2d_wide (F(6x6,3x3) on wide maps), which differs in tile size only.
import type { RowRange } from '../../band.js';
import type { Shape } from '../../tensor.js';
import { outputRowTile, WINOGRAD_TILE, type MapSize } from '../../tiles.js';
import type { Conv2dLayer } from '../../../network/types.js';
import { descriptor } from '../descriptor.js';
import { WINOGRAD2D, WINOGRAD2D_SCRATCH } from '../layout.js';
import { blocking } from '../machine.js';
import { align } from '../memory.js';
import { packedBytes, packWinograd2d, type PackedConv } from '../pack.js';
import { planPad, poolCode, poolDivisor, setGroupFields, share, shareRanges } from '../plan-parts.js';
import type { Algorithm, ConvJob, PadGeometry, Pool2dLayer, Routine } from '../plan-types.js';
import { TID, type Call, type Phase } from '../protocol.js';
import { manyChannels, unitX } from './conditions.js';

export const winograd2d: Routine<PackedConv> = {
  id: 'winograd2d',
  winograd: true,
  applies: (layer, algorithm, out) => twoD(layer, algorithm) && outputRowTile(layer, out) === WINOGRAD_TILE,
  // Kernel = stride, 2 or 4 on both axes, so a 4x4 tile holds whole windows.
  fusesPool: (pool) => squarePool(pool, 2) || squarePool(pool, 4),
  paddedInput: (layer, pool, conv, out, inWidth) => winograd2dPadding(layer, pool, conv, out, inWidth, WINOGRAD_TILE),
  pitchedOutput: true,
  workBytes: (layer, conv, out, threads) => winograd2dWorkBytes(layer, conv, out, WINOGRAD_TILE, threads),
  packedBytes: (layer) => packedBytes.winograd2d(layer, WINOGRAD_TILE),
  pack: (heap, layer, bn) => packWinograd2d(heap, layer, bn, WINOGRAD_TILE),
  plan: (job) => planWinograd2d(job, 'winograd2d', WINOGRAD_TILE),
};

/**
 * The padded input of winograd2d (or winograd2d_wide) with `tile` x `tile` tiles computing output rows `out`: the whole
 * tile rows that cover them (with a fused pool of kernel pk, pk conv rows an output row), each tile reading padded rows
 * and columns tile t .. tile t + tile + 1, and whole groups of 4 tiles across (columns past the map are zeros).
 */
export function winograd2dPadding(layer: Conv2dLayer, pool: Pool2dLayer | null, conv: Shape, out: RowRange, inWidth: number, tile: number): PadGeometry {
  const { ty0, ty1, tp } = tilesOf(pool, conv, out, tile);
  const pad = layer.padding;
  return { iy0: ty0 * tile - pad.top, rows: (ty1 - ty0) * tile + 2, pitch: Math.max(inWidth + pad.left + pad.right, tp * tile + 2) };
}

/** The tile rows [ty0, ty1) covering output rows `out` (with a fused pool of kernel pk, pk conv rows an output row), and tiles across padded to groups of 4 (tp). */
function tilesOf(pool: Pool2dLayer | null, conv: MapSize, out: RowRange, tile: number): { ty0: number; ty1: number; tp: number } {
  const pk = pool ? pool.kernelSize[0] : 1;
  return { ty0: Math.floor((out.start * pk) / tile), ty1: Math.ceil((out.end * pk) / tile), tp: align(Math.ceil(conv.width / tile), 4) };
}

/** Whether the 2-D GEMM-based Winograd routines may run `layer` ('winograd-x' keeps Winograd row-wise: winograd1d). */
export function twoD(layer: Conv2dLayer, algorithm: Algorithm): boolean {
  return algorithm !== 'direct' && algorithm !== 'winograd-x' && unitX(layer) && manyChannels(layer, algorithm);
}

/** A k x k pool with stride k on both axes. */
export function squarePool(pool: Pool2dLayer, k: number): boolean {
  const [kh, kw] = pool.kernelSize;
  const [sh, sw] = pool.stride;
  return kh === k && kw === k && sh === k && sw === k;
}

/** Tiles per chunk the planner aims for when U does not fit in L2: U is streamed once per chunk, so shorter chunks would make the GEMMs wait on memory. */
const CHUNK_TILES = 32;
/**
 * A plane stride of an odd number of 64-byte lines: the transforms touch all 36 (or 64) planes of V or
 * M at once, and with power-of-two-like strides those lines fall into the same few L1/L2 sets and
 * evict each other. Odd line counts put them in as many different sets.
 */
function oddLines(bytes: number): number {
  const lines = Math.ceil(bytes / 64);
  return (lines % 2 ? lines : lines + 1) * 64;
}

/**
 * Tile rows per GEMM batch: `nr`, or down to half of it when that lets whole batches split evenly
 * across the threads (7 batches on 2 threads leave one thread a batch behind; 14 smaller ones do not,
 * and V and M stay smaller in L2). Bits do not depend on the batch.
 */
function batchRows(nr: number, nt: number, threads: number): number {
  if (threads === 1) return nr;
  for (let r = nr; r >= Math.max(1, nr >> 1); r--) if (Math.ceil(nt / r) % threads === 0) return r;
  return nr;
}

/**
 * Tile rows of the busiest thread when `threads` share the batches of `nr` of `nt` tile rows (the last
 * batch may be short) as share's items, each item taken by the thread that is free first.
 */
export function busiestRows(nt: number, nr: number, threads: number): number {
  const load: number[] = new Array(threads).fill(0);
  for (const [a, b] of shareRanges(Math.ceil(nt / nr), threads)) {
    const free = load.indexOf(Math.min(...load));
    load[free] += Math.min(nt, b * nr) - a * nr;
  }
  return Math.max(...load);
}

/** How a plan of winograd2d (or winograd2d_wide) lays out its work: winograd2dLayout. */
export interface Winograd2dLayout {
  /** the first tile row, in tile rows of the full map */
  readonly ty0: number;
  /** tile rows, and tiles across (tw) and padded to groups of 4 (tp) */
  readonly nt: number;
  readonly tw: number;
  readonly tp: number;
  /** tiles per chunk of a tile row, and tile rows per batch */
  readonly tc: number;
  readonly nr: number;
  readonly byRows: boolean;
  readonly units: number;
  readonly chunks: number;
  /** bytes per input channel of one point's V slot, and per point of M */
  readonly vxi: number;
  readonly mxi: number;
  /** bytes of one V slot (a thread's, or a batch's chunk's and group's when V is shared) */
  readonly vEach: number;
  /** bytes from one shared V slot to the next, and of V shared by the threads of a channel-block split (a slot per batch, chunk and group; 0 for a row split) */
  readonly vSlot: number;
  readonly vShared: number;
  /** bytes of a thread's M slot */
  readonly mEach: number;
}

/**
 * The layout of a plan with `tile` x `tile` tiles of a conv of `blocks` output-channel blocks a group computing output rows
 * `outRows` (after `pool`, when one folds in) on `threads` threads: the tile rows, chunks and batches, the split (whole
 * batches of tile rows, or channel blocks), and the bytes of V's and M's slots. planWinograd2d allocates by it and
 * winograd2dWorkBytes counts by it, so the two cannot disagree.
 */
export function winograd2dLayout(layer: Conv2dLayer, blocks: number, pool: Pool2dLayer | null, conv: MapSize, outRows: RowRange, tile: number, threads: number): Winograd2dLayout {
  const points = (tile + 2) * (tile + 2);
  const { ty0, ty1, tp } = tilesOf(pool, conv, outRows, tile);
  const nt = ty1 - ty0;
  const icg = layer.inChannels / layer.groups;
  // When U fits in L2, chunks small enough to keep U, V and M there (whole tile rows make the cores
  // contend for L3); otherwise chunks of at least CHUNK_TILES tiles, so streaming U from memory is amortised.
  const l2Budget = blocking().l2Budget;
  const traffic = splitTraffic(points, icg, blocks, tp, nt, threads, l2Budget);
  const uBytes = traffic.uBytes;
  const tileBytes = points * (icg + blocks * 4) * 4;
  const fitTiles = Math.floor((l2Budget - uBytes) / tileBytes / 4) * 4;
  const tc = uBytes <= 0.7 * l2Budget && fitTiles >= 8 && fitTiles < tp ? evenChunk(tp, fitTiles) : tp;
  const nrBase = tc < tp ? 1 : Math.max(1, Math.min(nt, Math.ceil(CHUNK_TILES / tp)));
  // When U is streamed, batches of either split take as many tile rows as stream the fewest bytes; a channel-block split
  // gives each thread one item of at most traffic.itemBlocks blocks, and replaces an even row split that would stream more.
  const streamed = tc === tp && uBytes > l2Budget;
  const nrRows = batchRows(streamed ? rowBatchRows(traffic, nrBase) : nrBase, nt, threads);
  const rowUnits = Math.ceil(nt / nrRows);
  const even = busiestRows(nt, nrRows, threads) <= 1.15 * (nt / threads);
  const nrBlocks = streamed ? blockBatchRows(traffic, nrBase) : nrBase;
  const byRows = threads === 1 || blocks < 2 * threads || (even && rowUnits >= 2 * threads && !(streamed && blockSplitBytes(traffic, nrBlocks) < rowSplitBytes(traffic, nrRows)));
  const nr = byRows ? nrRows : nrBlocks;
  const vp = nr * tc;
  // Batches pack their tiles; a row's last group of 4 may write 3 lanes past the batch's last tile.
  const vxi = oddLines(icg * align(vp + 3, 8) * 4);
  // M holds the products of the blocks of one item.
  const mxi = oddLines((byRows ? blocks : traffic.itemBlocks) * 4 * vp * 4);
  const tw = Math.ceil(conv.width / tile);
  const units = Math.ceil(nt / nr);
  const chunks = Math.ceil(tp / tc);
  const vEach = points * vxi + 256;
  const vSlot = align(vEach, 64);
  const vShared = byRows ? 0 : vSlot * units * chunks * layer.groups;
  return { ty0, nt, tw, tp, tc, nr, byRows, units, chunks, vxi, mxi, vEach, vSlot, vShared, mEach: points * mxi + WINOGRAD2D_SCRATCH.BYTES + 256 };
}

/**
 * The arena bytes of V and M a plan holds (beside its padded input and output) for output rows `out` of a map `conv`,
 * on `threads` threads: a slot a thread, or (channel-block split) V for every batch. A deep layer's batches span many
 * tile rows, so these grow with the band; the band memory model adds them (src/stream/run-bytes.ts).
 */
export function winograd2dWorkBytes(layer: Conv2dLayer, conv: MapSize, out: RowRange, tile: number, threads: number): number {
  const l = winograd2dLayout(layer, Math.ceil(layer.outChannels / layer.groups / 4), null, conv, out, tile, threads);
  return (l.byRows ? l.vEach * threads : l.vShared) + l.mEach * threads;
}

/** The phases of routine `id` (winograd2d or winograd2d_wide) with tiles of `tile` x `tile` outputs. */
export function planWinograd2d(job: ConvJob<PackedConv>, id: string, tile: number): Phase[] {
  const { arena, threads, layer, packed, fusion: f, out } = job;
  const pool = f.pool;
  const pk = pool ? pool.kernelSize[0] : 1;
  const band = out.band;
  const outRows = { start: band.y0, end: band.y0 + band.height };
  const icg = layer.inChannels / layer.groups;
  const ocg = packed.ocPerGroup;
  const blocks = packed.blocks;
  const { ty0, nt, tw, tp, tc, nr, byRows, units, chunks, vxi, mxi, vEach, vSlot, vShared: vSharedBytes, mEach } = winograd2dLayout(layer, blocks, pool, job.conv, outRows, tile, threads);
  const geometry = winograd2dPadding(layer, pool, job.conv, outRows, job.input.width, tile);
  const padded = planPad(arena, threads, layer, job.input, geometry.iy0, geometry.rows, geometry.pitch, job.index);
  const phases: Phase[] = [padded.phase];

  const m = arena.allocPerThread(mEach, threads);
  // Per-thread V slots, or (channel-block items) one slot per chunk and group, filled beforehand.
  const vOwn = byRows ? arena.allocPerThread(vEach, threads) : undefined;
  const vStride = vOwn ? vOwn.stride : vSlot;
  const vShared = vOwn ? 0 : arena.alloc(vSharedBytes);
  const descs: number[] = [];
  for (let g = 0; g < layer.groups; g++) {
    const d = setGroupFields(descriptor(WINOGRAD2D), g, padded, icg, ocg, packed.groups[g], out, f.act).set({
      W_XI: blocks * icg * 16,
      TP: tp,
      NR: nr,
      V: vOwn ? vOwn.ptr : vShared + g * vStride * units * chunks,
      SHARED: byRows ? 0 : 1,
      NT: nt,
      TW: tw,
      V_STRIDE: vStride,
      M: m.ptr,
      M_STRIDE: m.stride,
      V_XI: vxi,
      M_XI: mxi,
      TC: tc,
      OW: band.width,
      ROW0: (ty0 * tile) / pk - outRows.start,
      ROWS: band.height,
    });
    if (pool) d.set({ POOL: poolCode(pool), PK: pk, POOL_DIV: poolDivisor(pool) });
    descs.push(d.put(arena));
  }
  // Items: whole GEMM batches of NR tile rows (each streams all of U once) when there are enough to
  // share evenly; otherwise channel blocks, each streaming only its share of U (the costly part on deep
  // layers, whose small maps are one batch). Then the input transforms, which every block item would
  // repeat, run first as a phase of their own into a V shared by all threads, split by chunk and input
  // channel (a one-batch map would otherwise leave all but one thread waiting).
  if (!byRows) phases.push(share(units * chunks * icg, threads, (u0, u1) => descs.map((d) => [`${id}_input_f32`, d, u0, u1, TID] as Call)));
  phases.push(
    byRows
      ? share(units, threads, (u0, u1) => descs.map((d) => [`${id}_f32`, d, u0 * nr, Math.min(nt, u1 * nr), 0, blocks, TID] as Call))
      : share(blocks, threads, (b0, b1) => descs.map((d) => [`${id}_f32`, d, 0, nt, b0, b1, TID] as Call), 'one-per-thread'),
  );
  arena.release(padded.ptr, padded.bytes);
  if (vOwn) arena.releasePerThread(vOwn);
  else arena.release(vShared, vSharedBytes);
  arena.releasePerThread(m);
  return phases;
}

/** What a layer whose U does not fit in L2 moves through memory: U, and V and M per tile row. */
export interface SplitTraffic {
  readonly uBytes: number;
  /** the channel blocks of a thread's item in a channel-block split (one equal share each) */
  readonly itemBlocks: number;
  readonly vRowBytes: number;
  /** M per tile row of a channel-block item (itemBlocks blocks) */
  readonly mRowBytes: number;
  /** M per tile row of a row split's batch (all blocks) */
  readonly mRowAllBytes: number;
  /** transform points: V's and M's planes */
  readonly points: number;
  /** tile rows */
  readonly nt: number;
  readonly threads: number;
  /** the L2 bytes a thread may use */
  readonly l2: number;
}

/**
 * The traffic of a layer of `icg` input channels and `blocks` output-channel blocks with `points` transform points, on
 * nt tile rows of tp tiles, shared by `threads` (a channel-block split gives each at most ceil(blocks / threads)).
 */
export function splitTraffic(points: number, icg: number, blocks: number, tp: number, nt: number, threads: number, l2: number): SplitTraffic {
  const itemBlocks = Math.ceil(blocks / threads);
  return { uBytes: points * icg * blocks * 4 * 4, itemBlocks, vRowBytes: points * icg * tp * 4, mRowBytes: points * itemBlocks * 4 * tp * 4, mRowAllBytes: points * blocks * 4 * tp * 4, points, nt, threads, l2 };
}

/**
 * Bytes the busiest thread streams when threads take whole batches of nr tile rows: all of U per batch, what the
 * planner weighs against blockSplitBytes to pick the split. rowBatchBytes, which sizes a row split's batches, adds
 * what of their V and M passes the L2.
 */
export function rowSplitBytes(t: SplitTraffic, nr: number): number {
  return t.uBytes * Math.ceil(Math.ceil(t.nt / nr) / t.threads);
}

/** rowSplitBytes, plus what of each batch's V and M the L2 cannot hold, written (read for ownership, then written back) and read back. */
export function rowBatchBytes(t: SplitTraffic, nr: number): number {
  const spill = Math.max(0, nr * (t.vRowBytes + t.mRowAllBytes) - t.l2);
  return rowSplitBytes(t, nr) + 3 * spill * Math.ceil(Math.ceil(t.nt / nr) / t.threads);
}

/**
 * Tile rows per batch for a row split (at least `least`; on several threads, few enough for two batches a thread):
 * the fewest bytes by rowBatchBytes, while one transform point's V (read again for every block) stays within half of
 * L2, as blockBatchRows keeps it (which also bounds V and M on a tall band). A deep layer's U streams once per batch,
 * so one batch of a whole small map (VGG16's 28x28 on 1 thread) beats two whose V and M would stay in L2.
 */
export function rowBatchRows(t: SplitTraffic, least: number): number {
  return fewestBytesRows(t, least, rowBatchBytes, (nr) => t.threads === 1 || Math.ceil(t.nt / nr) >= 2 * t.threads);
}

/**
 * Bytes each thread streams when threads split channel blocks over batches of nr tile rows: its share of U per batch,
 * its share of V written by the input phase (read for ownership, then written back: twice its bytes), all of V read
 * back, and its M written and read back when a batch's M does not fit in L2.
 */
export function blockSplitBytes(t: SplitTraffic, nr: number): number {
  const batches = Math.ceil(t.nt / nr);
  const m = nr * t.mRowBytes;
  const v = t.nt * t.vRowBytes;
  return (t.uBytes / t.threads) * batches + (2 * v) / t.threads + v + (m > t.l2 ? 2 * m * batches : 0);
}

/**
 * Tile rows per batch for a channel-block split (at least `least`): the fewest bytes streamed by blockSplitBytes,
 * while one transform point's V (read again for every block) stays within half of L2.
 */
export function blockBatchRows(t: SplitTraffic, least: number): number {
  return fewestBytesRows(t, least, blockSplitBytes, () => true);
}

/**
 * Tile rows per batch from `least` up to the first that `allowed` refuses or whose one transform point's V passes half of
 * L2: the first with the fewest bytes by `bytes`.
 */
function fewestBytesRows(t: SplitTraffic, least: number, bytes: (t: SplitTraffic, nr: number) => number, allowed: (nr: number) => boolean): number {
  let best = least;
  for (let nr = least + 1; nr <= t.nt && (nr * t.vRowBytes) / t.points <= t.l2 / 2 && allowed(nr); nr++) if (bytes(t, nr) < bytes(t, best)) best = nr;
  return best;
}

/**
 * Tiles per chunk when a tile row of tp tiles takes several of at most `fit` (>= 8): a multiple of 8,
 * for the fewest chunks, as equal as that allows. A chunk of 4 mod 8 tiles would end on the 4-tile
 * micro-kernel, at half the 8-tile one's work per U load.
 */
export function evenChunk(tp: number, fit: number): number {
  const tc = align(Math.ceil(tp / Math.ceil(tp / fit)), 8);
  return tc <= fit ? tc : Math.floor(fit / 8) * 8;
}
