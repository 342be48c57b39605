// The one tensor layout cnnx uses everywhere: float32, channels-first (C, H, W), C order.
import { checkData, checkSize } from '../arguments.js';

export interface Tensor {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** Length channels * height * width; element (c, y, x) is at (c * height + y) * width + x. */
  readonly data: Float32Array;
}

/** A (C, H, W) shape. */
export interface Shape {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

/** A tensor of that shape: `data` when given (it must have channels x height x width elements), else zeros. */
export function tensor(channels: number, height: number, width: number, data?: Float32Array): Tensor {
  checkSize(channels, 'tensor: channels', 0);
  checkSize(height, 'tensor: height', 0);
  checkSize(width, 'tensor: width', 0);
  const size = channels * height * width;
  if (data === undefined) return { channels, height, width, data: new Float32Array(size) };
  checkData(data, 'tensor: data', size, `${channels}x${height}x${width}`);
  return { channels, height, width, data };
}

export function formatShape(s: Shape): string {
  return `${s.channels}x${s.height}x${s.width}`;
}
