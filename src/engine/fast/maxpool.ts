// Plans a max pool the conv routines did not fold in on maxpool2d_f32. 3x3 windows at x-stride 1 or 2 (ResNet's, DenseNet's and
// GoogLeNet's stems, SqueezeNet's pools): the routine pads a channel's rows itself (-inf) into per-thread scratch and takes the
// columns apart in registers, one phase. Other windows: a padding phase with -inf borders (padding never wins) and columns in
// x-stride phases, then the max over the window's taps. Units of one output row of one channel either way.
import type { RowRange } from '../band.js';
import type { Shape } from '../tensor.js';
import type { Conv2dLayer, MaxPool2dLayer } from '../../network/types.js';
import { descriptor } from './descriptor.js';
import { DEPTHWISE } from './layout.js';
import { blocking } from './machine.js';
import type { ArenaAllocator } from './memory.js';
import { outputChannel, padDescriptor, planPad, share } from './plan-parts.js';
import type { ConvOutput, HeapBand } from './plan-types.js';
import { TID, type Call, type Phase } from './protocol.js';

/** The step's label and phases. */
export interface PlannedMaxpool {
  readonly label: string;
  readonly phases: Phase[];
}

/** The x-stride of a pool maxpool2d_f32 runs with its taps in registers (3x3, dilation 1, x-stride 1 or 2), or 0. */
function maxpoolK3x3(pool: MaxPool2dLayer): number {
  const [kh, kw] = pool.kernelSize;
  const [dy, dx] = pool.dilation;
  const sx = pool.stride[1];
  return kh === 3 && kw === 3 && dy === 1 && dx === 1 && (sx === 1 || sx === 2) ? sx : 0;
}

/** The step of max pool `pool` from band `input` into `out`, for output rows `rows` of a map of `shape`. */
export function planMaxpool(arena: ArenaAllocator, threads: number, pool: MaxPool2dLayer, input: HeapBand, out: ConvOutput, rows: RowRange, shape: Shape): PlannedMaxpool {
  const [kh, kw] = pool.kernelSize;
  const [sy, sx] = pool.stride;
  const [dy, dx] = pool.dilation;
  const [ph, pw] = pool.padding;
  const ow = shape.width;
  const k3x3 = maxpoolK3x3(pool);
  // The padded rows and columns the windows of output rows `rows` cover (with ceil_mode, past the padding too).
  const iy0 = rows.start * sy - ph;
  const iy1 = (rows.end - 1) * sy - ph + (kh - 1) * dy + 1;
  // At least the padded input's width: padding copies whole rows. Column phases only for the taps read from a table.
  const width = Math.max((ow - 1) * sx + (kw - 1) * dx + 1, input.width + 2 * pw);
  const columnPhases = k3x3 ? 1 : sx;
  const pitch = Math.ceil(width / columnPhases) * columnPhases;
  // The pool's padding read as a conv's (zeros mode), with -inf as the fill.
  const asConv = { padding: { top: ph, bottom: ph, left: pw, right: pw }, paddingMode: 'zeros' } as Conv2dLayer;
  const phaseLen = pitch / columnPhases;
  const column = (kx: number) => ((kx * dx) % columnPhases) * phaseLen + Math.floor((kx * dx) / columnPhases);
  const offs = new Int32Array(kh * kw);
  for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) offs[ky * kw + kx] = (ky * dy * pitch + column(kx)) * 4;
  const o = outputChannel(out, 0);
  const R = rows.end - rows.start;
  const d = descriptor(DEPTHWISE).set({ GROUPS: shape.channels, ROWS: R, IN_PITCH: pitch, SY: sy, OW: ow, OC: 1, K: kh * kw, OFFS: arena.putI32(offs), OUT: o.ptr, OUT_PLANE: o.plane, OUT_PITCH: o.pitch });
  if (k3x3) {
    // As depthwise_f32 pads its rows: a channel's rows at a time, as many as a quarter of the L2 holds; 8 floats of
    // slack, since at x-stride 2 the routine reads up to 7 past a row's last column.
    const padRows = iy1 - iy0;
    const held = Math.min(padRows, Math.max(kh, Math.floor(blocking().ownPadding / (pitch * 4))));
    const padTmp = arena.allocPerThread((held * pitch + 8) * 4, threads);
    const pd = padDescriptor(arena, asConv, input, iy0, padRows, pitch, pool.index, 1, -Infinity);
    const ptr = d.set({ PAD: pd, PAD_TMP: padTmp.ptr, PAD_TMP_STRIDE: padTmp.stride, PAD_ROWS: held, READ_ROWS: kh, K3X3: k3x3 }).put(arena);
    arena.releasePerThread(padTmp);
    return { label: `${pool.index} maxpool2d[3x3]`, phases: [share(shape.channels * R, threads, (u0, u1) => [['maxpool2d_f32', ptr, u0, u1, TID] as Call])] };
  }
  const padded = planPad(arena, threads, asConv, input, iy0, iy1 - iy0, pitch, pool.index, sx, -Infinity);
  const ptr = d.set({ IN: padded.ptr, IN_PLANE: padded.rows * pitch }).put(arena);
  arena.release(padded.ptr, padded.bytes);
  return { label: `${pool.index} maxpool2d`, phases: [padded.phase, share(shape.channels * R, threads, (u0, u1) => [['maxpool2d_f32', ptr, u0, u1, TID] as Call])] };
}
