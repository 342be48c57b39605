// Output-row tiles: convs the fast engine may compute in tiles of several output rows (2-D Winograd), whose input bands must hold whole tiles.
import type { Layer } from '../network/types.js';

/** The size of a layer's full output map (bands share it with whole runs). */
export interface MapSize {
  readonly height: number;
  readonly width: number;
}

/** Output rows (and columns) per 2-D Winograd F(4x4,3x3) tile. */
export const WINOGRAD_TILE = 4;

/** Output rows (and columns) per 2-D Winograd F(6x6,3x3) tile, for maps where it pays (wideTilesPay). */
export const WIDE_TILE = 6;

/**
 * Vector operations (loads, shuffles, arithmetic, stores) per group of 4 tiles (one per SIMD lane) and
 * channel in the input and output transforms, estimated from src/wasm/assembly/f43.ts and f63.ts.
 */
const TRANSFORM_OPS: Record<number, { readonly input: number; readonly output: number }> = {
  [WINOGRAD_TILE]: { input: 340, output: 290 },
  [WIDE_TILE]: { input: 930, output: 656 },
};

/**
 * How much cheaper F(6x6) must model than F(4x4) to be used. The model leaves out how well each keeps
 * U, V and M in cache; near-ties measure either way (bench/winograd-tiles.mjs: 512 -> 512 channels on
 * 28x28, modelled 1.035x, measured 0.98x; 64 -> 64 on 56x56, modelled 1.04x, measured 1.07x), and a
 * near-tie left at 4x4 tiles keeps the smaller rounding error.
 */
const WIDE_MARGIN = 1.05;

/**
 * Modelled cycles of a 2-D Winograd conv with `tile` x `tile` output tiles on an output map of `height` x
 * `width`: tiles (tile rows x tiles per row, packed across rows and rounded up to a group of 4) times
 * (tile + 2)^2 GEMM multiply-adds per channel pair at two 4-lane FMAs a cycle, plus the transforms at
 * three operations a cycle.
 */
function winogradCycles(tile: number, icg: number, ocg: number, height: number, width: number): number {
  const tiles = Math.ceil((Math.ceil(height / tile) * Math.ceil(width / tile)) / 4) * 4;
  const ops = TRANSFORM_OPS[tile];
  return (tiles * (tile + 2) ** 2 * icg * ocg) / 8 + ((tiles / 4) * (icg * ops.input + ocg * ops.output)) / 3;
}

/**
 * Whether F(6x6,3x3) (1.78 multiplies per output) beats F(4x4,3x3) (2.25) on a conv with `icg` and `ocg`
 * channels per group and an output map of `height` x `width`: it loses where rounding the map up to whole
 * 6x6 tiles costs more than it saves (a 14x14 map: 18x18 outputs against 16x16), and where few channels
 * leave the time in its costlier transforms.
 */
export function wideTilesPay(icg: number, ocg: number, height: number, width: number): boolean {
  return winogradSpeedup(icg, ocg, height, width) >= WIDE_MARGIN;
}

/** The modelled time of 4x4 tiles over that of 6x6 tiles on such a conv (> 1: 6x6 tiles cheaper). */
export function winogradSpeedup(icg: number, ocg: number, height: number, width: number): number {
  return winogradCycles(WINOGRAD_TILE, icg, ocg, height, width) / winogradCycles(WIDE_TILE, icg, ocg, height, width);
}

/**
 * Output rows per tile of a conv whose full output map is `out`: for a 3x3 conv with stride 1 and
 * dilation 1, which the fast engine may run as 2-D Winograd, 6 (F(6x6,3x3)) with >= 8 channels in and
 * out per group where wideTilesPay, else 4 (F(4x4,3x3)); 1 for other layers. Every output's bits then
 * depend on its whole tile, anchored at output row 0 of the full map. It depends only on the layer and
 * the full map's size, which bands share with whole runs, so every engine and band plan agrees on it.
 * CNNX_WINOGRAD_TILE=4 or 6 forces one size where either may run, for measuring the cost model
 * (bench/winograd-tiles.mjs); it is read at every call, so set it before planning, not during a run.
 */
export function outputRowTile(layer: Layer, out: MapSize): number {
  if (layer.type !== 'conv2d') return 1;
  const [kh, kw] = layer.kernelSize;
  const unit = layer.stride[0] === 1 && layer.stride[1] === 1 && layer.dilation[0] === 1 && layer.dilation[1] === 1;
  if (!unit || kh !== 3 || kw !== 3) return 1;
  const icg = layer.inChannels / layer.groups;
  const ocg = layer.outChannels / layer.groups;
  if (icg < 8 || ocg < 8) return WINOGRAD_TILE;
  const forced = Number(process.env.CNNX_WINOGRAD_TILE);
  if (forced === WINOGRAD_TILE || forced === WIDE_TILE) return forced;
  return wideTilesPay(icg, ocg, out.height, out.width) ? WIDE_TILE : WINOGRAD_TILE;
}
