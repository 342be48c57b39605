// Plans a max pool the conv routines did not fold in on maxpool2d_f32: a padding phase with -inf borders (padding never
// wins) and columns in x-stride phases, then the max over the window's taps, units of one output row of one channel.
import type { RowRange } from '../band.js';
import type { Shape } from '../tensor.js';
import type { Conv2dLayer, MaxPool2dLayer } from '../../network/types.js';
import { descriptor } from './descriptor.js';
import { DEPTHWISE } from './layout.js';
import type { ArenaAllocator } from './memory.js';
import { outputChannel, planPad, share } from './plan-parts.js';
import type { ConvOutput, HeapBand } from './plan-types.js';
import type { Call, Phase } from './protocol.js';

export function planMaxpool(arena: ArenaAllocator, threads: number, pool: MaxPool2dLayer, input: HeapBand, out: ConvOutput, rows: RowRange, shape: Shape): Phase[] {
  const [kh, kw] = pool.kernelSize;
  const [sy, sx] = pool.stride;
  const [dy, dx] = pool.dilation;
  const [ph, pw] = pool.padding;
  const ow = shape.width;
  // The padded rows and columns the windows of output rows `rows` cover (with ceil_mode, past the padding too).
  const iy0 = rows.start * sy - ph;
  const iy1 = (rows.end - 1) * sy - ph + (kh - 1) * dy + 1;
  // At least the padded input's width: the padding phase copies whole rows.
  const width = Math.max((ow - 1) * sx + (kw - 1) * dx + 1, input.width + 2 * pw);
  const pitch = Math.ceil(width / sx) * sx;
  // planPad reads a conv's padding: the pool's, zeros mode, with -inf as the fill.
  const asConv = { padding: { top: ph, bottom: ph, left: pw, right: pw }, paddingMode: 'zeros' } as Conv2dLayer;
  const padded = planPad(arena, threads, asConv, input, iy0, iy1 - iy0, pitch, pool.index, sx, -Infinity);
  const phaseLen = pitch / sx;
  const column = (kx: number) => ((kx * dx) % sx) * phaseLen + Math.floor((kx * dx) / sx);
  const offs = new Int32Array(kh * kw);
  for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) offs[ky * kw + kx] = (ky * dy * pitch + column(kx)) * 4;
  const o = outputChannel(out, 0);
  const R = rows.end - rows.start;
  const d = descriptor(DEPTHWISE)
    .set({ IN: padded.ptr, IN_PLANE: padded.rows * pitch, GROUPS: shape.channels, ROWS: R, IN_PITCH: pitch, SY: sy, OW: ow, OC: 1, K: kh * kw, OFFS: arena.putI32(offs), OUT: o.ptr, OUT_PLANE: o.plane, OUT_PITCH: o.pitch })
    .put(arena);
  arena.release(padded.ptr, padded.bytes);
  return [padded.phase, share(shape.channels * R, threads, (u0, u1) => [['maxpool2d_f32', d, u0, u1] as Call])];
}
