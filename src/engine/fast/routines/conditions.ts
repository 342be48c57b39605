// Layer conditions several routines' applies() share: channels per group, unit x-steps, and which Winograd routines 'auto' wants.
import type { Conv2dLayer } from '../../../network/types.js';
import { rankOne } from '../pack.js';
import type { Algorithm } from '../plan-types.js';

/** Input channels per group. */
export function groupIn(layer: Conv2dLayer): number {
  return layer.inChannels / layer.groups;
}

/** Output channels per group. */
export function groupOut(layer: Conv2dLayer): number {
  return layer.outChannels / layer.groups;
}

/** Stride 1 and dilation 1 along x: what every Winograd routine needs (its tiles are contiguous columns). */
export function unitX(layer: Conv2dLayer): boolean {
  return layer.stride[1] === 1 && layer.dilation[1] === 1;
}

/**
 * Few enough input channels per group (1..7) for the Winograd routines that sum products over channels
 * in registers (winograd2d_small, winograd1d_small). 'auto' also wants >= 4 outputs per group (they
 * share one input transform between the outputs) and leaves rank-1 banks of one input channel to the
 * separable routine.
 */
export function fewChannels(layer: Conv2dLayer, algorithm: Algorithm): boolean {
  const icg = groupIn(layer);
  return icg <= 7 && (algorithm !== 'auto' || (groupOut(layer) >= 4 && !(icg === 1 && rankOne(layer))));
}

/** Enough channels for the Winograd routines built on GEMMs (winograd2d, winograd1d): 'auto' wants >= 8 in and out per group. */
export function manyChannels(layer: Conv2dLayer, algorithm: Algorithm): boolean {
  return algorithm !== 'auto' || (groupIn(layer) >= 8 && groupOut(layer) >= 8);
}
