// The depthwise routine: convs with one input channel per group (any stride), direct taps vectorised along x
// (every lane a useful pixel, where the 4-channel GEMM tile would compute 1 channel in 4); its planner also serves separable.
import { descriptor } from '../descriptor.js';
import { DEPTHWISE } from '../layout.js';
import { align } from '../memory.js';
import { packDepthwise, type PackedDepthwise } from '../pack.js';
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
  pack: (heap, layer, bn) => packDepthwise(heap, layer, bn, null),
  plan: (job) => planDepthwise(job),
};

/**
 * The phase of a conv on the depthwise descriptor: all groups in one descriptor, units of one output
 * row of one group split across threads; direct taps, or the two passes of packed rank-1 factors.
 * An x-stride s reads padded rows whose columns are stored in s phases (planPad), so every tap reads
 * consecutive columns.
 */
export function planDepthwise(job: ConvJob<PackedDepthwise>): Phase[] {
  const { arena, threads, layer, packed, fusion: f, out } = job;
  const [kh, kw] = layer.kernelSize;
  const [dy, dx] = layer.dilation;
  const sx = layer.stride[1];
  const input = convInput(job, false, sx);
  const { phases } = input;
  const pitch = input.pitch;
  const R = input.rows.end - input.rows.start;
  const ow = job.conv.width;
  const span = ow - 1 + (kw - 1) * dx + 1;
  // Column x * sx + kx dx of a padded row sits in phase (kx dx) % sx, at x + floor(kx dx / sx).
  const phaseLen = pitch / sx;
  const column = (kx: number) => ((kx * dx) % sx) * phaseLen + Math.floor((kx * dx) / sx);
  let offsPtr = 0, voffsPtr = 0, hoffsPtr = 0, tmpPtr = 0, tmpStride = 0;
  if (packed.separable) {
    voffsPtr = arena.putI32(Int32Array.from({ length: kh }, (_, ky) => ky * dy * pitch * 4));
    hoffsPtr = arena.putI32(Int32Array.from({ length: kw }, (_, kx) => kx * dx * 4));
    tmpStride = align((span + 16) * 4 + 256, 64);
    tmpPtr = arena.alloc(tmpStride * threads);
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
    TMP: tmpPtr,
    TMP_STRIDE: tmpStride,
    SPAN: span,
  }).put(arena);
  if (tmpPtr) arena.release(tmpPtr, tmpStride * threads);
  const entry = packed.separable ? 'separable_f32' : 'depthwise_f32';
  phases.push(share(layer.groups * R, threads, (u0, u1) => [[entry, d, u0, u1, TID] as Call]));
  for (const [ptr, bytes] of input.transients) arena.release(ptr, bytes);
  return phases;
}
