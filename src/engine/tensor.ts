// The one tensor layout cnnx uses everywhere: float32, channels-first (C, H, W), C order.

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

export function tensor(channels: number, height: number, width: number, data?: Float32Array): Tensor {
  const size = channels * height * width;
  if (data && data.length !== size) {
    throw new RangeError(`tensor data has ${data.length} elements, shape ${channels}x${height}x${width} needs ${size}`);
  }
  return { channels, height, width, data: data ?? new Float32Array(size) };
}

export function formatShape(s: Shape): string {
  return `${s.channels}x${s.height}x${s.width}`;
}
