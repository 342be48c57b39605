// The strided routine: a conv with x-stride > 1. Narrow output maps: every tap of every output pixel gathered
// into one panel, then one GEMM over all the pixels (weights read once); otherwise each row's taps gathered
// into a unit-stride panel, then the direct routine's GEMM row by row.
import { borderIndex } from '../../geometry.js';
import { descriptor } from '../descriptor.js';
import { PAD } from '../layout.js';
import { packConv, packedBytes, type PackedConv } from '../pack.js';
import { bandRowTable, share } from '../plan-parts.js';
import type { ConvJob, Routine } from '../plan-types.js';
import type { Call, Phase } from '../protocol.js';
import { planConv2d } from './conv2d.js';
import { planPixelGemm } from './pointwise.js';

export const strided: Routine<PackedConv> = {
  id: 'strided',
  applies: (layer) => layer.stride[1] !== 1,
  fusesPool: () => true,
  packedBytes: (layer) => packedBytes.conv(layer),
  pack: packConv,
  plan: (job) => (!job.fusion.pool && gathers(job) ? planGathered(job) : planConv2d(job, 'strided')),
};

/**
 * Widest output rows the strided routine gathers whole: a row of two 8-pixel strips or fewer reads
 * all the weights for those few pixels, where virtual rows of 256 read them once per 256. Wider rows
 * amortise the weights themselves, and the panel would cost more than it saves.
 */
export const GATHER_MAX_WIDTH = 16;

function gathers(job: ConvJob<PackedConv>): boolean {
  return job.conv.width <= GATHER_MAX_WIDTH;
}

/**
 * The gathered plan: a phase that fills the panel [input channel][tap][output pixel] (pad_f32 in
 * gather mode, one descriptor per tap, padding cells from the layer's padding mode), then the GEMM of
 * the packed weights (taps in (channel, ky, kx) order, as packConv lays them out) over the panel's pixels.
 */
function planGathered(job: ConvJob<PackedConv>): Phase[] {
  const { arena, threads, layer, input: prev, out } = job;
  const [kh, kw] = layer.kernelSize;
  const [sy, sx] = layer.stride;
  const [dy, dx] = layer.dilation;
  const pad = layer.padding;
  const ow = job.conv.width;
  const rows = { start: out.band.y0, end: out.band.y0 + out.band.height };
  const R = rows.end - rows.start;
  const pixels = R * ow;
  const taps = kh * kw;
  const C = prev.channels;
  const bytes = C * taps * pixels * 4;
  const panel = arena.alloc(bytes);
  const descs: number[] = [];
  for (let ky = 0; ky < kh; ky++) {
    const rowtabPtr = arena.putI32(bandRowTable(layer, prev, R, (r) => (rows.start + r) * sy + ky * dy - pad.top, job.index));
    for (let kx = 0; kx < kw; kx++) {
      const coltab = Int32Array.from({ length: ow }, (_, x) => borderIndex(x * sx + kx * dx - pad.left, prev.width, layer.paddingMode));
      const tap = ky * kw + kx;
      descs.push(
        descriptor(PAD)
          .set({ SRC: prev.ptr, SRC_PLANE: prev.height * prev.width, SRC_PITCH: prev.width, W: Math.min(ow, prev.width), LEFT: 0 })
          .set({ DST: panel + tap * pixels * 4, DST_PLANE: taps * pixels, PW: ow, ROWS: R, ROWTAB: rowtabPtr, COLTAB: arena.putI32(coltab), GATHER: 1, FILL: 0 })
          .put(arena),
      );
    }
  }
  const gather: Phase = share(C * R, threads, (i0, i1) => descs.map((d) => ['pad_f32', d, i0, i1] as Call));
  const phases = planPixelGemm(job, { ptr: panel, plane: pixels, pixels }, [gather]);
  arena.release(panel, bytes);
  return phases;
}
