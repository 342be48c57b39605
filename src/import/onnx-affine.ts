// Recognises a per-channel affine written as channel slices (torchvision's transform_input in GoogLeNet and Inception v3:
// Gather(x, c, axis 1) -> Unsqueeze -> Mul -> Add for each channel, then Concat) and maps it to one 1x1 conv, a group per channel.
import type { HeadContext, HeadOperand, HeadResult, HeadStep } from './onnx-heads.js';
import { int, ints } from './onnx-ops.js';

/** How far along a channel's slice is: its channel, whether the channel axis is back, and x * scale + shift so far. */
export type AffineStep = Extract<HeadStep, { head: 'affine' }>;

/** `node` as the next step of a channel slice, or the concat that closes them all; null when it continues none. */
export function stepAffine(ctx: HeadContext, operands: readonly HeadOperand[]): HeadResult | null {
  const [a, b] = operands;
  const sliced = operands.find((o) => o?.kind === 'step' && o.step.head === 'affine');
  const step = sliced?.kind === 'step' && sliced.step.head === 'affine' ? sliced.step : null;
  const source = sliced?.kind === 'step' ? sliced.source : -1;
  const next = (s: AffineStep): HeadResult => ({ kind: 'step', source, step: s });
  switch (ctx.node.op) {
    case 'Gather': {
      if (a?.kind !== 'map' || b?.kind !== 'const' || int(ctx, 'axis', 0) !== 1) return null;
      const index = ctx.constant(1, 'indices')!;
      if (index.dims.length !== 0) return null;
      const channel = index.numbers()[0];
      if (!(channel >= 0)) throw ctx.fail(`takes channel ${channel}: cnnx maps channel slices by their index from 0`);
      return { kind: 'step', source: a.source, step: { head: 'affine', at: 'channel', channel, scale: 1, shift: 0 } };
    }
    case 'Unsqueeze': {
      if (step?.at !== 'channel') return null;
      const axes = ctx.opset >= 13 ? ctx.constant(1, 'axes')?.numbers() : ints(ctx, 'axes', []);
      if (axes?.length !== 1 || axes[0] !== 1) throw ctx.fail(`unsqueezes axes [${axes?.join(', ')}] of a channel slice: cnnx maps the slice back to axis 1 only`);
      return next({ ...step, at: 'unsqueezed' });
    }
    case 'Mul':
    case 'Add':
    case 'Sub': {
      if (step === null || operands.length !== 2) return null;
      const c = operands.findIndex((o) => o?.kind === 'const');
      if (c < 0) return null;
      const values = ctx.constant(c, 'operand')!.numbers();
      if (values.length !== 1) throw ctx.fail(`${ctx.node.op === 'Mul' ? 'multiplies' : 'adds'} a channel slice and ${values.length} values: cnnx maps one number per channel`);
      const v = values[0];
      if (ctx.node.op === 'Mul') return next({ ...step, scale: step.scale * v, shift: step.shift * v });
      if (ctx.node.op === 'Add') return next({ ...step, shift: step.shift + v });
      // x - v, or v - x.
      return next(c === 1 ? { ...step, shift: step.shift - v } : { ...step, scale: -step.scale, shift: v - step.shift });
    }
    case 'Concat': {
      if (step === null) return null;
      const steps = operands.map((o) => (o?.kind === 'step' && o.step.head === 'affine' && o.step.at === 'unsqueezed' && o.source === source ? o.step : null));
      const channels = steps.map((s) => s?.channel);
      if (int(ctx, 'axis', NaN) !== 1 || steps.some((s) => s === null) || channels.some((ch, i) => ch !== i)) {
        throw ctx.fail(`concatenates channel slices [${channels.map((ch) => ch ?? '?').join(', ')}] of ${ctx.describeMap(source)}: cnnx maps slices of every channel, in order, back along axis 1`);
      }
      const n = steps.length;
      return {
        kind: 'layer',
        source,
        draft: {
          type: 'conv2d',
          params: { in_channels: n, out_channels: n, kernel_size: 1, stride: 1, padding: 0, groups: n },
          weights: { weight: { shape: [n, 1, 1, 1], data: Float32Array.from(steps, (s) => s!.scale) }, bias: { shape: [n], data: Float32Array.from(steps, (s) => s!.shift) } },
        },
        label: 'transform_input',
      };
    }
    default:
      return null;
  }
}
