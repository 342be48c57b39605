// The winograd1d_small routine: row-wise Winograd F(4,3) / F(4,5) for 3- or 5-wide convs (x-stride and dilation 1) with 1..7
// input channels per group, products summed over channels and kernel rows in registers (src/wasm/assembly/winograd1d_small.ts).
import { descriptor } from '../descriptor.js';
import { WINOGRAD1D_SMALL } from '../layout.js';
import { packedBytes, packWinograd1dSmall, type PackedSmall } from '../pack.js';
import { planPad, setGroupFields, setPoolFields, share } from '../plan-parts.js';
import type { ConvJob, Routine } from '../plan-types.js';
import { TID, type Call, type Phase } from '../protocol.js';
import { fewChannels, unitX } from './conditions.js';

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
  packedBytes: (layer) => packedBytes.winograd1dSmall(layer),
  pack: packWinograd1dSmall,
  plan: planWinograd1dSmall,
};

function planWinograd1dSmall(job: ConvJob<PackedSmall>): Phase[] {
  const { arena, threads, layer, packed, fusion: f, out } = job;
  const [kh, kw] = layer.kernelSize;
  const [sy] = layer.stride;
  const pad = layer.padding;
  const pool = f.pool;
  const band = out.band;
  // Conv rows: the requested ones, or exactly those the fused pool (stride = kernel) reads.
  const outRows = { start: band.y0, end: band.y0 + band.height };
  const convRows = pool ? { start: outRows.start * pool.stride[0], end: outRows.end * pool.stride[0] } : outRows;
  const ow = job.conv.width;
  const tq = Math.ceil(ow / 16);
  const iy0 = convRows.start * sy - pad.top;
  const iy1 = (convRows.end - 1) * sy - pad.top + kh;
  // Group q reads padded columns 16q .. 16q + 19; columns past the padded map are zeros.
  const padded = planPad(arena, threads, layer, job.input, iy0, iy1 - iy0, Math.max(job.input.width + pad.left + pad.right, 16 * tq + 4), job.index);
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
      ROW0: convRows.start * sy,
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
