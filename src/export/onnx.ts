// Converts a validated network into an ONNX ModelProto (standard ai.onnx ops only), for ONNX Runtime and the benchmark's peers.
import { checkLayerNames, checkNetwork, checkOptions } from '../arguments.js';
import { CnnxError, describeValue, specError, type ErrorCode } from '../errors.js';
import type { Shape } from '../engine/tensor.js';
import { clampBounds } from '../layers/clamp.js';
import { isMerge, layerDef, mergeDef } from '../layers/index.js';
import { layerPlace, selectedNodes, selectLayers } from '../network/run.js';
import { nodeShape } from '../network/shapes.js';
import type {
  AdaptivePool2dLayer,
  AvgPool2dLayer,
  BatchNorm2dLayer,
  Conv2dLayer,
  GemLayer,
  Layer,
  MaxPool2dLayer,
  Network,
  NormalizeLayer,
  PaddingMode,
} from '../network/types.js';
import { INPUT } from '../network/types.js';
import { ProtoWriter, float32Bytes } from './protobuf.js';

export interface ExportOnnxOptions {
  /** ai.onnx opset; default 17, or 19 when a conv uses circular padding (Pad mode "wrap"). */
  readonly opset?: number;
  /** Fixed input [height, width]; when absent the model's H and W are symbolic ("height", "width"). */
  readonly size?: readonly [number, number];
  /** Named layers (or `all`) whose outputs become extra graph outputs, after "output" (as `apply --layer`). */
  readonly layers?: readonly string[];
}

export const DEFAULT_OPSET = 17;
/** Pad with a `pads` input (not attribute) and modes reflect/edge arrived in opset 11. */
export const MIN_OPSET = 11;
/** The newest opset whose Conv/Pool/Pad/BatchNormalization semantics we have checked. */
export const MAX_OPSET = 22;
const WRAP_OPSET = 19;

// ONNX enum values (onnx.proto).
const FLOAT = 1;
const INT64 = 7;
const ATTR = { float: 1, int: 2, string: 3, ints: 7 } as const;

/** ONNX Pad's mode for each padding mode that has one. */
const PAD_MODES: Partial<Record<PaddingMode, string>> = { reflect: 'reflect', replicate: 'edge', circular: 'wrap' };

/** Encodes `net` as an ONNX model: input "input" [1, C, H, W], output "output" (the last layer). */
export function exportOnnx(net: Network, options: ExportOnnxOptions = {}): Uint8Array {
  checkNetwork(net, 'exportOnnx: net');
  checkOptions(options, 'exportOnnx: options');
  const opset = chooseOpset(net, options.opset);
  if (options.size) checkSize(options.size);
  if (options.layers !== undefined) checkLayerNames(options.layers, 'exportOnnx: options.layers');
  const graph = new GraphBuilder(net, options.size ?? null, opset);
  const names = tensorNames(net);
  for (const layer of net.layers) graph.add(layer, layer.inputs.map((j) => (j === INPUT ? 'input' : names[j])), names[layer.index]);
  const extra = resolveExposed(net, options.layers ?? []);
  return encodeModel(net, opset, graph.encode(extra.map((i) => names[i])));
}

/** The opset to emit: the caller's, if it can express every layer, else the lowest default that can. */
function chooseOpset(net: Network, requested: number | undefined): number {
  const circular = net.layers.find((l) => l.type === 'conv2d' && needsPad(l) && l.paddingMode === 'circular');
  if (requested === undefined) return circular ? WRAP_OPSET : DEFAULT_OPSET;
  if (!Number.isInteger(requested) || requested < MIN_OPSET || requested > MAX_OPSET) {
    throw new CnnxError('export.opset', `options.opset: expected an integer from ${MIN_OPSET} to ${MAX_OPSET}, got ${requested}`);
  }
  if (circular && requested < WRAP_OPSET) {
    throw unsupported(net, circular, 'padding_mode', `"circular" needs ONNX Pad mode "wrap", which arrived in opset ${WRAP_OPSET}; options.opset is ${requested}`, 'export.opset');
  }
  return requested;
}

function checkSize(size: readonly [number, number]): void {
  if (!Array.isArray(size) || size.length !== 2 || !size.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new CnnxError('export.size', `options.size: expected two positive integers [height, width], got ${Array.isArray(size) ? size.join('x') : describeValue(size)}`);
  }
}

/** A conv whose border is not zeros and not empty needs an explicit Pad node. */
function needsPad(layer: Conv2dLayer): boolean {
  const p = layer.padding;
  return layer.paddingMode !== 'zeros' && p.top + p.bottom + p.left + p.right > 0;
}

function unsupported(net: Network, layer: Layer, key: string, message: string, code: ErrorCode = 'export.unsupported'): CnnxError {
  return specError(code, net.file, `${layerPlace(layer)}${key ? `.${key}` : ''}`, `cannot be exported to ONNX: ${message}`);
}

/**
 * The tensor name of each layer's output: "output" for the last, the user's name where it is
 * free, else `layers[i]` (which no spec name can shadow, since it is taken only when unused).
 */
function tensorNames(net: Network): string[] {
  const last = net.layers.length - 1;
  const used = new Set(['input', 'output']);
  const names = net.layers.map((l) => (l.index !== last && l.name && !used.has(l.name) ? l.name : ''));
  for (const n of names) if (n) used.add(n);
  return names.map((n, i) => (i === last ? 'output' : n || uniqueName(net.layers[i].path, used)));
}

function uniqueName(base: string, used: Set<string>): string {
  let name = base;
  for (let k = 2; used.has(name); k++) name = `${base}_${k}`;
  used.add(name);
  return name;
}

/** Node indices for `options.layers`, resolved as `apply --layer` does (names, or `all`), minus the last node and the input. */
function resolveExposed(net: Network, names: readonly string[]): number[] {
  if (names.length === 0) return [];
  return selectedNodes(selectLayers(net, names)).filter((i) => i !== net.layers.length - 1);
}

type Attribute = ProtoWriter;

function attrInt(name: string, value: number): Attribute {
  return new ProtoWriter().string(1, name).varint(20, ATTR.int).varint(3, value);
}

function attrInts(name: string, values: readonly number[]): Attribute {
  return new ProtoWriter().string(1, name).varint(20, ATTR.ints).packedVarints(8, values);
}

function attrFloat(name: string, value: number): Attribute {
  return new ProtoWriter().string(1, name).varint(20, ATTR.float).float(2, value);
}

function attrString(name: string, value: string): Attribute {
  // AttributeProto.s is bytes; a UTF-8 string encodes identically.
  return new ProtoWriter().string(1, name).varint(20, ATTR.string).string(4, value);
}

/** Accumulates nodes and initializers, tracking the shape that flows between layers. */
class GraphBuilder {
  private readonly nodes: ProtoWriter[] = [];
  private readonly initializers: ProtoWriter[] = [];
  /** Shape of each tensor so far; height/width are 0 when the input size is symbolic. */
  private readonly shapes = new Map<string, Shape>();

  constructor(
    private readonly net: Network,
    private readonly size: readonly [number, number] | null,
    private readonly opset: number,
  ) {
    this.shapes.set('input', { channels: net.input.channels, height: size?.[0] ?? 0, width: size?.[1] ?? 0 });
  }

  node(op: string, inputs: readonly string[], outputs: readonly string[], name: string, attributes: readonly Attribute[]): void {
    const n = new ProtoWriter();
    for (const i of inputs) n.string(1, i);
    for (const o of outputs) n.string(2, o);
    n.string(3, name).string(4, op);
    for (const a of attributes) n.message(5, a);
    this.nodes.push(n);
  }

  floatInitializer(name: string, dims: readonly number[], values: Float32Array): string {
    const t = new ProtoWriter().packedVarints(1, dims).varint(2, FLOAT).string(8, name).bytes(9, float32Bytes(values));
    this.initializers.push(t);
    return name;
  }

  int64Initializer(name: string, values: readonly number[]): string {
    const t = new ProtoWriter().packedVarints(1, [values.length]).varint(2, INT64).packedVarints(7, values).string(8, name);
    this.initializers.push(t);
    return name;
  }

  /** Emits `layer` reading tensors `inputs` (one, except for merges) into tensor `output`. */
  add(layer: Layer, inputs: readonly string[], output: string): void {
    const base = layer.path;
    const [input] = inputs;
    switch (layer.type) {
      case 'conv2d':
        this.conv(layer, input, output, base);
        break;
      case 'relu':
        this.node('Relu', [input], [output], base, []);
        break;
      case 'leaky_relu':
        this.node('LeakyRelu', [input], [output], base, [attrFloat('alpha', layer.negativeSlope)]);
        break;
      case 'maxpool2d':
        this.maxPool(layer, input, output, base);
        break;
      case 'avgpool2d':
        this.avgPool(layer, input, output, base);
        break;
      case 'adaptive_avgpool2d':
      case 'adaptive_maxpool2d':
        this.adaptivePool(layer, input, output, base);
        break;
      case 'batchnorm2d':
        this.batchNorm(layer, input, output, base);
        break;
      case 'relu6':
      case 'hardtanh': {
        const [lo, hi] = clampBounds(layer)!;
        const bounds = [this.floatInitializer(`${base}.min`, [], new Float32Array([lo])), this.floatInitializer(`${base}.max`, [], new Float32Array([hi]))];
        this.node('Clip', [input, ...bounds], [output], base, []);
        break;
      }
      case 'local_response_norm':
        if (layer.size % 2 === 0) {
          throw unsupported(this.net, layer, 'size', `ONNX LRN centres an even window one channel later than PyTorch (c - ${layer.size / 2 - 1} .. c + ${layer.size / 2} instead of c - ${layer.size / 2} .. c + ${layer.size / 2 - 1}); only odd sizes export`);
        }
        this.node('LRN', [input], [output], base, [attrFloat('alpha', layer.alpha), attrFloat('beta', layer.beta), attrFloat('bias', layer.k), attrInt('size', layer.size)]);
        break;
      case 'add':
        // Add for two inputs; Sum (variadic) for more.
        this.node(inputs.length === 2 ? 'Add' : 'Sum', inputs, [output], base, []);
        break;
      case 'concat':
        this.node('Concat', inputs, [output], base, [attrInt('axis', 1)]);
        break;
      case 'gem':
        this.gem(layer, input, output, base);
        break;
      case 'normalize':
        this.normalize(layer, input, output, base);
        break;
    }
    this.advance(layer, inputs, output);
  }

  private conv(layer: Conv2dLayer, input: string, output: string, base: string): void {
    const p = layer.padding;
    let source = input;
    let pads = [p.top, p.left, p.bottom, p.right];
    if (needsPad(layer)) {
      // chooseOpset has already made sure the opset has this mode.
      const mode = PAD_MODES[layer.paddingMode];
      if (mode === undefined) {
        throw unsupported(this.net, layer, 'padding_mode', `"${layer.paddingMode}" has no ONNX equivalent (ONNX Pad offers constant, reflect, edge and wrap)`);
      }
      // ONNX pads are [x1_begin, x2_begin, ..., x1_end, x2_end] over N, C, H, W.
      const padsName = this.int64Initializer(`${base}.pads`, [0, 0, p.top, p.left, 0, 0, p.bottom, p.right]);
      source = `${base}.padded`;
      this.node('Pad', [input, padsName], [source], `${base}.pad`, [attrString('mode', mode)]);
      pads = [0, 0, 0, 0];
    }
    const [kh, kw] = layer.kernelSize;
    const inputs = [source, this.floatInitializer(`${base}.weight`, [layer.outChannels, layer.inChannels / layer.groups, kh, kw], layer.weight)];
    if (layer.bias) inputs.push(this.floatInitializer(`${base}.bias`, [layer.outChannels], layer.bias));
    this.node('Conv', inputs, [output], base, [
      attrInts('dilations', layer.dilation),
      attrInt('group', layer.groups),
      attrInts('kernel_shape', layer.kernelSize),
      attrInts('pads', pads),
      attrInts('strides', layer.stride),
    ]);
  }

  private maxPool(layer: MaxPool2dLayer, input: string, output: string, base: string): void {
    const [ph, pw] = layer.padding;
    this.node('MaxPool', [input], [output], base, [
      attrInt('ceil_mode', layer.ceilMode ? 1 : 0),
      attrInts('dilations', layer.dilation),
      attrInts('kernel_shape', layer.kernelSize),
      attrInts('pads', [ph, pw, ph, pw]),
      attrInts('strides', layer.stride),
    ]);
  }

  private avgPool(layer: AvgPool2dLayer, input: string, output: string, base: string): void {
    if (layer.divisorOverride !== null) {
      throw unsupported(this.net, layer, 'divisor_override', 'ONNX AveragePool has no divisor_override (it always divides by the window size)');
    }
    const [ph, pw] = layer.padding;
    this.node('AveragePool', [input], [output], base, [
      attrInt('ceil_mode', layer.ceilMode ? 1 : 0),
      attrInt('count_include_pad', layer.countIncludePad ? 1 : 0),
      attrInts('kernel_shape', layer.kernelSize),
      attrInts('pads', [ph, pw, ph, pw]),
      attrInts('strides', layer.stride),
    ]);
  }

  private adaptivePool(layer: AdaptivePool2dLayer, input: string, output: string, base: string): void {
    const [oh, ow] = layer.outputSize;
    if (oh === null && ow === null) {
      // PyTorch's None keeps the input's size, so this layer is the identity.
      this.node('Identity', [input], [output], base, []);
    } else if (oh === 1 && ow === 1) {
      this.node(layer.type === 'adaptive_avgpool2d' ? 'GlobalAveragePool' : 'GlobalMaxPool', [input], [output], base, []);
    } else {
      const size = `[${oh ?? 'null'}, ${ow ?? 'null'}]`;
      throw unsupported(this.net, layer, 'output_size', `ONNX has no adaptive pooling; only output_size 1 (GlobalAveragePool / GlobalMaxPool) is exported, got ${size}`);
    }
  }

  private batchNorm(layer: BatchNorm2dLayer, input: string, output: string, base: string): void {
    const c = [layer.channels];
    const inputs = [
      input,
      this.floatInitializer(`${base}.weight`, c, layer.weight),
      this.floatInitializer(`${base}.bias`, c, layer.bias),
      this.floatInitializer(`${base}.running_mean`, c, layer.runningMean),
      this.floatInitializer(`${base}.running_var`, c, layer.runningVar),
    ];
    this.node('BatchNormalization', inputs, [output], base, [attrFloat('epsilon', layer.eps)]);
  }

  private scalar(name: string, value: number): string {
    return this.floatInitializer(name, [], Float32Array.of(value));
  }

  /** Clip(min=eps) -> Pow(p) -> GlobalAveragePool -> Pow(1/p): exactly GeM's formula. */
  private gem(layer: GemLayer, input: string, output: string, base: string): void {
    this.node('Clip', [input, this.scalar(`${base}.eps`, layer.eps)], [`${base}.clamped`], `${base}.clip`, []);
    this.node('Pow', [`${base}.clamped`, this.scalar(`${base}.p`, layer.p)], [`${base}.powered`], `${base}.pow`, []);
    this.node('GlobalAveragePool', [`${base}.powered`], [`${base}.mean`], `${base}.mean`, []);
    this.node('Pow', [`${base}.mean`, this.scalar(`${base}.inv_p`, 1 / layer.p)], [output], base, []);
  }

  /**
   * x / Max(||x||_p over channels, eps), as F.normalize. ONNX's LpNormalization has no eps (a zero
   * vector would divide by zero) and knows p 1 and 2 only, so the norm is a reduction: ReduceL2 /
   * ReduceL1, or Abs -> Pow(p) -> ReduceSum -> Pow(1/p) for other p.
   */
  private normalize(layer: NormalizeLayer, input: string, output: string, base: string): void {
    const norm = `${base}.norm`;
    if (layer.p === 2 || layer.p === 1) {
      this.reduceChannels(layer.p === 2 ? 'ReduceL2' : 'ReduceL1', input, norm, base);
    } else {
      this.node('Abs', [input], [`${base}.abs`], `${base}.abs`, []);
      this.node('Pow', [`${base}.abs`, this.scalar(`${base}.p`, layer.p)], [`${base}.powered`], `${base}.pow`, []);
      this.reduceChannels('ReduceSum', `${base}.powered`, `${base}.sum`, base);
      this.node('Pow', [`${base}.sum`, this.scalar(`${base}.inv_p`, 1 / layer.p)], [norm], `${base}.root`, []);
    }
    this.node('Max', [norm, this.scalar(`${base}.eps`, layer.eps)], [`${base}.divisor`], `${base}.max`, []);
    this.node('Div', [input, `${base}.divisor`], [output], base, []);
  }

  /** A reduction over the channel axis, keeping it; `axes` became an input in opset 13 (ReduceSum) and 18 (the others). */
  private reduceChannels(op: 'ReduceL1' | 'ReduceL2' | 'ReduceSum', input: string, output: string, base: string): void {
    const axesAsInput = this.opset >= (op === 'ReduceSum' ? 13 : 18);
    const name = `${base}.${op === 'ReduceSum' ? 'sum' : 'reduce'}`;
    if (axesAsInput) this.node(op, [input, this.int64Initializer(`${base}.axes`, [1])], [output], name, [attrInt('keepdims', 1)]);
    else this.node(op, [input], [output], name, [attrInts('axes', [1]), attrInt('keepdims', 1)]);
  }

  /** Records the shape of `layer`'s output (sizes only when the input size is fixed). */
  private advance(layer: Layer, inputs: readonly string[], output: string): void {
    const ins = inputs.map((name) => this.shapes.get(name)!);
    let shape: Shape;
    if (this.size) {
      const next = nodeShape(layer, ins);
      if (typeof next === 'string') {
        const [h, w] = this.size;
        throw specError('export.size', this.net.file, layerPlace(layer), `does not fit a ${h}x${w} input: ${next}`);
      }
      shape = next;
    } else {
      const channels = isMerge(layer) ? mergeDef(layer).outChannels(ins.map((s) => s.channels)) : layerDef(layer).outChannels(layer, ins[0].channels);
      shape = { channels: channels as number, height: 0, width: 0 };
    }
    this.shapes.set(output, shape);
  }

  /** The GraphProto, with "output" and then `extra` as graph outputs. */
  encode(extra: readonly string[]): ProtoWriter {
    const g = new ProtoWriter();
    for (const n of this.nodes) g.message(1, n);
    g.string(2, this.net.name || 'cnnx');
    for (const t of this.initializers) g.message(5, t);
    const inputShape = { channels: this.net.input.channels, height: this.size?.[0] ?? 0, width: this.size?.[1] ?? 0 };
    g.message(11, valueInfo('input', inputShape, ['height', 'width']));
    const outputs = ['output', ...extra];
    for (const name of outputs) g.message(12, valueInfo(name, this.shapes.get(name) ?? inputShape, null));
    return g;
  }
}

/**
 * A float tensor ValueInfo of shape [1, C, H, W]. A zero H/W is unknown: named by
 * `symbols` (the input's "height"/"width") or left as an anonymous dimension.
 */
function valueInfo(name: string, shape: Shape, symbols: readonly [string, string] | null): ProtoWriter {
  const dims = new ProtoWriter();
  const spatial = [shape.height, shape.width];
  for (const [i, n] of [1, shape.channels, ...spatial].entries()) {
    const dim = new ProtoWriter();
    if (n > 0) dim.varint(1, n);
    else if (symbols) dim.string(2, symbols[i - 2]);
    dims.message(1, dim);
  }
  const tensorType = new ProtoWriter().varint(1, FLOAT).message(2, dims);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

/** ONNX IR version that goes with an opset (onnx/docs/Versioning.md). */
function irVersionFor(opset: number): number {
  if (opset <= 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 17) return 8;
  if (opset <= 20) return 9;
  return 10;
}

function encodeModel(net: Network, opset: number, graph: ProtoWriter): Uint8Array {
  const model = new ProtoWriter()
    .varint(1, irVersionFor(opset))
    .string(2, 'cnnx')
    .string(6, `${net.name}: exported by cnnx from ${net.file}; input is the normalised float tensor (after resize and mean/std)`)
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').varint(2, opset))
    .message(14, new ProtoWriter().string(1, 'cnnx.spec_sha256').string(2, net.hash));
  return model.finish();
}
