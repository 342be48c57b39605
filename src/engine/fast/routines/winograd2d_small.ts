// The winograd2d_small routine: 2-D Winograd F(4x4,3x3) for 3x3 stride-1 convs with 1..7 input channels per group,
// products summed over channels in registers, 4 output channels a vector, no GEMM (src/wasm/assembly/winograd2d_small.ts).
import type { RowRange } from '../../band.js';
import type { Shape } from '../../tensor.js';
import { outputRowTile, WINOGRAD_TILE } from '../../tiles.js';
import type { Conv2dLayer } from '../../../network/types.js';
import { descriptor } from '../descriptor.js';
import { WINOGRAD2D_SMALL, WINOGRAD2D_SMALL_SCRATCH } from '../layout.js';
import { align } from '../memory.js';
import { packedBytes, packWinograd2d, type PackedConv } from '../pack.js';
import { planPad, setGroupFields, setPoolFields, share } from '../plan-parts.js';
import type { ConvJob, PadGeometry, Pool2dLayer, Routine } from '../plan-types.js';
import { TID, type Call, type Phase } from '../protocol.js';
import { fewChannels, groupIn } from './conditions.js';

export const winograd2d_small: Routine<PackedConv> = {
  id: 'winograd2d_small',
  winograd: true,
  // 'auto' leaves a single input channel to winograd1d_small (3 steps per point on its 3-step
  // micro-kernel beat this routine's 36 products per tile there); 'winograd-x' keeps Winograd row-wise.
  applies: (layer, algorithm, out) => outputRowTile(layer, out) === WINOGRAD_TILE && fewChannels(layer, algorithm) && (algorithm === 'winograd' || (algorithm === 'auto' && groupIn(layer) >= 2)),
  // Stride = kernel, and the stride a multiple or a divisor of the tile, so units of max(tile, stride)
  // conv rows are both whole tiles and whole windows. Square 2x2 and 4x4 windows are pooled inside
  // each tile as it is stored; others from a buffer of the unit's conv rows.
  fusesPool: (pool) => {
    const s = pool.stride[0];
    const t = WINOGRAD_TILE;
    return pool.kernelSize[0] === s && pool.kernelSize[1] === pool.stride[1] && (s % t === 0 || t % s === 0) && s <= 16;
  },
  paddedInput: smallPadding,
  pitchedOutput: true,
  packedBytes: (layer) => packedBytes.winograd2d(layer, 4),
  pack: (heap, layer, bn) => packWinograd2d(heap, layer, bn, 4),
  plan: planWinograd2dSmall,
};

/** Units of max(tile, pool stride) conv rows covering the output rows `out`: [u0, u1). */
function units(pool: Pool2dLayer | null, out: RowRange): { unit: number; u0: number; u1: number } {
  const ps = pool ? pool.stride[0] : 1;
  const unit = Math.max(WINOGRAD_TILE, ps);
  return { unit, u0: Math.floor((out.start * ps) / unit), u1: Math.ceil((out.end * ps) / unit) };
}

/**
 * The padded input: tile row t reads padded rows t*S .. t*S + 5; group q of 4 tiles reads columns 4qS .. 4qS + 3S + 5
 * (+ the loads' spill, covered by slack).
 */
function smallPadding(layer: Conv2dLayer, pool: Pool2dLayer | null, conv: Shape, out: RowRange, inWidth: number): PadGeometry {
  const tile = WINOGRAD_TILE;
  const { unit, u0, u1 } = units(pool, out);
  const tq = Math.ceil(Math.ceil(conv.width / tile) / 4);
  const pad = layer.padding;
  return { iy0: u0 * unit - pad.top, rows: (u1 - u0) * unit + 6 - tile, pitch: Math.max(inWidth + pad.left + pad.right, tq * 4 * tile + 6 - tile) };
}

function planWinograd2dSmall(job: ConvJob<PackedConv>): Phase[] {
  const { arena, threads, layer, packed, fusion: f, out } = job;
  const tile = WINOGRAD_TILE;
  const pool = f.pool;
  const ps = pool ? pool.stride[0] : 1;
  const band = out.band;
  const outRows = { start: band.y0, end: band.y0 + band.height };
  const { unit, u0, u1 } = units(pool, outRows);
  const ow = job.conv.width;
  const tq = Math.ceil(Math.ceil(ow / tile) / 4);
  const geometry = smallPadding(layer, pool, job.conv, outRows, job.input.width);
  const padded = planPad(arena, threads, layer, job.input, geometry.iy0, geometry.rows, geometry.pitch, job.index);
  const icg = layer.inChannels / layer.groups;
  const ocg = packed.ocPerGroup;
  // Without a pool, or with square 2x2 / 4x4 windows (pooled inside the tile), a tile row's output rows
  // of every channel go through a row buffer; other pools pool a unit's conv rows from a buffer.
  const inTile = !pool || (pool.kernelSize[0] === pool.kernelSize[1] && (ps === 2 || ps === 4));
  const perTileRow = tile / ps;
  const bufPitch = align((pool ? band.width : ow) + 4, 4);
  const rowsBytes = inTile ? ocg * perTileRow * bufPitch * 4 : (ocg * (unit * ow + 16) + ow + 16) * 4;
  const scratch = arena.allocPerThread(WINOGRAD2D_SMALL_SCRATCH.V + icg * 36 * 16 + rowsBytes + 256, threads);
  const descs: number[] = [];
  for (let g = 0; g < layer.groups; g++) {
    const d = setGroupFields(descriptor(WINOGRAD2D_SMALL), g, padded, icg, ocg, packed.groups[g], out, f.act).set({
      S: tile,
      TQ: tq,
      OW: ow,
      ROW0: (u0 * unit) / ps - outRows.start,
      ROWS: band.height,
      UNIT: unit,
      SCRATCH: scratch.ptr,
      SCRATCH_STRIDE: scratch.stride,
      BUF_PITCH: inTile ? bufPitch : 0,
    });
    if (pool) setPoolFields(d, pool, band.width);
    descs.push(d.put(arena));
  }
  const phases: Phase[] = [padded.phase, share(u1 - u0, threads, (a, b) => descs.map((d) => ['winograd2d_small_f32', d, a, b, TID] as Call))];
  arena.release(padded.ptr, padded.bytes);
  arena.releasePerThread(scratch);
  return phases;
}
