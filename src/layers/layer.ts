// The shape of a layer definition: how one layer type is parsed, sized, costed and computed by the reference engine.
import type { Band, RowRange } from '../engine/band.js';
import type { Shape, Tensor } from '../engine/tensor.js';
import type { ObjectReader } from '../network/reader.js';
import type { SafetensorsCache } from '../network/tensors.js';
import type { Layer, LayerParams, MergeLayer, Pair } from '../network/types.js';

/** What a layer parser knows about its place in the spec. */
export interface ParseContext {
  /** The spec file as the user named it (for messages). */
  readonly file: string;
  /** Folder that relative tensor paths are resolved against. */
  readonly dir: string;
  readonly index: number;
  /** `layers[2] (conv2d "conv1")`: the JSON path prefix for messages. */
  readonly where: string;
  /** Channels flowing into this layer (input.channels, then each layer's output). */
  readonly inChannels: number;
  /** safetensors files already opened by earlier layers of this spec. */
  readonly safetensors: SafetensorsCache;
}

/** The sliding window of a spatial layer, for receptive fields and halos; null when it depends on the input size. */
export interface Window {
  readonly kernel: Pair;
  readonly stride: Pair;
  /** Padding before the first row / column. */
  readonly padBefore: Pair;
}

export interface LayerDef<L extends Layer> {
  readonly type: L['type'];
  /** One line for `cnnx inspect` and help: what the layer computes. */
  readonly summary: string;
  /** Validates the raw JSON and resolves its tensors; throws a CnnxError naming the JSON path. */
  parse(r: ObjectReader, ctx: ParseContext): Promise<LayerParams<L>>;
  /** Channels out for `inChannels` in, known without an input size. */
  outChannels(layer: L, inChannels: number): number;
  /**
   * Output shape for an input shape. Returns a message (without location) when the input
   * does not fit, e.g. "output would be 0x3"; never throws for size reasons.
   */
  outputShape(layer: L, input: Shape): Shape | string;
  /** Naive loops, obviously correct: output rows `rows` from the band holding the rows they read. */
  reference(layer: L, input: Band, rows: RowRange, outShape: Shape): Tensor;
  /** Parameter count and multiply-adds for `inspect`. */
  cost(layer: L, input: Shape, output: Shape): { params: number; macs: number };
  window(layer: L): Window | null;
}

/**
 * A layer that reads several inputs (add, concat). Its parameters are its branches, which the spec
 * loader parses; shapes and the reference take one entry per input, in input order.
 */
export interface MergeDef<L extends MergeLayer> {
  readonly type: L['type'];
  readonly summary: string;
  /** Channels out for the channels of each input, or a message when they do not fit together. */
  outChannels(inChannels: readonly number[]): number | string;
  /** Output shape for the inputs' shapes, or a message (naming the input by its position) when they do not fit together. */
  outputShape(inputs: readonly Shape[]): Shape | string;
  /** Output rows `rows` from bands holding (at least) those rows of every input. */
  reference(layer: L, inputs: readonly Band[], rows: RowRange, outShape: Shape): Tensor;
}
