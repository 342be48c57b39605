// A layer's caption in the HTML report, with its own numbers: the operation and its parameters, the output-size formula filled in, parameters, multiply-adds, receptive field and jump.
import type { Shape } from '../engine/tensor.js';
import type { LayerSummary } from '../inspect/summary.js';
import type { Layer } from '../network/types.js';

const pair = (p: readonly number[]) => (p[0] === p[1] ? `${p[0]}` : `${p[0]}x${p[1]}`);
const count = (n: number) => n.toLocaleString('en-US');

/** The operation and its parameters in words: `conv2d 3 → 32 channels, kernel 3, stride 1, padding 1 (zeros), ...`. */
export function operationText(layer: Layer, input: Shape): string {
  switch (layer.type) {
    case 'conv2d': {
      const p = layer.padding;
      const pads = p.top === p.bottom && p.left === p.right ? pair([p.top, p.left]) : `[${p.top}, ${p.bottom}, ${p.left}, ${p.right}]`;
      const filters = layer.filterNames ? `, filters ${[...new Set(layer.filterNames.map((n) => n.replace(/ \(in \d+\)$/, '')))].join(', ')}` : '';
      return `conv2d ${layer.inChannels} → ${layer.outChannels} channels, kernel ${pair(layer.kernelSize)}, stride ${pair(layer.stride)}, padding ${pads} (${layer.paddingMode}), dilation ${pair(layer.dilation)}, groups ${layer.groups}, ${layer.bias ? 'bias' : 'no bias'}${filters}`;
    }
    case 'maxpool2d':
      return `maxpool2d: the maximum of each window, kernel ${pair(layer.kernelSize)}, stride ${pair(layer.stride)}, padding ${pair(layer.padding)}, dilation ${pair(layer.dilation)}${layer.ceilMode ? ', ceil_mode' : ''}`;
    case 'avgpool2d':
      return `avgpool2d: the mean of each window, kernel ${pair(layer.kernelSize)}, stride ${pair(layer.stride)}, padding ${pair(layer.padding)}${layer.ceilMode ? ', ceil_mode' : ''}${layer.countIncludePad ? '' : ', padding not counted'}${layer.divisorOverride !== null ? `, divisor ${layer.divisorOverride}` : ''}`;
    case 'adaptive_avgpool2d':
    case 'adaptive_maxpool2d':
      return `${layer.type}: ${layer.type === 'adaptive_avgpool2d' ? 'the mean' : 'the maximum'} of input-dependent windows to ${layer.outputSize.map((s) => s ?? 'same').join('x')}`;
    case 'relu':
      return 'relu: max(0, x) per value, negatives become 0';
    case 'leaky_relu':
      return `leaky_relu: x, or ${layer.negativeSlope}·x below 0`;
    case 'batchnorm2d':
      return `batchnorm2d: (x - running_mean) / sqrt(running_var + ${layer.eps}) · weight + bias, per channel`;
    case 'add':
      return `add: the sum of ${layer.inputs.length} inputs`;
    case 'concat':
      return `concat: ${layer.inputs.length} inputs stacked along channels`;
    case 'gem':
      return `gem: generalised mean, (mean of x^${layer.p})^(1/${layer.p}) per channel`;
    case 'normalize':
      return `normalize: x / ‖x‖_${layer.p} over the channels at each pixel`;
    default:
      return `${layer.type} (${input.channels} channels in)`;
  }
}

/** One axis of a sliding window's size formula, as PyTorch computes it: `(300 + 2*1 - 3)/1 + 1 = 300`. */
function windowFormula(n: number, before: number, after: number, kernel: number, dilation: number, stride: number, ceil: boolean, out: number): string {
  const pad = before === after ? (before === 0 ? '' : ` + 2*${before}`) : ` + ${before} + ${after}`;
  const span = dilation === 1 ? `${kernel}` : `(${dilation}*(${kernel}-1) + 1)`;
  const numerator = n + before + after - (dilation * (kernel - 1) + 1);
  const exact = numerator % stride === 0;
  const inner = `(${n}${pad} - ${span})/${stride}`;
  const formula = exact ? `${inner} + 1` : ceil ? `⌈${inner}⌉ + 1` : `⌊${inner}⌋ + 1`;
  const value = (ceil ? Math.ceil(numerator / stride) : Math.floor(numerator / stride)) + 1;
  // ceil_mode drops a last window that would start in the right padding.
  return value === out ? `${formula} = ${out}` : `${formula} = ${value}, minus the last window (it would start in the padding) = ${out}`;
}

/** The output size of each axis, worked out: `height (300 + 2*1 - 3)/1 + 1 = 300`. */
export function sizeFormula(layer: Layer, input: Shape, output: Shape): string {
  const axes: [string, number, number, 0 | 1][] = [['height', input.height, output.height, 0], ['width', input.width, output.width, 1]];
  switch (layer.type) {
    case 'conv2d':
      return axes
        .map(([name, n, out, a]) => `${name} ${windowFormula(n, a === 0 ? layer.padding.top : layer.padding.left, a === 0 ? layer.padding.bottom : layer.padding.right, layer.kernelSize[a], layer.dilation[a], layer.stride[a], false, out)}`)
        .join('; ');
    case 'maxpool2d':
    case 'avgpool2d': {
      const dilation = layer.type === 'maxpool2d' ? layer.dilation : ([1, 1] as const);
      return axes.map(([name, n, out, a]) => `${name} ${windowFormula(n, layer.padding[a], layer.padding[a], layer.kernelSize[a], dilation[a], layer.stride[a], layer.ceilMode, out)}`).join('; ');
    }
    case 'adaptive_avgpool2d':
    case 'adaptive_maxpool2d':
      return axes.map(([name, n, out]) => `${name} ${n} → ${out}: window i covers ⌊i·${n}/${out}⌋ .. ⌈(i+1)·${n}/${out}⌉ - 1`).join('; ');
    case 'gem':
      return `${input.height}x${input.width} → 1x1: one value per channel`;
    case 'concat':
      return `channels ${layer.inputs.length} inputs → ${output.channels}; size unchanged ${output.height}x${output.width}`;
    default:
      return `size unchanged: ${output.height}x${output.width}`;
  }
}

/** The caption's lines for node `row` of the summary, read from `input`. */
export function captionLines(layer: Layer, input: Shape, row: LayerSummary): string[] {
  const field = row.receptiveField && row.jump ? `receptive field ${pair(row.receptiveField)} px, jump ${pair(row.jump)} px` : 'receptive field: input-dependent (adaptive pooling)';
  return [operationText(layer, input), sizeFormula(layer, input, row.output), `${count(row.params)} parameters, ${count(row.macs)} multiply-adds; ${field}`];
}
