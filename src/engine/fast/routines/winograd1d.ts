// The winograd1d routine: row-wise Winograd F(4,3) for 3-wide x-stride-1 convs with many channels, as 6 GEMMs over the transformed rows.
import { packedBytes, packWinograd1d, type PackedConv } from '../pack.js';
import type { Routine } from '../plan-types.js';
import { manyChannels, unitX } from './conditions.js';
import { conv2dPadding, planConv2d } from './conv2d.js';

export const winograd1d: Routine<PackedConv> = {
  id: 'winograd1d',
  winograd: true,
  // After winograd2d in the list, so it takes the 3-wide convs that routine leaves (other heights,
  // y-strides and dilations, or 'winograd-x'). Transforms along x only: an output's bits depend on
  // whole rows, never on the band.
  applies: (layer, algorithm) => algorithm !== 'direct' && layer.kernelSize[1] === 3 && unitX(layer) && manyChannels(layer, algorithm),
  fusesPool: () => true,
  paddedInput: (layer, pool, conv, out, inWidth) => conv2dPadding(layer, pool, conv, out, inWidth, true),
  pitchedOutput: true,
  packedBytes: (layer) => packedBytes.winograd1d(layer),
  pack: packWinograd1d,
  plan: (job) => planConv2d(job, 'winograd1d'),
};
