// The fast engine's conv routines in the order the planner asks them: the first that applies to a conv runs it.
import type { Conv2dLayer } from '../../../network/types.js';
import type { MapSize } from '../../tiles.js';
import type { Algorithm, Routine } from '../plan-types.js';
import { direct } from './direct.js';
import { depthwise } from './depthwise.js';
import { pointwise } from './pointwise.js';
import { separable } from './separable.js';
import { strided } from './strided.js';
import { winograd1d } from './winograd1d.js';
import { winograd1d_small } from './winograd1d_small.js';
import { winograd2d } from './winograd2d.js';
import { winograd2d_small } from './winograd2d_small.js';
import { winograd2d_wide } from './winograd2d_wide.js';

/**
 * Most specific first: the Winograd routines (the few-channel ones before those built on GEMMs, 2-D
 * before row-wise), then the depthwise ones, pointwise (1x1), then strided, and direct, which runs anything. Adding a
 * routine: one module exporting a Routine, one entry here.
 */
export const ROUTINES: readonly Routine[] = [winograd2d_small, winograd1d_small, winograd2d_wide, winograd2d, winograd1d, separable, depthwise, pointwise, strided, direct];

/**
 * The routine that runs `layer` under `algorithm` on a full output map of size `out`: it depends on
 * nothing else, and bands share the full map's size, so band and whole-map runs compute the same bits.
 */
export function routineFor(layer: Conv2dLayer, algorithm: Algorithm, out: MapSize): Routine {
  return ROUTINES.find((r) => r.applies(layer, algorithm, out))!;
}
