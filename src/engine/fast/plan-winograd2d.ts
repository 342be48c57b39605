// Plans a 3x3 stride-1 conv on 2-D Winograd F(4x4,3x3) (src/wasm/assembly/winograd2d.ts): a padding phase, then tile rows or channel blocks split across threads.
import type { RowRange } from '../band.js';
import type { Shape } from '../tensor.js';
import { WINOGRAD_TILE } from '../tiles.js';
import type { AvgPool2dLayer, Conv2dLayer, MaxPool2dLayer } from '../../network/types.js';
import { align, type ArenaAllocator } from './memory.js';
import type { PackedConv } from './pack.js';
import { descriptor } from './descriptor.js';
import { WINOGRAD2D } from './layout.js';
import { allocBand, convLabel, setGroupFields, planPad, poolCode, poolDivisor, share, type Fusion, type HeapBand } from './plan-parts.js';
import type { Step } from './plan.js';
import { TID, type Call, type Phase } from './protocol.js';

/** Tiles per chunk the planner aims for when U does not fit in L2: U is streamed once per chunk, so shorter chunks would make the GEMMs wait on memory. */
const CHUNK_TILES = 32;
/** L2 bytes a chunk may fill with U, V and M when U fits (1 MiB per core here, some left for the input rows). */
const L2_BUDGET = 900 * 1024;

/**
 * Pools the output transform folds in: kernel = stride, 2 or 4 on both axes, so a 4x4 tile holds whole
 * windows (fusionAfter has checked the rest: no padding, no partial windows).
 */
export function winograd2dPoolFits(pool: MaxPool2dLayer | AvgPool2dLayer): boolean {
  const [kh, kw] = pool.kernelSize;
  const [sh, sw] = pool.stride;
  return kh === kw && sh === kh && sw === kw && (kh === 2 || kh === 4);
}

/**
 * A plane stride of an odd number of 64-byte lines: the transforms touch all 36 planes of V or M at
 * once, and with power-of-two-like strides those 36 lines fall into the same few L1/L2 sets and evict
 * each other (measured: the output transform took 3x the time of all 36 GEMMs). Odd line counts put
 * them in 36 different sets.
 */
function oddLines(bytes: number): number {
  const lines = Math.ceil(bytes / 64);
  return (lines % 2 ? lines : lines + 1) * 64;
}

/**
 * Tile rows per GEMM batch: `nr`, or down to half of it when that lets whole batches split evenly
 * across the threads. VGG's 56x56 layers made 7 batches of 2 tile rows, 4 and 3 per thread on 2 (1.75x
 * at best); 14 batches of 1 ran 36.5 ms instead of 39.9 at 2 threads and, with V and M smaller in L2,
 * 65 instead of 70 on 1 (interleaved medians). Bits do not depend on the batch.
 */
function batchRows(nr: number, nt: number, threads: number): number {
  if (threads === 1) return nr;
  for (let r = nr; r >= Math.max(1, nr >> 1); r--) if (Math.ceil(nt / r) % threads === 0) return r;
  return nr;
}

export function planWinograd2d(
  arena: ArenaAllocator,
  threads: number,
  layer: Conv2dLayer,
  packed: PackedConv,
  f: Fusion,
  prev: HeapBand,
  rows: readonly RowRange[],
  shapes: readonly Shape[],
  i: number,
): { step: Step; out: HeapBand } {
  const tile = WINOGRAD_TILE;
  const pool = f.pool;
  const pk = pool ? pool.kernelSize[0] : 1;
  // Conv rows: the requested ones, or exactly those the fused pool reads.
  const outRows = pool ? rows[f.last] : rows[i];
  const out = allocBand(arena, pool ? shapes[f.last] : shapes[i], outRows);
  const ty0 = Math.floor((outRows.start * pk) / tile);
  const ty1 = Math.ceil((outRows.end * pk) / tile);
  const nt = ty1 - ty0;
  const ow = shapes[i].width;
  const tp = align(Math.ceil(ow / tile), 4);
  const pad = layer.padding;
  // Tile t reads padded rows 4t..4t+5 and columns 4tx..4tx+5.
  const padded = planPad(arena, threads, layer, prev, ty0 * tile - pad.top, nt * tile + 2, Math.max(prev.width + pad.left + pad.right, tp * tile + 2), i);
  const phases: Phase[] = [padded.phase];

  const icg = layer.inChannels / layer.groups;
  const ocg = packed.ocPerGroup;
  const blocks = packed.blocks;
  // When U fits in L2, chunks small enough to keep U, V and M there (W2's 64 -> 64 at 224x224 scaled
  // 1.2x from 1 to 2 threads with whole 56-tile rows, the two cores contending for L3); otherwise
  // chunks of at least CHUNK_TILES tiles, so streaming U from memory is amortised.
  const uBytes = 36 * icg * blocks * 4 * 4;
  const tileBytes = 36 * (icg + blocks * 4) * 4;
  const fitTiles = Math.floor((L2_BUDGET - uBytes) / tileBytes / 4) * 4;
  const tc = uBytes <= 0.7 * L2_BUDGET && fitTiles >= 8 && fitTiles < tp ? evenChunk(tp, fitTiles) : tp;
  const nrBase = tc < tp ? 1 : Math.max(1, Math.min(nt, Math.ceil(CHUNK_TILES / tp)));
  const nrRows = batchRows(nrBase, nt, threads);
  const rowUnits = Math.ceil(nt / nrRows);
  const even = Math.ceil(rowUnits / threads) <= 1.15 * (rowUnits / threads);
  const byRows = threads === 1 || (even && rowUnits >= 2 * threads) || blocks < 2 * threads;
  // Channel-block items stream all of U once per batch, so they keep the fewest batches: evening out
  // batches for them made VGG's 14x14 layers two batches of 3 and 1 tile rows, and each thread's
  // block item read its half of U twice (10.1 instead of 12.6 ms at 2 threads for 512 -> 512).
  const nr = byRows ? nrRows : nrBase;
  const vp = nr * tc;
  const vxi = oddLines(icg * align(vp, 8) * 4);
  const mxi = oddLines(blocks * 4 * vp * 4);
  const vStride = align(36 * vxi + 256, 64);
  const mStride = align(36 * mxi + 1024 + 256, 64);
  const mPtr = arena.alloc(mStride * threads);
  const units = Math.ceil(nt / nr);
  const chunks = Math.ceil(tp / tc);
  // Per-thread V slots, or (channel-block items) one slot per chunk and group, filled beforehand.
  const vBytes = byRows ? vStride * threads : vStride * units * chunks * layer.groups;
  const vPtr = arena.alloc(vBytes);
  const descs: number[] = [];
  for (let g = 0; g < layer.groups; g++) {
    const d = setGroupFields(descriptor(WINOGRAD2D), g, padded, icg, ocg, packed.groups[g], out, f).set({
      W_XI: blocks * icg * 16,
      TP: tp,
      NR: nr,
      V: byRows ? vPtr : vPtr + g * vStride * units * chunks,
      SHARED: byRows ? 0 : 1,
      NT: nt,
      V_STRIDE: vStride,
      M: mPtr,
      M_STRIDE: mStride,
      V_XI: vxi,
      M_XI: mxi,
      TC: tc,
      OW: out.width,
      ROW0: (ty0 * tile) / pk - outRows.start,
      ROWS: out.height,
    });
    if (pool) d.set({ POOL: poolCode(pool), PK: pk, POOL_DIV: poolDivisor(pool) });
    descs.push(d.put(arena));
  }
  // Items: whole GEMM batches of NR tile rows (each streams all of U once) when there are enough to
  // share evenly; otherwise channel blocks, each streaming only its share of U (the costly part: 38 MB
  // for VGG's 512 -> 512 layers, whose 14x14 maps are one batch). Then the input transforms, which
  // every block item would repeat, run first as a phase of their own into a V shared by all threads.
  if (!byRows) phases.push(share(units * chunks, threads, (u0, u1) => descs.map((d) => ['winograd2d_input_f32', d, u0, u1, TID] as Call)));
  phases.push(
    byRows
      ? share(units, threads, (u0, u1) => descs.map((d) => ['winograd2d_f32', d, u0 * nr, Math.min(nt, u1 * nr), 0, blocks, TID] as Call))
      : share(blocks, threads, (b0, b1) => descs.map((d) => ['winograd2d_f32', d, 0, nt, b0, b1, TID] as Call), 1),
  );
  arena.release(padded.ptr, padded.bytes);
  arena.release(vPtr, vBytes);
  arena.release(mPtr, mStride * threads);
  return { step: { kind: 'wasm', label: convLabel(i, f, 'winograd-2d'), first: i, last: f.last, phases }, out };
}

/**
 * Tiles per chunk when a tile row of tp tiles takes several of at most `fit` (>= 8): a multiple of 8,
 * for the fewest chunks, as equal as that allows. A chunk of 4 mod 8 tiles ends on the 4-tile
 * micro-kernel, at half the 8-tile one's work per U load: W1's 32 -> 64 at 256 wide made chunks of 44
 * and 20 tiles, and 2 of every 9 micro-kernel calls were 4 wide (the layer 1.07-1.10x faster without).
 */
export function evenChunk(tp: number, fit: number): number {
  const tc = align(Math.ceil(tp / Math.ceil(tp / fit)), 8);
  return tc <= fit ? tc : Math.floor(fit / 8) * 8;
}
