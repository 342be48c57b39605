// The pointwise routine: 1x1 stride-1 unpadded convs (ResNet's and MobileNet's projections) as one GEMM over the
// band's pixels flattened into virtual rows, so 7- or 14-pixel-wide maps fill the micro-kernel's 8-pixel strips.
import { descriptor } from '../descriptor.js';
import { CONV2D } from '../layout.js';
import { blocking } from '../machine.js';
import { packConv, packedBytes, type PackedConv } from '../pack.js';
import { outputChannel, share, shareRanges } from '../plan-parts.js';
import type { ConvJob, Routine } from '../plan-types.js';
import { TID, type Call, type Phase } from '../protocol.js';
import { convInput, planConv2d } from './conv2d.js';

/** Pixels per virtual row: a multiple of 8, long enough to amortise a row's setup, short enough to share a map between threads. */
const VIRTUAL_ROW = 256;

/**
 * Reduction length from which a call packs its pixels into strips first (PANEL): ResNet-50's late 1x1 convs
 * (K 512 to 2048) and its gathered stride-2 convs run faster packed; MobileNetV2's (K up to 960) and the early
 * ones (K 64, 256) no faster, and a few percent slower below 512, where the copy costs what it saves.
 */
const PACK_MIN_K = 512;

export const pointwise: Routine<PackedConv> = {
  id: 'pointwise',
  applies: (layer) => {
    const p = layer.padding;
    return layer.kernelSize[0] === 1 && layer.kernelSize[1] === 1 && layer.stride[0] === 1 && layer.stride[1] === 1 && p.top + p.bottom + p.left + p.right === 0;
  },
  // As direct: a fused pool's windows need real rows, so a conv with one is planned row by row (planConv2d).
  fusesPool: () => true,
  // ResNet's and MobileNetV2's blocks end on a 1x1 projection: their add (and ReLU) joins its output loop.
  fusesResidual: true,
  packedBytes: (layer) => packedBytes.conv(layer),
  pack: packConv,
  plan: (job) => (job.fusion.pool ? planConv2d(job, 'pointwise') : planPointwise(job)),
};

/** The conv's rows as consecutive pixels of every input channel plane: the band itself (1x1 convs read it in place). */
function planPointwise(job: ConvJob<PackedConv>): Phase[] {
  const input = convInput(job, false);
  const pixels = (input.rows.end - input.rows.start) * job.conv.width;
  const phases = planPixelGemm(job, { ptr: input.ptr, plane: input.plane, pixels }, input.phases);
  for (const [ptr, bytes] of input.transients) job.arena.release(ptr, bytes);
  return phases;
}

/**
 * What a GEMM over pixels reads: for each of a group's packed.k inputs (channels, or the strided
 * routine's gathered taps), `pixels` consecutive floats, `plane` floats after the previous input's.
 */
export interface PixelPanel {
  readonly ptr: number;
  readonly plane: number;
  readonly pixels: number;
}

/**
 * Appends to `phases` the GEMM of the job's packed weights with `panel`: its pixels cut into virtual
 * rows of L (one descriptor) and the pixels mod L left over (a second one, one row), written to the
 * job's output in the same pixel order (plus job.residual, when an add folds in). Items are ranges of
 * virtual rows or of channel blocks (splitByRows). Each pixel's sum is direct's, whatever the cut.
 */
export function planPixelGemm(job: ConvJob<PackedConv>, panel: PixelPanel, phases: Phase[]): Phase[] {
  const { arena, threads, layer, packed, fusion: f, out } = job;
  const n = panel.pixels;
  const L = virtualRow(n);
  const full = Math.floor(n / L);
  const tail = n - full * L;
  const G = layer.groups;
  const K = packed.k;
  const ocg = packed.ocPerGroup;
  const offsPtr = arena.putI32(Int32Array.from({ length: K }, (_, k) => k * panel.plane * 4));
  // With long reductions each call packs its virtual row's pixels into strips of 8 (32 bytes a reduction step), so the
  // micro-kernels read B in order rather than from K planes a plane apart.
  const packs = K >= PACK_MIN_K;
  const strips = packs ? arena.allocPerThread(K * 32 * Math.ceil(L / 8), threads) : undefined;
  const stepsPtr = packs ? arena.putI32(Int32Array.from({ length: K }, (_, k) => k * 32)) : 0;
  const group = packs ? Math.max(1, Math.floor(blocking().stripGroup / (K * 32))) : 0;
  const descs: [number, number | null][] = [];
  for (let g = 0; g < G; g++) {
    const o = outputChannel(out, g * ocg);
    // A residual band lies as the output does (same rows and width), so one byte distance finds it from every output float.
    const res = job.residual === null ? 0 : job.residual.ptr + g * ocg * o.plane * 4 - o.ptr;
    const common = { OFFS: offsPtr, K, W: packed.groups[g].w, OCB: packed.blocks, BIAS: packed.groups[g].bias, OC: ocg, SY: 1, SX: 1, ACT: f.act.code, SLOPE: f.act.slope, OUT_PLANE: o.plane, RES: res, PANEL: strips ? strips.ptr : 0, PANEL_STRIDE: strips ? strips.stride : 0, PANEL_OFFS: stepsPtr, PANEL_GROUP: group };
    const at = panel.ptr + g * K * panel.plane * 4;
    const main = descriptor(CONV2D).set({ ...common, IN: at, IN_PITCH: L, OW: L, OUT: o.ptr, OUT_PITCH: L }).put(arena);
    const rest = tail > 0 ? descriptor(CONV2D).set({ ...common, IN: at + full * L * 4, IN_PITCH: tail, OW: tail, OUT: o.ptr + full * L * 4, OUT_PITCH: tail }).put(arena) : null;
    descs.push([main, rest]);
  }
  if (strips) arena.releasePerThread(strips);
  const blocks = packed.blocks;
  const rows = full + (tail > 0 ? 1 : 0);
  const calls = (u0: number, u1: number, b0: number, b1: number): Call[] =>
    descs.flatMap(([main, rest]) => {
      const list: Call[] = [];
      if (Math.min(u1, full) > u0) list.push(['pointwise_f32', main, u0, Math.min(u1, full), b0, b1, TID]);
      if (rest !== null && u1 > full) list.push(['pointwise_f32', rest, 0, 1, b0, b1, TID]);
      return list;
    });
  const byRows = splitByRows(rows, blocks, threads, panel.pixels);
  phases.push(byRows ? share(rows, threads, (u0, u1) => calls(u0, u1, 0, blocks)) : share(blocks, threads, (b0, b1) => calls(0, rows, b0, b1), 'one-per-thread'));
  return phases;
}

/**
 * Whether a GEMM over `rows` virtual rows (`pixels` in all) and `blocks` blocks of 4 output channels
 * is shared by rows rather than by blocks. A row item reads all the weights (K x 4 blocks), a block
 * item all the input (K x pixels), so the split that reads less twice wins: rows when the items read
 * fewer weights than the threads but one read input again (items x 4 blocks <= (threads - 1) x
 * pixels), if there are rows enough to share (2 per thread); with too few blocks to share, rows anyway.
 */
export function splitByRows(rows: number, blocks: number, threads: number, pixels: number): boolean {
  if (threads === 1 || blocks < 2 * threads) return true;
  if (rows < 2 * threads) return false;
  return shareRanges(rows, threads).length * 4 * blocks <= (threads - 1) * pixels;
}

/**
 * Pixels per virtual row for a GEMM over n pixels: rows of VIRTUAL_ROW at most, as nearly equal as
 * multiples of 8 let them be (784 pixels as 200 x 3 + 184, not 256 x 3 + 16), so the threads' shares
 * of a small map are even and no call runs a short left-over row.
 */
export function virtualRow(n: number): number {
  return Math.min(n, Math.ceil(n / Math.ceil(n / VIRTUAL_ROW) / 8) * 8);
}
