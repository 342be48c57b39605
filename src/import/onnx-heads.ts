// Recognises the GeM and normalize heads exporters write as chains of ONNX ops, node by node, and maps each whole chain to one gem / normalize layer
// (and, through onnx-affine.ts, per-channel affines written as channel slices).
import { stepAffine } from './onnx-affine.js';
import type { OnnxNode } from './onnx-model.js';
import { avgPool, clipBounds, keepsDims, reduceAxes, scalar, unpackPair, type OpContext } from './onnx-ops.js';
import type { LayerDraft } from './spec-tree.js';

/**
 * How far along a head a value is. GeM: clamped = clamp(x, min=eps), powered = that ^ p, mean = its
 * global mean (the gem layer is mean ^ (1/p)). normalize: abs = |x|, powered = |x| ^ p, sum = its sum
 * over the channels, norm = the p-norm over the channels (eps: clamped below, once), shape = Shape(x).
 * affine (onnx-affine.ts): one channel of x sliced out (channel), its axis back (unsqueezed), times scale plus shift.
 */
export type HeadStep =
  | { readonly head: 'gem'; readonly at: 'clamped'; readonly eps: number }
  | { readonly head: 'gem'; readonly at: 'powered' | 'mean'; readonly eps: number; readonly p: number }
  | { readonly head: 'normalize'; readonly at: 'abs' | 'shape' }
  | { readonly head: 'normalize'; readonly at: 'powered' | 'sum'; readonly p: number }
  | { readonly head: 'normalize'; readonly at: 'norm'; readonly p: number; readonly eps: number | null }
  | { readonly head: 'affine'; readonly at: 'channel' | 'unsqueezed'; readonly channel: number; readonly scale: number; readonly shift: number };

/** A node input as the matcher sees it; `source` is the feature map a head reads (an op id, -1 the graph input). */
export type HeadOperand =
  | { readonly kind: 'map'; readonly source: number }
  | { readonly kind: 'step'; readonly source: number; readonly step: HeadStep; readonly node: OnnxNode }
  | { readonly kind: 'const' }
  /** Omitted, or a value no head reads (a Pad). */
  | null;

export interface HeadContext extends OpContext {
  /** Height and width of feature map `source` at the model's input size; null when that size is not fixed. */
  mapSize(source: number): readonly [number, number] | null;
  /** Feature map `source` for messages: the node computing it, or the graph input. */
  describeMap(source: number): string;
}

export type HeadResult =
  | { readonly kind: 'step'; readonly source: number; readonly step: HeadStep }
  /** The whole head: one layer reading `source`; `label` stands for the op in its name (scope-names.ts). */
  | { readonly kind: 'layer'; readonly source: number; readonly draft: LayerDraft; readonly label: string };

export const HEAD_CHAINS = {
  gem: 'Clip(min=eps) -> Pow(p) -> GlobalAveragePool -> Pow(1/p)',
  normalize: 'ReduceL2 or ReduceL1 over the channels -> Clip(min=eps) or Max(eps) -> Div',
  affine: 'Gather(x, c, axis=1) -> Unsqueeze(axis 1) -> Mul and Add constants, for every channel c, then Concat(axis=1)',
} as const;

/** F.normalize's eps where an exporter wrote none (LpNormalization, x / ||x||): it changes only norms below it. */
export const NORMALIZE_EPS = 1e-12;

/** p and its reciprocal as two float32 constants agree to about float32's precision. */
const RECIPROCAL_TOLERANCE = 1e-6;

/** `node` as the next step of a head, or null when it continues none (the caller maps it as an ordinary op). */
export function stepHead(ctx: HeadContext, operands: readonly HeadOperand[]): HeadResult | null {
  const affine = stepAffine(ctx, operands);
  if (affine) return affine;
  const [a, b] = operands;
  const stepped = a?.kind === 'step' ? a : null;
  const step = stepped?.step ?? null;
  const next = (s: HeadStep): HeadResult => ({ kind: 'step', source: stepped!.source, step: s });
  switch (ctx.node.op) {
    case 'Clip':
    case 'Max': {
      const bound = lowerBound(ctx, operands);
      if (!bound) return null;
      const { operand, low } = bound;
      if (operand.kind === 'map' && low > 0) return { kind: 'step', source: operand.source, step: { head: 'gem', at: 'clamped', eps: low } };
      if (operand.kind === 'step' && operand.step.at === 'norm' && operand.step.eps === null) {
        if (!(low > 0)) throw ctx.fail(`bounds the norm below by ${low}: cnnx's normalize needs eps > 0`);
        return { kind: 'step', source: operand.source, step: { ...operand.step, eps: low } };
      }
      return null;
    }
    case 'Pow': {
      if (step === null) return null;
      const exponent = scalar(ctx, 1, 'exponent');
      if (exponent === null) throw ctx.fail('has no exponent');
      if (step.at === 'clamped' || (step.head === 'normalize' && step.at === 'abs')) {
        if (!(exponent > 0)) throw ctx.fail(`raises to ${exponent}: a ${step.head} head's p must be positive`);
        return next(step.head === 'gem' ? { ...step, at: 'powered', p: exponent } : { head: 'normalize', at: 'powered', p: exponent });
      }
      if (step.at === 'mean' || (step.head === 'normalize' && step.at === 'sum')) {
        const p = step.p;
        if (Math.abs(exponent * p - 1) > RECIPROCAL_TOLERANCE) throw ctx.fail(`raises to ${exponent} where a ${step.head} head with p ${p} takes the 1/${p} root`);
        if (step.head === 'gem') return { kind: 'layer', source: stepped!.source, draft: { type: 'gem', params: { p, eps: step.eps }, weights: {} }, label: 'Gem' };
        return next({ head: 'normalize', at: 'norm', p, eps: null });
      }
      return null;
    }
    case 'GlobalAveragePool':
    case 'ReduceMean':
    case 'AveragePool':
      if (step?.head !== 'gem' || step.at !== 'powered') return null;
      checkGlobalMean(ctx, stepped!.source);
      return next({ ...step, at: 'mean' });
    case 'Abs':
      return a?.kind === 'map' ? { kind: 'step', source: a.source, step: { head: 'normalize', at: 'abs' } } : null;
    case 'ReduceSum':
      if (step?.head !== 'normalize' || step.at !== 'powered') return null;
      checkChannelReduce(ctx);
      return next({ head: 'normalize', at: 'sum', p: step.p });
    case 'ReduceL1':
    case 'ReduceL2':
      if (a?.kind !== 'map') return null;
      checkChannelReduce(ctx);
      return { kind: 'step', source: a.source, step: { head: 'normalize', at: 'norm', p: ctx.node.op === 'ReduceL2' ? 2 : 1, eps: null } };
    case 'Shape':
      if (a?.kind !== 'map' || ctx.node.attributes.has('start') || ctx.node.attributes.has('end')) return null;
      return { kind: 'step', source: a.source, step: { head: 'normalize', at: 'shape' } };
    case 'Expand':
      // F.normalize expands the norm to x's shape before dividing; Div broadcasts it the same way.
      if (step?.at !== 'norm' || b?.kind !== 'step' || b.step.at !== 'shape' || b.source !== stepped!.source) return null;
      return next(step);
    case 'Div': {
      if (a?.kind !== 'map' || b?.kind !== 'step' || b.step.at !== 'norm') return null;
      if (b.source !== a.source) throw ctx.fail(`divides ${ctx.describeMap(a.source)} by the norm of ${ctx.describeMap(b.source)}: a normalize head divides a map by its own norm`);
      const eps = b.step.eps ?? NORMALIZE_EPS;
      return { kind: 'layer', source: a.source, draft: { type: 'normalize', params: { p: b.step.p, eps }, weights: {} }, label: 'Normalize' };
    }
    default:
      return null;
  }
}

/** What a head step computes, for messages: `clamp(x, min=1e-6)^3`. */
export function describeStep(step: HeadStep): string {
  if (step.head === 'affine') return `channel ${step.channel} of x${step.at === 'channel' ? ' without its channel axis' : ''}, times ${step.scale} plus ${step.shift}`;
  if (step.head === 'gem') {
    const clamped = `clamp(x, min=${step.eps})`;
    return step.at === 'clamped' ? clamped : step.at === 'powered' ? `${clamped}^${step.p}` : `the mean of ${clamped}^${step.p} over the map`;
  }
  switch (step.at) {
    case 'abs':
      return '|x|';
    case 'shape':
      return 'the shape of x';
    case 'powered':
      return `|x|^${step.p}`;
    case 'sum':
      return `the sum of |x|^${step.p} over the channels`;
    case 'norm':
      return `the L${step.p} norm of x over the channels${step.eps === null ? '' : `, at least ${step.eps}`}`;
  }
}

/** Clip(x, min) without a max, or Max(x, c) / Max(c, x) of one scalar constant: the operand bounded and the bound. */
function lowerBound(ctx: HeadContext, operands: readonly HeadOperand[]): { operand: NonNullable<HeadOperand>; low: number } | null {
  if (ctx.node.op === 'Clip') {
    const operand = operands[0];
    if (!operand || operand.kind === 'const') return null;
    const [low, high] = clipBounds(ctx);
    return high === Infinity && low > -Infinity ? { operand, low } : null;
  }
  if (operands.length !== 2) return null;
  const c = operands.findIndex((o) => o?.kind === 'const');
  const operand = operands[1 - c];
  if (c < 0 || !operand || operand.kind === 'const' || ctx.constant(c, 'bound')!.numbers().length !== 1) return null;
  return { operand, low: scalar(ctx, c, 'bound')! };
}

/**
 * A GeM head's mean must cover the whole map: GlobalAveragePool, ReduceMean over height and width, or
 * the AveragePool PyTorch exports for F.avg_pool2d(x, (H, W)), whose window is the map's size at the
 * exported input size (checked; with another size the exported graph and the model disagree).
 */
function checkGlobalMean(ctx: HeadContext, source: number): void {
  const op = ctx.node.op;
  if (op === 'ReduceMean') {
    const axes = reduceAxes(ctx);
    if (axes.join() !== '2,3') throw ctx.fail(`averages axes [${axes.join(', ')}]: a GeM head averages over height and width (axes 2, 3)`);
    if (!keepsDims(ctx)) throw ctx.fail('has keepdims 0, which flattens the map: cnnx keeps (C, 1, 1); export with keepdim=True');
  } else if (op === 'AveragePool') {
    const params = avgPool(ctx).params;
    const kernel = unpackPair(params.kernel_size);
    if (params.padding !== 0) throw ctx.fail(`pads the map (${JSON.stringify(params.padding)}): a GeM head averages the whole map, unpadded`);
    const size = ctx.mapSize(source);
    if (size === null) {
      throw ctx.fail(`averages a fixed ${kernel[0]}x${kernel[1]} window and the model's input size is not fixed, so cnnx cannot tell it is the whole map (a GeM head); re-export with a fixed input size or with F.adaptive_avg_pool2d(x, 1)`);
    }
    if (size[0] !== kernel[0] || size[1] !== kernel[1]) {
      throw ctx.fail(`averages ${kernel[0]}x${kernel[1]} windows of a ${size[0]}x${size[1]} map: a GeM head averages the whole map`);
    }
  }
}

/** A norm over the channels keeps the channel axis (keepdims), so Div broadcasts it over them. */
function checkChannelReduce(ctx: HeadContext): void {
  const axes = reduceAxes(ctx);
  if (axes.join() !== '1') throw ctx.fail(`reduces axes [${axes.join(', ')}]: a normalize head reduces over the channels (axis 1)`);
  if (!keepsDims(ctx)) throw ctx.fail('has keepdims 0: a normalize head keeps the channel axis to divide by it');
}
