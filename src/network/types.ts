// The validated, fully-defaulted, readonly form of a network spec. Compute code reads only these types.

/** A [height, width] pair (kernel_size, stride, dilation, output_size...). */
export type Pair = readonly [number, number];

/**
 * How a conv reads outside the image. PyTorch's four, plus `symmetric` (edge repeated:
 * NumPy symmetric, OpenCV BORDER_REFLECT), which PyTorch lacks.
 */
export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular' | 'symmetric';

/** Padding in pixels on each side, after 'same'/'valid'/int/[h, w] forms are resolved. */
export interface Pads {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

interface LayerBase {
  /** Position in `layers`, for messages (`layers[2]`). */
  readonly index: number;
  /** The user's `name`, if any (unique within the spec). */
  readonly name?: string;
}

export interface Conv2dLayer extends LayerBase {
  readonly type: 'conv2d';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: Pair;
  readonly stride: Pair;
  readonly dilation: Pair;
  readonly padding: Pads;
  readonly paddingMode: PaddingMode;
  readonly groups: number;
  /** Shape [outChannels, inChannels / groups, kh, kw], cross-correlation (no flip). */
  readonly weight: Float32Array;
  /** Shape [outChannels], or null for no bias. */
  readonly bias: Float32Array | null;
}

export interface ReluLayer extends LayerBase {
  readonly type: 'relu';
}

export interface LeakyReluLayer extends LayerBase {
  readonly type: 'leaky_relu';
  readonly negativeSlope: number;
}

export interface MaxPool2dLayer extends LayerBase {
  readonly type: 'maxpool2d';
  readonly kernelSize: Pair;
  readonly stride: Pair;
  /** Symmetric padding [h, w]; padded cells never win. */
  readonly padding: Pair;
  readonly dilation: Pair;
  readonly ceilMode: boolean;
}

export interface AvgPool2dLayer extends LayerBase {
  readonly type: 'avgpool2d';
  readonly kernelSize: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;
}

export interface AdaptivePool2dLayer extends LayerBase {
  readonly type: 'adaptive_avgpool2d' | 'adaptive_maxpool2d';
  /** [h, w]; null on an axis keeps the input's size on that axis (PyTorch's None). */
  readonly outputSize: readonly [number | null, number | null];
}

export interface BatchNorm2dLayer extends LayerBase {
  readonly type: 'batchnorm2d';
  readonly channels: number;
  readonly weight: Float32Array;
  readonly bias: Float32Array;
  readonly runningMean: Float32Array;
  readonly runningVar: Float32Array;
  readonly eps: number;
}

/** Generalised mean pooling to (C, 1, 1): (mean of clamp(x, min=eps)^p)^(1/p) per channel. */
export interface GemLayer extends LayerBase {
  readonly type: 'gem';
  readonly p: number;
  readonly eps: number;
}

/** x / max(||x||_p, eps) over the channels at every pixel (F.normalize, dim=1). */
export interface NormalizeLayer extends LayerBase {
  readonly type: 'normalize';
  readonly p: number;
  readonly eps: number;
}

export type Layer =
  | Conv2dLayer
  | ReluLayer
  | LeakyReluLayer
  | MaxPool2dLayer
  | AvgPool2dLayer
  | AdaptivePool2dLayer
  | BatchNorm2dLayer
  | GemLayer
  | NormalizeLayer;

export type LayerType = Layer['type'];

/** Optional resize applied to decoded images before conversion to float (sharp semantics). */
export type ResizeSpec =
  | { readonly kind: 'box'; readonly width: number | null; readonly height: number | null; readonly fit: 'cover' | 'contain' | 'fill' | 'inside' | 'outside' }
  | { readonly kind: 'shorter_side'; readonly shorterSide: number; readonly centerCrop: Pair | null };

export interface InputSpec {
  /** 1, 3 or 4. */
  readonly channels: number;
  /** Per-channel normalisation applied as (x - mean) / std; null when not given. */
  readonly mean: readonly number[] | null;
  readonly std: readonly number[] | null;
  readonly resize: ResizeSpec | null;
}

export interface Network {
  readonly name: string;
  /** The spec file as the user named it (used in messages), or '<inline>'. */
  readonly file: string;
  /** sha256 of the spec file's bytes, hex; recorded in outputs' metadata. */
  readonly hash: string;
  readonly input: InputSpec;
  readonly layers: readonly Layer[];
}
