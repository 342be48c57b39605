// The depthwise routine: convs with one input channel per group (any stride), direct taps vectorised along x
// (every lane a useful pixel, where the 4-channel GEMM tile would compute 1 channel in 4); its planner also serves separable.
import { descriptor } from '../descriptor.js';
import { DEPTHWISE } from '../layout.js';
import { blocking } from '../machine.js';
import type { ThreadSlots } from '../memory.js';
import { packDepthwise, packedBytes, type PackedDepthwise } from '../pack.js';
import { outputChannel, share } from '../plan-parts.js';
import type { ConvJob, Routine } from '../plan-types.js';
import { TID, type Call, type Phase } from '../protocol.js';
import { groupIn, groupOut } from './conditions.js';
import { convInput } from './conv2d.js';

export const depthwise: Routine<PackedDepthwise> = {
  id: 'depthwise',
  // With 4 or more outputs per group the GEMM tiles are full, and the direct routine is faster.
  applies: (layer, algorithm) => algorithm !== 'direct' && groupIn(layer) === 1 && groupOut(layer) < 4,
  fusesPool: () => false,
  pitchedOutput: true,
  packedBytes: (layer) => packedBytes.depthwise(layer, false),
  pack: (heap, layer, bn) => packDepthwise(heap, layer, bn, null),
  plan: (job) => planDepthwise(job),
};

/**
 * The phase of a conv on the depthwise descriptor: all groups in one descriptor, units of one output
 * row of one group split across threads; direct taps, or the two passes of packed rank-1 factors.
 * An x-stride s reads padded rows whose columns are stored in s phases (planPad), so every tap reads
 * consecutive columns; a padded 3x3 conv at x-stride 2 reads plain rows instead (K3X3).
 */
export function planDepthwise(job: ConvJob<PackedDepthwise>): Phase[] {
  const { arena, threads, layer, packed, fusion: f, out } = job;
  const [kh, kw] = layer.kernelSize;
  const [dy, dx] = layer.dilation;
  const sx = layer.stride[1];
  const pads = layer.padding;
  // 3x3 kernels at x-stride 1, and padded ones at x-stride 2, hold their taps in registers (K3X3); at x-stride 2
  // they read plain padded rows and take the columns apart in registers: a plain row is padded by two copies,
  // where column phases are gathered one float at a time.
  const padded = pads.top + pads.bottom + pads.left + pads.right > 0;
  const k3x3 = !packed.separable && kh === 3 && kw === 3 && dx === 1 && (sx === 1 || (sx === 2 && padded)) ? sx : 0;
  const columnPhases = k3x3 ? 1 : sx;
  // Padded rows are padded by the routine itself, a group's rows at a time into per-thread scratch,
  // not copied whole in a phase of their own: no barrier, and the taps read rows still in the cache.
  const input = convInput(job, false, columnPhases, true);
  const { phases } = input;
  const pitch = input.pitch;
  const reads = (kh - 1) * dy + 1;
  // With zero padding one column wide on the left (at most one on the right), 3x3 kernels read the band's rows
  // where they lie and make the padding columns zero in registers (IN_PLACE): no copy at all.
  const inPlace = k3x3 !== 0 && input.pad !== 0 && layer.paddingMode === 'zeros' && pads.left === 1 && pads.right <= 1 && dy === 1;
  const held = input.pad === 0 || inPlace ? 0 : Math.min(input.padRows, Math.max(reads, Math.floor(blocking().ownPadding / (pitch * 4))));
  // Slack: dwRow reads up to 3 floats past a row's last pixel, dwRows3x3 at x-stride 2 up to 7.
  const padTmp = held === 0 ? undefined : arena.allocPerThread((held * pitch + 8) * 4, threads);
  // The padding rows of IN_PLACE: zeros from 16 bytes before the row to past the last column a step reads.
  const zero = inPlace ? arena.putF32(new Float32Array(pitch + 2 * job.conv.width + 32)) + 16 : 0;
  const R = input.rows.end - input.rows.start;
  const ow = job.conv.width;
  const span = ow - 1 + (kw - 1) * dx + 1;
  // Column x * sx + kx dx of a padded row sits in phase (kx dx) % sx, at x + floor(kx dx / sx).
  const phaseLen = pitch / columnPhases;
  const column = (kx: number) => ((kx * dx) % columnPhases) * phaseLen + Math.floor((kx * dx) / columnPhases);
  let offsPtr = 0, voffsPtr = 0, hoffsPtr = 0;
  let tmp: ThreadSlots | undefined;
  if (packed.separable) {
    voffsPtr = arena.putI32(Int32Array.from({ length: kh }, (_, ky) => ky * dy * pitch * 4));
    hoffsPtr = arena.putI32(Int32Array.from({ length: kw }, (_, kx) => kx * dx * 4));
    tmp = arena.allocPerThread((span + 16) * 4 + 256, threads);
  } else {
    const offs = new Int32Array(kh * kw);
    for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) offs[ky * kw + kx] = (ky * dy * pitch + column(kx)) * 4;
    offsPtr = arena.putI32(offs);
  }
  const o = outputChannel(out, 0);
  const d = descriptor(DEPTHWISE).set({
    IN: input.ptr,
    IN_PLANE: input.plane,
    GROUPS: layer.groups,
    ROWS: R,
    IN_PITCH: pitch,
    SY: layer.stride[0],
    OW: ow,
    OC: packed.ocPerGroup,
    K: kh * kw,
    OFFS: offsPtr,
    W: packed.w,
    BIAS: packed.bias,
    OUT: o.ptr,
    OUT_PLANE: o.plane,
    OUT_PITCH: o.pitch,
    ACT: f.act.code,
    SLOPE: f.act.slope,
    SEP: packed.separable ? 1 : 0,
    KH: kh,
    VOFFS: voffsPtr,
    VW: packed.col,
    KW: kw,
    HOFFS: hoffsPtr,
    HW: packed.row,
    TMP: tmp ? tmp.ptr : 0,
    TMP_STRIDE: tmp ? tmp.stride : 0,
    SPAN: span,
    PAD: input.pad,
    PAD_TMP: padTmp ? padTmp.ptr : 0,
    PAD_TMP_STRIDE: padTmp ? padTmp.stride : 0,
    PAD_ROWS: held,
    READ_ROWS: reads,
    K3X3: k3x3,
    IN_PLACE: inPlace ? 1 : 0,
    ZERO: zero,
  }).put(arena);
  if (tmp) arena.releasePerThread(tmp);
  if (padTmp) arena.releasePerThread(padTmp);
  const entry = packed.separable ? 'separable_f32' : 'depthwise_f32';
  phases.push(share(layer.groups * R, threads, (u0, u1) => [[entry, d, u0, u1, TID] as Call]));
  for (const [ptr, bytes] of input.transients) arena.release(ptr, bytes);
  return phases;
}
