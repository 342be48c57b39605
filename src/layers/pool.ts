// Parsing and window arithmetic shared by maxpool2d and avgpool2d (PyTorch's pooling rules).
import { poolOutputSize, effectiveKernel } from '../engine/geometry.js';
import type { Shape } from '../engine/tensor.js';
import type { ObjectReader } from '../network/reader.js';
import type { Pair } from '../network/types.js';

export interface PoolWindow {
  readonly kernelSize: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;
  readonly ceilMode: boolean;
}

/** kernel_size, stride (default kernel_size), padding (at most half the effective kernel), ceil_mode, and dilation when allowed. */
export function parsePoolWindow(r: ObjectReader, withDilation: boolean): PoolWindow {
  const kernelSize = r.pair('kernel_size', { min: 1 });
  const stride = r.has('stride') && r.get('stride') !== null ? r.pair('stride', { min: 1 }) : kernelSize;
  const padding = r.pair('padding', { min: 0, default: [0, 0] });
  const dilation = withDilation ? r.pair('dilation', { min: 1, default: [1, 1] }) : ([1, 1] as const);
  const ceilMode = r.bool('ceil_mode', false);
  for (const axis of [0, 1]) {
    const half = Math.floor(effectiveKernel(kernelSize[axis], dilation[axis]) / 2);
    if (padding[axis] > half) {
      throw r.error('padding', `${padding[axis]} is more than half of kernel_size ${kernelSize[axis]}${dilation[axis] > 1 ? ` (dilated to ${effectiveKernel(kernelSize[axis], dilation[axis])})` : ''}: expected at most ${half}`, 'spec.range');
    }
  }
  return { kernelSize, stride, padding, dilation, ceilMode };
}

/** Output shape of a pooling window over `input`, or a message when it would be empty. */
export function poolOutputShape(w: PoolWindow, input: Shape): Shape | string {
  const height = poolOutputSize(input.height, w.kernelSize[0], w.stride[0], w.dilation[0], w.padding[0], w.ceilMode);
  const width = poolOutputSize(input.width, w.kernelSize[1], w.stride[1], w.dilation[1], w.padding[1], w.ceilMode);
  if (height < 1 || width < 1) {
    const kh = effectiveKernel(w.kernelSize[0], w.dilation[0]);
    const kw = effectiveKernel(w.kernelSize[1], w.dilation[1]);
    return `the ${kh}x${kw} window does not fit the input ${input.height}x${input.width}${w.padding[0] || w.padding[1] ? ` padded by ${w.padding[0]}x${w.padding[1]}` : ''}`;
  }
  return { channels: input.channels, height, width };
}

export function poolWindowOf(w: PoolWindow) {
  return {
    kernel: [effectiveKernel(w.kernelSize[0], w.dilation[0]), effectiveKernel(w.kernelSize[1], w.dilation[1])] as Pair,
    stride: w.stride,
    padBefore: w.padding,
  };
}

/** Converts a full-map row to an index in the band, checking the band holds it. */
export function bandRow(iy: number, y0: number, height: number, layer: string): number {
  const local = iy - y0;
  if (local < 0 || local >= height) throw new RangeError(`${layer}: row ${iy} is outside the band ${y0}..${y0 + height}`);
  return local;
}
