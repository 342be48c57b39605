// The strided routine: a conv with x-stride > 1, its taps gathered per row into a unit-stride panel, then the direct routine's GEMM.
import { packConv, type PackedConv } from '../pack.js';
import type { Routine } from '../plan-types.js';
import { planConv2d } from './conv2d.js';

export const strided: Routine<PackedConv> = {
  id: 'strided',
  applies: (layer) => layer.stride[1] !== 1,
  fusesPool: () => true,
  pack: packConv,
  plan: (job) => planConv2d(job, 'strided'),
};
