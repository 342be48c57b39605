// Plans a conv 3 or 5 wide (x-stride 1, dilation 1) on winograd_rows_f32 (src/wasm/assembly/winograd-rows.ts): row-wise F(4,3) or F(4,5).
import type { RowRange } from '../band.js';
import type { Shape } from '../tensor.js';
import type { Conv2dLayer } from '../../network/types.js';
import { align, type ArenaAllocator } from './memory.js';
import type { PackedSmall } from './pack.js';
import { descriptor } from './descriptor.js';
import { WINOGRAD1D_SMALL } from './layout.js';
import { allocBand, convLabel, setGroupFields, planPad, setPoolFields, share, type Fusion, type HeapBand } from './plan-parts.js';
import type { Step } from './plan.js';
import { TID, type Call } from './protocol.js';

/** The ring of transformed rows holds KH slots; the routine keeps their tags in 128 bytes. */
export const ROWS_MAX_KH = 32;

export function planWinogradRows(
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
  const [kh, kw] = layer.kernelSize;
  const [sy] = layer.stride;
  const pad = layer.padding;
  const pool = f.pool;
  // Conv rows: the requested ones, or exactly those the fused pool (stride = kernel) reads.
  const outRows = pool ? rows[f.last] : rows[i];
  const convRows = pool ? { start: outRows.start * pool.stride[0], end: outRows.end * pool.stride[0] } : outRows;
  const out = allocBand(arena, pool ? shapes[f.last] : shapes[i], outRows);
  const ow = shapes[i].width;
  const tq = Math.ceil(ow / 16);
  const iy0 = convRows.start * sy - pad.top;
  const iy1 = (convRows.end - 1) * sy - pad.top + kh;
  // Group q reads padded columns 16q .. 16q + 19; columns past the padded map are zeros.
  const padded = planPad(arena, threads, layer, prev, iy0, iy1 - iy0, Math.max(prev.width + pad.left + pad.right, 16 * tq + 4), i);
  const icg = layer.inChannels / layer.groups;
  const ocg = packed.ocPerGroup;
  // Ring [TQ][steps padded to chunks of 5][8 points] x 16 bytes, products M [2 output channels][TQ][8] x 16 bytes.
  const ringBytes = tq * Math.ceil((icg * kh) / 5) * 640;
  const rowsBytes = pool ? (ocg * (tq * 16 + 16) + ow + 16) * 4 : 0;
  const scratchStride = align(128 + ringBytes + tq * 256 + rowsBytes + 256, 64);
  const scratch = arena.alloc(scratchStride * threads);
  const descs: number[] = [];
  for (let g = 0; g < layer.groups; g++) {
    const d = setGroupFields(descriptor(WINOGRAD1D_SMALL), g, padded, icg, ocg, packed.groups[g], out, f).set({
      KH: kh,
      SY: sy,
      ROW0: convRows.start * sy,
      TQ: tq,
      OW: ow,
      SCRATCH: scratch,
      SCRATCH_STRIDE: scratchStride,
      R: kw,
    });
    if (pool) setPoolFields(d, pool, out.width);
    descs.push(d.put(arena));
  }
  // Contiguous row ranges, so the ring reuses the rows the previous output row of the item transformed.
  const compute = share(out.height, threads, (a, b) => descs.map((d) => ['winograd1d_small_f32', d, a, b, TID] as Call));
  arena.release(padded.ptr, padded.bytes);
  arena.release(scratch, scratchStride * threads);
  return { step: { kind: 'wasm', label: convLabel(i, f, `winograd-x${kw}`), first: i, last: f.last, phases: [padded.phase, compute] }, out };
}
