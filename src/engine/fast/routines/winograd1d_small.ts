// The winograd1d_small routine: row-wise Winograd F(4,3) / F(4,5) for 3- or 5-wide convs (x-stride and dilation 1) with 1..7
// input channels per group, products summed over channels and kernel rows in registers (src/wasm/assembly/winograd1d_small.ts).
import { descriptor } from '../descriptor.js';
import { WINOGRAD1D_SMALL } from '../layout.js';
import { packedBytes, packWinograd1dSmall, type PackedSmall } from '../pack.js';
import { planPad, setGroupFields, setPoolFields, share } from '../plan-parts.js';
import type { RowRange } from '../../band.js';
import type { Shape } from '../../tensor.js';
import type { Conv2dLayer } from '../../../network/types.js';
import type { ConvJob, PadGeometry, Pool2dLayer, Routine } from '../plan-types.js';
import { TID, type Call, type Phase } from '../protocol.js';
import { fewChannels, unitX } from './conditions.js';
import { convRows } from './conv2d.js';

/** The ring of transformed rows holds KH slots; the routine keeps their tags in 128 bytes. */
const MAX_KH = 32;

export const winograd1d_small: Routine<PackedSmall> = {
  id: 'winograd1d_small',
  winograd: true,
  applies: (layer, algorithm) => {
    const [kh, kw] = layer.kernelSize;
    return algorithm !== 'direct' && unitX(layer) && layer.dilation[0] === 1 && kh <= MAX_KH && (kw === 3 || kw === 5) && fewChannels(layer, algorithm);
  },
  // Kernel = stride: a window's conv rows fold into a row accumulator.
  fusesPool: () => true,
  paddedInput: smallPadding,
  pitchedOutput: true,
  packedBytes: (layer) => packedBytes.winograd1dSmall(layer),
  pack: packWinograd1dSmall,
  plan: planWinograd1dSmall,
};

/** The padded input: the rows the conv rows read (convRows); group q of 16 outputs reads padded columns 16q .. 16q + 19 (columns past the padded map are zeros). */
function smallPadding(layer: Conv2dLayer, pool: Pool2dLayer | null, conv: Shape, out: RowRange, inWidth: number): PadGeometry {
  const pad = layer.padding;
  const { iy0, iy1 } = convRows(layer, pool, out);
  return { iy0, rows: iy1 - iy0, pitch: Math.max(inWidth + pad.left + pad.right, 16 * Math.ceil(conv.width / 16) + 4) };
}

function planWinograd1dSmall(job: ConvJob<PackedSmall>): Phase[] {
  const { arena, threads, layer, packed, fusion: f, out } = job;
  const [kh, kw] = layer.kernelSize;
  const [sy] = layer.stride;
  const pool = f.pool;
  const band = out.band;
  const outRows = { start: band.y0, end: band.y0 + band.height };
  // Conv rows: the requested ones, or exactly those the fused pool (kernel = stride) reads.
  const { rows } = convRows(layer, pool, outRows);
  const ow = job.conv.width;
  const tq = Math.ceil(ow / 16);
  const geometry = smallPadding(layer, pool, job.conv, outRows, job.input.width);
  const padded = planPad(arena, threads, layer, job.input, geometry.iy0, geometry.rows, geometry.pitch, job.index);
  const icg = layer.inChannels / layer.groups;
  const ocg = packed.ocPerGroup;
  // Ring [TQ][steps padded to chunks of 5][8 points] x 16 bytes, products M [2 output channels][TQ][8] x 16 bytes.
  const ringBytes = tq * Math.ceil((icg * kh) / 5) * 640;
  const rowsBytes = pool ? (ocg * (tq * 16 + 16) + ow + 16) * 4 : 0;
  const scratch = arena.allocPerThread(128 + ringBytes + tq * 256 + rowsBytes + 256, threads);
  const descs: number[] = [];
  for (let g = 0; g < layer.groups; g++) {
    const d = setGroupFields(descriptor(WINOGRAD1D_SMALL), g, padded, icg, ocg, packed.groups[g], out, f.act).set({
      KH: kh,
      SY: sy,
      ROW0: rows.start * sy,
      TQ: tq,
      OW: ow,
      SCRATCH: scratch.ptr,
      SCRATCH_STRIDE: scratch.stride,
      R: kw,
    });
    if (pool) setPoolFields(d, pool, band.width);
    descs.push(d.put(arena));
  }
  // Contiguous row ranges, so the ring reuses the rows the previous output row of the item transformed.
  const compute = share(band.height, threads, (a, b) => descs.map((d) => ['winograd1d_small_f32', d, a, b, TID] as Call));
  arena.release(padded.ptr, padded.bytes);
  arena.releasePerThread(scratch);
  return [padded.phase, compute];
}
