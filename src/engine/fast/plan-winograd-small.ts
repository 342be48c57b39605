// Plans a 3x3 stride-1 conv with 1..7 input channels per group on winograd_small_f32 (src/wasm/assembly/winograd-small.ts).
import type { RowRange } from '../band.js';
import type { Shape } from '../tensor.js';
import type { AvgPool2dLayer, Conv2dLayer, MaxPool2dLayer } from '../../network/types.js';
import { align, type ArenaAllocator } from './memory.js';
import type { PackedSmall } from './pack.js';
import { descriptor } from './descriptor.js';
import { WINOGRAD2D_SMALL } from './layout.js';
import { allocBand, convLabel, setGroupFields, planPad, setPoolFields, share, type Fusion, type HeapBand } from './plan-parts.js';
import type { Step } from './plan.js';
import { WINOGRAD_TILE } from '../tiles.js';
import { TID, type Call, type Phase } from './protocol.js';

/**
 * Pools the routine folds in: stride = kernel, and the stride a multiple or a divisor of the tile, so
 * units of max(tile, stride) conv rows are both whole tiles and whole windows. Square 2x2 and 4x4
 * windows are pooled inside each tile as it is stored; others from a buffer of the unit's conv rows.
 */
export function winogradSmallPoolFits(pool: MaxPool2dLayer | AvgPool2dLayer): boolean {
  const s = pool.stride[0];
  const t = WINOGRAD_TILE;
  return pool.kernelSize[0] === s && pool.kernelSize[1] === pool.stride[1] && (s % t === 0 || t % s === 0) && s <= 16;
}

export function planWinogradSmall(
  arena: ArenaAllocator,
  threads: number,
  layer: Conv2dLayer,
  packed: PackedSmall,
  f: Fusion,
  prev: HeapBand,
  rows: readonly RowRange[],
  shapes: readonly Shape[],
  i: number,
): { step: Step; out: HeapBand } {
  const tile = WINOGRAD_TILE;
  const pool = f.pool;
  const ps = pool ? pool.stride[0] : 1;
  const unit = Math.max(tile, ps);
  const outRows = pool ? rows[f.last] : rows[i];
  const out = allocBand(arena, pool ? shapes[f.last] : shapes[i], outRows);
  // Units of `unit` conv rows covering the conv rows the outputs need.
  const u0 = Math.floor((outRows.start * ps) / unit);
  const u1 = Math.ceil((outRows.end * ps) / unit);
  const ow = shapes[i].width;
  const tq = Math.ceil(Math.ceil(ow / tile) / 4);
  const pad = layer.padding;
  // Tile row t reads padded rows t*S .. t*S + 5; group q reads columns 4qS .. 4qS + 3S + 5 (+ the loads' spill, covered by slack).
  const padded = planPad(arena, threads, layer, prev, u0 * unit - pad.top, (u1 - u0) * unit + 6 - tile, Math.max(prev.width + pad.left + pad.right, tq * 4 * tile + 6 - tile), i);
  const icg = layer.inChannels / layer.groups;
  const ocg = packed.ocPerGroup;
  // Without a pool, or with square 2x2 / 4x4 windows (pooled inside the tile), a tile row's output rows
  // of every channel go through a row buffer; other pools pool a unit's conv rows from a buffer.
  const inTile = !pool || (pool.kernelSize[0] === pool.kernelSize[1] && (ps === 2 || ps === 4));
  const perTileRow = tile / ps;
  const bufPitch = align((pool ? out.width : ow) + 4, 4);
  const rowsBytes = inTile ? ocg * perTileRow * bufPitch * 4 : (ocg * (unit * ow + 16) + ow + 16) * 4;
  const scratchStride = align(2048 + icg * 36 * 16 + rowsBytes + 256, 64);
  const scratch = arena.alloc(scratchStride * threads);
  const descs: number[] = [];
  for (let g = 0; g < layer.groups; g++) {
    const d = setGroupFields(descriptor(WINOGRAD2D_SMALL), g, padded, icg, ocg, packed.groups[g], out, f).set({
      S: tile,
      TQ: tq,
      OW: ow,
      ROW0: (u0 * unit) / ps - outRows.start,
      ROWS: out.height,
      UNIT: unit,
      SCRATCH: scratch,
      SCRATCH_STRIDE: scratchStride,
      BUF_PITCH: inTile ? bufPitch : 0,
    });
    if (pool) setPoolFields(d, pool, out.width);
    descs.push(d.put(arena));
  }
  const phases: Phase[] = [padded.phase, share(u1 - u0, threads, (a, b) => descs.map((d) => ['winograd2d_small_f32', d, a, b, TID] as Call))];
  arena.release(padded.ptr, padded.bytes);
  arena.release(scratch, scratchStride * threads);
  return { step: { kind: 'wasm', label: convLabel(i, f, 'winograd-small'), first: i, last: f.last, phases }, out };
}
