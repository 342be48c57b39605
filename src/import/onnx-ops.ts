// ONNX operators -> cnnx layer drafts: Conv, pools, activations, BatchNormalization, LRN, Pad, joins and no-ops.
import type { AttributeValue, OnnxNode, OnnxTensor } from './onnx-model.js';
import { padding, pair, type LayerDraft, type Weight } from './spec-tree.js';

/** What an op needs from the graph around it. */
export interface OpContext {
  readonly node: OnnxNode;
  readonly opset: number;
  /** The constant at input `i` (initializer, Constant node, or an Identity of one); null when omitted. Fails when it is computed at run time. */
  constant(i: number, what: string): OnnxTensor | null;
  /** An error about this node: `model.onnx: node 5 "/conv1/Conv" (Conv): MESSAGE`. */
  fail(message: string): Error;
}

export interface Sides {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

export type PadMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

export type Mapped =
  | { readonly kind: 'layer'; readonly draft: LayerDraft; readonly nonNegative: boolean }
  | { readonly kind: 'join'; readonly join: 'add' | 'concat' }
  /** Output 0 is input 0 (Identity, Dropout, a one-input Concat, an all-zero Pad). */
  | { readonly kind: 'alias' }
  | { readonly kind: 'constant'; readonly tensor: OnnxTensor }
  /** A Pad, to be absorbed by the conv or pool that reads it. */
  | { readonly kind: 'pad'; readonly sides: Sides; readonly mode: PadMode };

const QUANTIZED = new Set(['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'ConvInteger', 'MatMulInteger']);

/** ONNX Pad modes and the conv padding_mode each becomes. */
const PAD_MODES: Record<string, PadMode> = { constant: 'zeros', reflect: 'reflect', edge: 'replicate', wrap: 'circular' };

/** Float attributes at or beyond float32's largest finite value stand for "no bound" (some exporters write FLT_MAX). */
const NO_BOUND = 3.4e38;

/** Maps one node, or returns null when its op is not one cnnx maps (the caller words that error). */
export function mapNode(ctx: OpContext): Mapped | null {
  const { node } = ctx;
  if (node.domain !== '' && node.domain !== 'ai.onnx') return null;
  if (QUANTIZED.has(node.op) || node.op.startsWith('QLinear')) {
    throw ctx.fail('a quantized op: cnnx computes in float32; import the float model (before quantization)');
  }
  switch (node.op) {
    case 'Conv':
      return layer(conv(ctx));
    case 'Relu':
      return layer({ type: 'relu', params: {}, weights: {} }, true);
    case 'LeakyRelu':
      return layer({ type: 'leaky_relu', params: { negative_slope: float(ctx, 'alpha', 0.01) }, weights: {} });
    case 'Clip':
      return clip(ctx);
    case 'MaxPool':
      return layer(maxPool(ctx));
    case 'AveragePool':
      return layer(avgPool(ctx));
    case 'GlobalAveragePool':
      return layer({ type: 'adaptive_avgpool2d', params: { output_size: 1 }, weights: {} });
    case 'GlobalMaxPool':
      return layer({ type: 'adaptive_maxpool2d', params: { output_size: 1 }, weights: {} });
    case 'ReduceMean':
    case 'ReduceMax':
      return spatialReduce(ctx);
    case 'BatchNormalization':
      return layer(batchNorm(ctx));
    case 'LRN':
      return layer(lrn(ctx));
    case 'LpNormalization':
      return layer(lpNormalization(ctx));
    case 'Add':
    case 'Sum':
      return { kind: 'join', join: 'add' };
    case 'Concat': {
      const axis = int(ctx, 'axis', NaN);
      if (axis !== 1 && axis !== -3) throw ctx.fail(`concatenates along axis ${axis}; cnnx concatenates channels (axis 1)`);
      return ctx.node.inputs.filter(Boolean).length === 1 ? { kind: 'alias' } : { kind: 'join', join: 'concat' };
    }
    case 'Pad':
      return pad(ctx);
    case 'Constant':
      return { kind: 'constant', tensor: constantValue(ctx) };
    case 'Identity':
    case 'Dropout':
      return { kind: 'alias' };
    default:
      return null;
  }
}

function layer(draft: LayerDraft, nonNegative = false): Mapped {
  return { kind: 'layer', draft, nonNegative };
}

// ---------------------------------------------------------------- attributes

function attr(ctx: OpContext, name: string): AttributeValue | undefined {
  return ctx.node.attributes.get(name);
}

export function int(ctx: OpContext, name: string, fallback: number): number {
  const v = attr(ctx, name);
  if (v === undefined) return fallback;
  if (typeof v !== 'number') throw ctx.fail(`attribute ${name} is not an integer`);
  return v;
}

/** A float attribute, as the shortest decimal that rounds to the same float32 (ONNX stores 1e-5 as 9.99999975e-6). */
function float(ctx: OpContext, name: string, fallback: number): number {
  const v = attr(ctx, name);
  if (v === undefined) return fallback;
  if (typeof v !== 'number') throw ctx.fail(`attribute ${name} is not a number`);
  return shortestFloat32(v);
}

export function shortestFloat32(v: number): number {
  if (!Number.isFinite(v)) return v;
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(v.toPrecision(digits));
    if (Math.fround(candidate) === v) return candidate;
  }
  return v;
}

export function ints(ctx: OpContext, name: string, fallback: readonly number[]): number[] {
  const v = attr(ctx, name);
  if (v === undefined) return [...fallback];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw ctx.fail(`attribute ${name} is not a list of integers`);
  return v as number[];
}

function string(ctx: OpContext, name: string, fallback: string): string {
  const v = attr(ctx, name);
  if (v === undefined) return fallback;
  if (typeof v !== 'string') throw ctx.fail(`attribute ${name} is not a string`);
  return v;
}

/** A 2-D attribute (kernel_shape, strides, dilations): exactly two values. */
function pairAttr(ctx: OpContext, name: string, fallback: readonly number[]): [number, number] {
  const v = ints(ctx, name, fallback);
  if (v.length !== 2) throw ctx.fail(`${name} has ${v.length} values: cnnx imports 2-D (image) ops only`);
  if (v.some((x) => !Number.isInteger(x) || x < 1)) throw ctx.fail(`${name} [${v.join(', ')}] must be positive integers`);
  return [v[0], v[1]];
}

function weight(tensor: OnnxTensor): Weight {
  return { shape: [...tensor.dims], data: tensor.floats() };
}

// ---------------------------------------------------------------- convolution and pooling

/**
 * Padding per side from `pads` ([top, left, bottom, right]) or `auto_pad`. SAME_* with stride 1 is
 * fixed padding (total = dilation * (kernel - 1), the extra row at the end for SAME_UPPER); with a
 * larger stride it depends on the input size, which a spec cannot say.
 */
function sides(ctx: OpContext, kernel: [number, number], stride: [number, number], dilation: [number, number]): Sides {
  const autoPad = string(ctx, 'auto_pad', 'NOTSET');
  if (autoPad === 'VALID') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    if (stride[0] !== 1 || stride[1] !== 1) {
      throw ctx.fail(`auto_pad ${autoPad} with stride [${stride.join(', ')}] pads by an amount that depends on the input size; re-export the model with explicit pads`);
    }
    const split = (total: number): [number, number] => {
      const small = Math.floor(total / 2);
      return autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    };
    const [top, bottom] = split(dilation[0] * (kernel[0] - 1));
    const [left, right] = split(dilation[1] * (kernel[1] - 1));
    return { top, bottom, left, right };
  }
  if (autoPad !== 'NOTSET' && autoPad !== '') throw ctx.fail(`unknown auto_pad "${autoPad}"`);
  const pads = ints(ctx, 'pads', [0, 0, 0, 0]);
  if (pads.length !== 4) throw ctx.fail(`pads has ${pads.length} values: cnnx imports 2-D (image) ops only`);
  if (pads.some((p) => !Number.isInteger(p) || p < 0)) throw ctx.fail(`pads [${pads.join(', ')}] must be non-negative integers`);
  return { top: pads[0], left: pads[1], bottom: pads[2], right: pads[3] };
}

function conv(ctx: OpContext): LayerDraft {
  const w = ctx.constant(1, 'weight');
  if (!w) throw ctx.fail('has no weight input');
  if (w.dims.length !== 4) throw ctx.fail(`weight has dims [${w.dims.join(', ')}]: cnnx imports 2-D convolutions (4-D weights) only`);
  const [out, inPerGroup, kh, kw] = w.dims;
  const kernel = pairAttr(ctx, 'kernel_shape', [kh, kw]);
  if (kernel[0] !== kh || kernel[1] !== kw) throw ctx.fail(`kernel_shape [${kernel.join(', ')}] disagrees with the weight's dims [${w.dims.join(', ')}]`);
  const groups = int(ctx, 'group', 1);
  if (!Number.isInteger(groups) || groups < 1 || out % groups !== 0) throw ctx.fail(`group ${groups} does not divide the ${out} output channels`);
  const stride = pairAttr(ctx, 'strides', [1, 1]);
  const dilation = pairAttr(ctx, 'dilations', [1, 1]);
  const p = sides(ctx, kernel, stride, dilation);
  const weights: Record<string, Weight> = { weight: weight(w) };
  const b = ctx.constant(2, 'bias');
  if (b) {
    if (b.dims.length !== 1 || b.dims[0] !== out) throw ctx.fail(`bias has dims [${b.dims.join(', ')}], expected [${out}]`);
    weights.bias = weight(b);
  }
  return {
    type: 'conv2d',
    params: {
      in_channels: inPerGroup * groups,
      out_channels: out,
      kernel_size: pair(kh, kw),
      stride: pair(...stride),
      padding: padding(p.top, p.bottom, p.left, p.right),
      dilation: pair(...dilation),
      groups,
    },
    weights,
  };
}

/** Pool padding must be symmetric and at most half the kernel (PyTorch's rule, which cnnx follows). */
function poolPadding(ctx: OpContext, p: Sides, kernel: [number, number]): number | [number, number] {
  if (p.top !== p.bottom || p.left !== p.right) {
    throw ctx.fail(`asymmetric pads [top ${p.top}, bottom ${p.bottom}, left ${p.left}, right ${p.right}]: cnnx pools pad both sides alike`);
  }
  if (p.top > Math.floor(kernel[0] / 2) || p.left > Math.floor(kernel[1] / 2)) {
    throw ctx.fail(`pads [${p.top}, ${p.left}] are more than half of kernel_shape [${kernel.join(', ')}] (PyTorch's limit, which cnnx follows)`);
  }
  return pair(p.top, p.left);
}

function maxPool(ctx: OpContext): LayerDraft {
  if (ctx.node.outputs.length > 1 && ctx.node.outputs[1] !== '') throw ctx.fail('its Indices output is used: cnnx computes pooled values only');
  const kernel = pairAttr(ctx, 'kernel_shape', []);
  const stride = pairAttr(ctx, 'strides', [1, 1]);
  const dilation = pairAttr(ctx, 'dilations', [1, 1]);
  const p = sides(ctx, kernel, stride, dilation);
  return {
    type: 'maxpool2d',
    params: {
      kernel_size: pair(...kernel),
      stride: pair(...stride),
      padding: poolPadding(ctx, p, kernel),
      dilation: pair(...dilation),
      ceil_mode: int(ctx, 'ceil_mode', 0) !== 0,
    },
    weights: {},
  };
}

export function avgPool(ctx: OpContext): LayerDraft {
  const kernel = pairAttr(ctx, 'kernel_shape', []);
  const stride = pairAttr(ctx, 'strides', [1, 1]);
  const dilation = pairAttr(ctx, 'dilations', [1, 1]);
  if (dilation[0] !== 1 || dilation[1] !== 1) throw ctx.fail(`dilations [${dilation.join(', ')}]: average pooling has no dilation in PyTorch or cnnx`);
  const p = sides(ctx, kernel, stride, dilation);
  return {
    type: 'avgpool2d',
    params: {
      kernel_size: pair(...kernel),
      stride: pair(...stride),
      padding: poolPadding(ctx, p, kernel),
      ceil_mode: int(ctx, 'ceil_mode', 0) !== 0,
      count_include_pad: int(ctx, 'count_include_pad', 0) !== 0,
    },
    weights: {},
  };
}

// ---------------------------------------------------------------- activations and normalisation

/** Clip's bounds, as attributes (opset < 11) or constant inputs; an absent or float32-extreme bound is infinite. */
export function clipBounds(ctx: OpContext): [number, number] {
  let low: number;
  let high: number;
  if (ctx.opset < 11) {
    low = float(ctx, 'min', -Infinity);
    high = float(ctx, 'max', Infinity);
  } else {
    low = scalar(ctx, 1, 'min') ?? -Infinity;
    high = scalar(ctx, 2, 'max') ?? Infinity;
  }
  return [low <= -NO_BOUND ? -Infinity : low, high >= NO_BOUND ? Infinity : high];
}

/** The one value of the constant at input `i` (null when omitted), as the shortest decimal of its float32. */
export function scalar(ctx: OpContext, i: number, what: string): number | null {
  const t = ctx.constant(i, what);
  if (!t) return null;
  const values = t.numbers();
  if (values.length !== 1) throw ctx.fail(`${what} has ${values.length} values, expected one`);
  return t.dataType === 1 ? shortestFloat32(values[0]) : values[0];
}

/** 0..6 is relu6, 0..inf relu, finite bounds hardtanh; a positive lower bound alone starts a GeM head (onnx-heads.ts). */
function clip(ctx: OpContext): Mapped {
  const [low, high] = clipBounds(ctx);
  if (low === 0 && high === 6) return layer({ type: 'relu6', params: {}, weights: {} }, true);
  if (low === 0 && high === Infinity) return layer({ type: 'relu', params: {}, weights: {} }, true);
  if (Number.isFinite(low) && Number.isFinite(high) && low < high) {
    return layer({ type: 'hardtanh', params: { min_val: low, max_val: high }, weights: {} }, low >= 0);
  }
  throw ctx.fail(`clips to [${low}, ${high}]: cnnx has relu (0, inf), relu6 (0, 6) and hardtanh (finite bounds, min < max)`);
}

/**
 * The axes a Reduce* op reduces, non-negative and sorted, over a 4-D (N, C, H, W) tensor: an attribute
 * until `axes` became an input (opset 13 for ReduceSum, 18 for the others). All axes when none are given.
 */
export function reduceAxes(ctx: OpContext): number[] {
  const fromInput = ctx.opset >= (ctx.node.op === 'ReduceSum' ? 13 : 18);
  const axes = fromInput ? ctx.constant(1, 'axes')?.numbers() : (attr(ctx, 'axes') as number[] | undefined);
  if (!axes || axes.length === 0) return [0, 1, 2, 3];
  if (axes.some((a) => !Number.isInteger(a) || a < -4 || a > 3)) throw ctx.fail(`axes [${axes.join(', ')}]: cnnx reduces 4-D (N, C, H, W) tensors`);
  return [...new Set(axes.map((a) => (a < 0 ? a + 4 : a)))].sort();
}

/** Whether a Reduce* op keeps the reduced axes (keepdims, default 1): cnnx's tensors keep all four. */
export function keepsDims(ctx: OpContext): boolean {
  return int(ctx, 'keepdims', 1) !== 0;
}

/** ReduceMean / ReduceMax over height and width, keeping them (x.mean((2, 3), keepdim=True)): a global pool. */
function spatialReduce(ctx: OpContext): Mapped {
  const axes = reduceAxes(ctx);
  if (axes.join() !== '2,3') throw ctx.fail(`reduces axes [${axes.join(', ')}]: cnnx maps a ${ctx.node.op} over height and width (axes 2, 3) only, as a global pool`);
  if (!keepsDims(ctx)) throw ctx.fail('has keepdims 0, which flattens the map: cnnx keeps (C, 1, 1); export with keepdim=True');
  const type = ctx.node.op === 'ReduceMean' ? 'adaptive_avgpool2d' : 'adaptive_maxpool2d';
  return layer({ type, params: { output_size: 1 }, weights: {} });
}

function batchNorm(ctx: OpContext): LayerDraft {
  if (int(ctx, 'training_mode', 0) !== 0) throw ctx.fail('is in training mode: export the model in eval mode');
  if (ctx.node.outputs.slice(1).some(Boolean)) throw ctx.fail('its running statistics outputs are used (training mode): export the model in eval mode');
  const names = ['weight', 'bias', 'running_mean', 'running_var'];
  const tensors = names.map((n, i) => ctx.constant(i + 1, n));
  const channels = tensors[0]?.dims[0];
  const weights: Record<string, Weight> = {};
  tensors.forEach((t, i) => {
    if (!t) throw ctx.fail(`has no ${names[i]} input`);
    if (t.dims.length !== 1 || t.dims[0] !== channels) throw ctx.fail(`${names[i]} has dims [${t.dims.join(', ')}], expected [${channels}]`);
    weights[names[i]] = weight(t);
  });
  return { type: 'batchnorm2d', params: { eps: float(ctx, 'epsilon', 1e-5) }, weights };
}

/**
 * ONNX LRN and torch.nn.LocalResponseNorm both divide alpha by size, so alpha, beta and k (ONNX's bias)
 * carry over. Their channel windows agree for odd sizes only: for an even size ONNX reaches one channel
 * further after c ([c - (size/2 - 1), c + size/2]) and PyTorch one further before ([c - size/2, c + size/2 - 1]).
 */
function lrn(ctx: OpContext): LayerDraft {
  const size = int(ctx, 'size', NaN);
  if (!Number.isInteger(size) || size < 1) throw ctx.fail('needs a positive size');
  if (size % 2 === 0) throw ctx.fail(`size ${size} is even: ONNX centres an even window one channel later than PyTorch's LocalResponseNorm, so no cnnx layer computes it`);
  return {
    type: 'local_response_norm',
    params: { size, alpha: float(ctx, 'alpha', 1e-4), beta: float(ctx, 'beta', 0.75), k: float(ctx, 'bias', 1) },
    weights: {},
  };
}

/**
 * x / ||x||_p over the channels: F.normalize without its eps, which cnnx's normalize needs; PyTorch's
 * default 1e-12 changes only norms below it (a zero vector: 0 where ONNX divides 0 by 0).
 */
function lpNormalization(ctx: OpContext): LayerDraft {
  const axis = int(ctx, 'axis', -1);
  if (axis !== 1 && axis !== -3) throw ctx.fail(`normalizes along axis ${axis}: cnnx normalizes over the channels (axis 1)`);
  const p = int(ctx, 'p', 2);
  if (p !== 1 && p !== 2) throw ctx.fail(`p ${p}: ONNX's LpNormalization has p 1 or 2`);
  return { type: 'normalize', params: { p, eps: 1e-12 }, weights: {} };
}

// ---------------------------------------------------------------- Pad and Constant

function pad(ctx: OpContext): Mapped {
  const modeName = string(ctx, 'mode', 'constant');
  const mode = PAD_MODES[modeName];
  if (!mode) throw ctx.fail(`mode "${modeName}": cnnx pads with constant 0, reflect, edge or wrap`);
  let amounts: number[];
  let value = 0;
  let axes: number[] | null = null;
  if (ctx.opset < 11) {
    amounts = ints(ctx, 'pads', []);
    value = float(ctx, 'value', 0);
  } else {
    const p = ctx.constant(1, 'pads');
    if (!p) throw ctx.fail('has no pads input');
    amounts = p.numbers();
    const v = ctx.constant(2, 'constant_value');
    if (v) value = v.numbers()[0] ?? 0;
    const a = ctx.constant(3, 'axes');
    if (a) axes = a.numbers().map((x) => (x < 0 ? x + 4 : x));
  }
  if (mode === 'zeros' && value !== 0) throw ctx.fail(`pads with the constant ${value}: cnnx pads with zeros only`);
  const rankAxes = axes ?? [0, 1, 2, 3];
  if (amounts.length !== 2 * rankAxes.length) throw ctx.fail(`has ${amounts.length} pad amounts for ${rankAxes.length} axes: cnnx pads 4-D (N, C, H, W) tensors`);
  const before = [0, 0, 0, 0];
  const after = [0, 0, 0, 0];
  rankAxes.forEach((axis, i) => {
    if (axis < 0 || axis > 3) throw ctx.fail(`pads axis ${axis}: cnnx pads 4-D (N, C, H, W) tensors`);
    before[axis] = amounts[i];
    after[axis] = amounts[i + rankAxes.length];
  });
  if ([...before, ...after].some((x) => !Number.isInteger(x) || x < 0)) throw ctx.fail(`pads [${amounts.join(', ')}]: negative (cropping) or fractional amounts are not supported`);
  if (before[0] || before[1] || after[0] || after[1]) throw ctx.fail(`pads the batch or channel axis ([${amounts.join(', ')}]): cnnx pads height and width only`);
  const s: Sides = { top: before[2], bottom: after[2], left: before[3], right: after[3] };
  if (s.top + s.bottom + s.left + s.right === 0) return { kind: 'alias' };
  return { kind: 'pad', sides: s, mode };
}

function constantValue(ctx: OpContext): OnnxTensor {
  const value = attr(ctx, 'value');
  if (value !== undefined && typeof value === 'object' && !Array.isArray(value)) return value;
  const scalar = attr(ctx, 'value_float') ?? attr(ctx, 'value_int');
  const list = attr(ctx, 'value_floats') ?? attr(ctx, 'value_ints');
  const numbers = typeof scalar === 'number' ? [scalar] : Array.isArray(list) ? (list as number[]) : null;
  if (!numbers) throw ctx.fail('has no value cnnx can read (value, value_float(s) or value_int(s))');
  const dims = typeof scalar === 'number' ? [] : [numbers.length];
  return { name: ctx.node.outputs[0] ?? '', dims, dataType: 1, floats: () => Float32Array.from(numbers), numbers: () => [...numbers] };
}

// ---------------------------------------------------------------- Pad absorbed by its consumer

/**
 * The conv or pool `draft` reading a Pad's output, with the Pad's amounts moved into it. A zeros
 * Pad adds to a conv's own padding; another mode needs a conv without padding of its own. Pools take
 * zeros only: an average pool then counts the padding (count_include_pad, which is exactly what a
 * zero Pad then AveragePool computes), a max pool only when its input is non-negative (zeros then never
 * win over the real values a window always holds, so PyTorch's -inf padding gives the same maxima).
 */
export function absorbPad(draft: LayerDraft, pads: Sides, mode: PadMode, nonNegativeInput: boolean, fail: (message: string) => Error): LayerDraft {
  if (draft.type === 'conv2d') {
    const own = unpack(draft.params.padding);
    const ownTotal = own.top + own.bottom + own.left + own.right;
    if (mode !== 'zeros' && ownTotal > 0) throw fail(`reads a ${mode} Pad but has zero padding of its own too: cnnx applies one padding mode per conv`);
    const sum = add(own, pads);
    const params = { ...draft.params, padding: padding(sum.top, sum.bottom, sum.left, sum.right) };
    return { ...draft, params: mode === 'zeros' ? params : { ...params, padding_mode: mode } };
  }
  if (draft.type === 'avgpool2d' || draft.type === 'maxpool2d') {
    if (mode !== 'zeros') throw fail(`reads a Pad of mode ${mode}: cnnx pools pad with zeros (average) or -inf (max) only`);
    if (draft.type === 'maxpool2d' && !nonNegativeInput) {
      throw fail('reads a zero Pad: max pooling pads with -inf in PyTorch and cnnx, so zeros can win only where the input can be negative; here it can');
    }
    const own = unpack(draft.params.padding);
    if (draft.type === 'avgpool2d' && own.top + own.left > 0 && draft.params.count_include_pad === false) {
      throw fail('reads a zero Pad and excludes its own padding from the average: cnnx has one count_include_pad per pool');
    }
    const sum = add(own, pads);
    const [kh, kw] = unpackPair(draft.params.kernel_size);
    if (sum.top !== sum.bottom || sum.left !== sum.right) {
      throw fail(`with the Pad before it, pads [top ${sum.top}, bottom ${sum.bottom}, left ${sum.left}, right ${sum.right}] are asymmetric: cnnx pools pad both sides alike`);
    }
    if (sum.top > Math.floor(kh / 2) || sum.left > Math.floor(kw / 2)) {
      throw fail(`with the Pad before it, padding [${sum.top}, ${sum.left}] is more than half the kernel [${kh}, ${kw}] (PyTorch's limit, which cnnx follows)`);
    }
    const params = { ...draft.params, padding: pair(sum.top, sum.left) };
    return { ...draft, params: draft.type === 'avgpool2d' ? { ...params, count_include_pad: true } : params };
  }
  throw fail(`reads a Pad: cnnx folds a Pad only into the conv or pool that reads it, not into ${draft.type}`);
}

/** A spec pair (n or [h, w]) as [h, w]. */
export function unpackPair(v: unknown): [number, number] {
  return typeof v === 'number' ? [v, v] : (v as [number, number]);
}

/** Spec padding (n, [h, w] or [top, bottom, left, right]) per side. */
export function unpack(v: unknown): Sides {
  if (typeof v === 'number') return { top: v, bottom: v, left: v, right: v };
  const a = v as number[];
  if (a.length === 2) return { top: a[0], bottom: a[0], left: a[1], right: a[1] };
  return { top: a[0], bottom: a[1], left: a[2], right: a[3] };
}

function add(a: Sides, b: Sides): Sides {
  return { top: a.top + b.top, bottom: a.bottom + b.bottom, left: a.left + b.left, right: a.right + b.right };
}

/** Folds an inference batch norm into the conv before it, in float64, rounding once: w' = w s, b' = (b - mean) s + beta, s = gamma / sqrt(var + eps). */
export function foldBatchNorm(conv: LayerDraft, bn: LayerDraft): LayerDraft {
  const w = conv.weights.weight;
  const out = w.shape[0];
  const perOut = w.data.length / out;
  const { weight: gamma, bias: beta, running_mean: mean, running_var: variance } = bn.weights;
  const eps = bn.params.eps as number;
  const weightOut = new Float32Array(w.data.length);
  const biasOut = new Float32Array(out);
  const bias = conv.weights.bias?.data;
  for (let o = 0; o < out; o++) {
    const scale = gamma.data[o] / Math.sqrt(variance.data[o] + eps);
    for (let i = o * perOut; i < (o + 1) * perOut; i++) weightOut[i] = w.data[i] * scale;
    biasOut[o] = ((bias ? bias[o] : 0) - mean.data[o]) * scale + beta.data[o];
  }
  return { ...conv, weights: { weight: { shape: w.shape, data: weightOut }, bias: { shape: [out], data: biasOut } } };
}
