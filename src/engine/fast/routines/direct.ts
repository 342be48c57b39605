// The direct routine: a conv as an indirect GEMM over its input rows read in place (x-stride 1), 4 output channels x 8 pixels per micro-kernel step.
import { packConv, packedBytes, type PackedConv } from '../pack.js';
import type { Routine } from '../plan-types.js';
import { conv2dPadding, planConv2d } from './conv2d.js';

export const direct: Routine<PackedConv> = {
  id: 'direct',
  // The last in the list: it runs any conv (a strided one is caught by the strided routine first).
  applies: () => true,
  // Pools with kernel = stride: conv rows folded into an L1 row accumulator, chunk by chunk (conv2d.ts pooledDirect).
  fusesPool: () => true,
  paddedInput: (layer, pool, conv, out, inWidth) => conv2dPadding(layer, pool, conv, out, inWidth, false),
  pitchedOutput: true,
  packedBytes: (layer) => packedBytes.conv(layer),
  pack: packConv,
  plan: (job) => planConv2d(job, 'direct'),
};
