// The validated, fully-defaulted, readonly form of a network spec. Compute code reads only these types.
import type { PillowFilter } from '../io/resample.js';
import type { SharpKernel } from '../io/resize.js';

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

/** What every node of a network has: where it sits in the flat node list and in the spec, and what it reads. */
export interface LayerBase {
  /** Position in `Network.layers` (topological order: every input comes earlier). */
  readonly index: number;
  /** Its JSON path in the spec, for messages: `layers[4].branches[1][0]`. */
  readonly path: string;
  /** The user's `name`, if any (unique across the whole spec). */
  readonly name?: string;
  /** The nodes it reads, by index; INPUT (-1) is the network's input. One entry except for add and concat. */
  readonly inputs: readonly number[];
}

/** The network's input as a node index in `LayerBase.inputs` and `Network.names`. */
export const INPUT = -1;

/** What a layer's parser returns: everything but the node fields the spec loader fills in. */
export type LayerParams<L extends LayerBase> = Omit<L, keyof LayerBase | 'type'>;

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
  /** For a `kernels` filter bank: each output channel's filter name (`sobel-x`), for labels in pictures. */
  readonly filterNames?: readonly string[];
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

/** min(max(x, 0), 6) (torch.nn.ReLU6). */
export interface Relu6Layer extends LayerBase {
  readonly type: 'relu6';
}

/** min(max(x, minVal), maxVal) (torch.nn.Hardtanh). */
export interface HardtanhLayer extends LayerBase {
  readonly type: 'hardtanh';
  readonly minVal: number;
  readonly maxVal: number;
}

/** Normalisation across neighbouring channels (torch.nn.LocalResponseNorm). */
export interface LocalResponseNormLayer extends LayerBase {
  readonly type: 'local_response_norm';
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;
}

/** The element-wise sum of its inputs (2 or more, same shape), in input order. */
export interface AddLayer extends LayerBase {
  readonly type: 'add';
}

/** Its inputs (2 or more, same size) stacked along channels, in input order. */
export interface ConcatLayer extends LayerBase {
  readonly type: 'concat';
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
  | Relu6Layer
  | HardtanhLayer
  | LocalResponseNormLayer
  | AddLayer
  | ConcatLayer
  | GemLayer
  | NormalizeLayer;

export type LayerType = Layer['type'];

/** Layers that read several inputs. */
export type MergeLayer = AddLayer | ConcatLayer;
/** Layers that read one input. */
export type SingleLayer = Exclude<Layer, MergeLayer>;

/** A `sequential`, `add` or `concat` entry of the spec: the nodes it spans and the node that is its output. */
export interface LayerGroup {
  readonly type: 'sequential' | 'add' | 'concat';
  readonly path: string;
  readonly name?: string;
  /** Nodes first..last (inclusive) lie inside it; for add and concat, last is the merge node itself. */
  readonly first: number;
  readonly last: number;
  /** The node whose output the group names (INPUT for a group that computes nothing). */
  readonly output: number;
  /** Nesting depth: 0 for groups at the top level of `layers`. */
  readonly depth: number;
}

/** How resize resamples: torchvision's modes computed as Pillow computes them, or sharp's kernels. */
export type Interpolation = PillowFilter | SharpKernel;

/**
 * Optional resize applied to decoded images before conversion to float: torchvision's Resize (+
 * CenterCrop) for `shorter_side` and `fit: "fill"`, sharp's geometry for the other fits.
 */
export type ResizeSpec =
  | { readonly kind: 'box'; readonly width: number | null; readonly height: number | null; readonly fit: 'cover' | 'contain' | 'fill' | 'inside' | 'outside'; readonly interpolation: Interpolation }
  | { readonly kind: 'shorter_side'; readonly shorterSide: number; readonly centerCrop: Pair | null; readonly interpolation: Interpolation };

export interface InputSpec {
  /** 1, 3 or 4. */
  readonly channels: number;
  /** Per-channel normalisation applied as (x - mean) / std; null when not given. */
  readonly mean: readonly number[] | null;
  readonly std: readonly number[] | null;
  /** Whether mean/std apply to .npy inputs too (spec key normalize_npy); by default (absent, false) a .npy is the tensor the first layer sees. */
  readonly normalizeNpy?: boolean;
  readonly resize: ResizeSpec | null;
}

export interface Network {
  readonly name: string;
  /** The spec file as the user named it (used in messages), or '<inline>'. */
  readonly file: string;
  /** sha256 of the spec file's bytes, hex; recorded in outputs' metadata. */
  readonly hash: string;
  readonly input: InputSpec;
  /** Every node of the spec's tree in topological order (groups make no node except add and concat). */
  readonly layers: readonly Layer[];
  /** Every group of the spec, in spec order. */
  readonly groups: readonly LayerGroup[];
  /** Names of layers and groups (and of no-op layers, which name their input), to the node they name. */
  readonly names: ReadonlyMap<string, number>;
}
