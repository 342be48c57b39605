// The winograd2d_wide routine: 2-D Winograd F(6x6,3x3) for 3x3 stride-1 convs with many channels on wide maps (outputRowTile
// in src/engine/tiles.ts), as 64 GEMMs: 1.78 multiplies per output against F(4x4,3x3)'s 2.25. Planned as winograd2d is.
import { outputRowTile, WIDE_TILE } from '../../tiles.js';
import { packedBytes, packWinograd2d, type PackedConv } from '../pack.js';
import type { Routine } from '../plan-types.js';
import { planWinograd2d, squarePool, twoD, winograd2dPadding, winograd2dWorkBytes } from './winograd2d.js';

export const winograd2d_wide: Routine<PackedConv> = {
  id: 'winograd2d_wide',
  winograd: true,
  applies: (layer, algorithm, out) => twoD(layer, algorithm) && outputRowTile(layer, out) === WIDE_TILE,
  // Kernel = stride = 2 on both axes: a 6x6 tile holds 3x3 whole windows (4x4 windows would straddle tiles).
  fusesPool: (pool) => squarePool(pool, 2),
  paddedInput: (layer, pool, conv, out, inWidth) => winograd2dPadding(layer, pool, conv, out, inWidth, WIDE_TILE),
  pitchedOutput: true,
  workBytes: (layer, conv, out, threads) => winograd2dWorkBytes(layer, conv, out, WIDE_TILE, threads),
  packedBytes: (layer) => packedBytes.winograd2d(layer, WIDE_TILE),
  pack: (heap, layer, bn) => packWinograd2d(heap, layer, bn, WIDE_TILE),
  plan: (job) => planWinograd2d(job, 'winograd2d_wide', WIDE_TILE),
};
