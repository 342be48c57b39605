// Output-row tiles: convs the fast engine may compute in tiles of several output rows (2-D Winograd), whose input bands must hold whole tiles.
import type { Layer } from '../network/types.js';

/** Output rows (and columns) per 2-D Winograd F(4x4,3x3) tile. */
export const WINOGRAD_TILE = 4;

/**
 * Output rows per tile: 4 for a 3x3 conv with stride 1 and dilation 1, which the fast engine may run
 * as 2-D Winograd F(4x4,3x3) (every output's bits then depend on its whole tile, anchored at output
 * row 0 of the full map), else 1. It depends only on the layer's shape, so every engine and band plan
 * agrees on it.
 */
export function outputRowTile(layer: Layer): number {
  if (layer.type !== 'conv2d') return 1;
  const [kh, kw] = layer.kernelSize;
  const unit = layer.stride[0] === 1 && layer.stride[1] === 1 && layer.dilation[0] === 1 && layer.dilation[1] === 1;
  return unit && kh === 3 && kw === 3 ? WINOGRAD_TILE : 1;
}
