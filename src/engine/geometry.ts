// PyTorch's output-size arithmetic and border-index rules, shared by every engine and by inspect.
import type { PaddingMode } from '../network/types.js';

/** Effective extent of a dilated window: d * (k - 1) + 1. */
export function effectiveKernel(kernel: number, dilation: number): number {
  return dilation * (kernel - 1) + 1;
}

/**
 * Output length of a conv along one axis (torch.nn.Conv2d): floor((n + before + after - keff) / s) + 1.
 * Returns 0 or less when the window does not fit; callers report that as an error.
 */
export function convOutputSize(n: number, kernel: number, stride: number, dilation: number, before: number, after: number): number {
  const span = n + before + after - effectiveKernel(kernel, dilation);
  return span < 0 ? 0 : Math.floor(span / stride) + 1;
}

/**
 * Output length of max/avg pooling along one axis (ATen pooling_output_shape_pad_lr).
 * With ceil_mode the last window must start inside the input or its left padding.
 */
export function poolOutputSize(n: number, kernel: number, stride: number, dilation: number, pad: number, ceilMode: boolean): number {
  const span = n + 2 * pad - effectiveKernel(kernel, dilation);
  if (span < 0) return 0;
  let out = Math.floor((span + (ceilMode ? stride - 1 : 0)) / stride) + 1;
  if (ceilMode && (out - 1) * stride >= n + pad) out -= 1;
  return out;
}

/** First input index of adaptive-pooling window i (PyTorch: floor(i * n / out)). */
export function adaptiveStart(i: number, n: number, out: number): number {
  return Math.floor((i * n) / out);
}

/** One past the last input index of adaptive-pooling window i (PyTorch: ceil((i + 1) * n / out)). */
export function adaptiveEnd(i: number, n: number, out: number): number {
  return Math.ceil(((i + 1) * n) / out);
}

/**
 * Maps a possibly out-of-range index i on an axis of length n to the index it reads,
 * or -1 for a zero. reflect excludes the edge (PyTorch/NumPy reflect), symmetric repeats it.
 */
export function borderIndex(i: number, n: number, mode: PaddingMode): number {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case 'zeros':
      return -1;
    case 'replicate':
      return i < 0 ? 0 : n - 1;
    case 'circular':
      return ((i % n) + n) % n;
    case 'reflect': {
      if (n === 1) return 0;
      const period = 2 * (n - 1);
      const m = ((i % period) + period) % period;
      return m < n ? m : period - m;
    }
    case 'symmetric': {
      const period = 2 * n;
      const m = ((i % period) + period) % period;
      return m < n ? m : period - 1 - m;
    }
  }
}
