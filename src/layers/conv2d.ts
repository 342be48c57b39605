// conv2d: cross-correlation with stride, padding (int, [h, w], [t, b, l, r], "same", "valid"), dilation, groups and padding modes (torch.nn.Conv2d).
import { borderIndex, convOutputSize, effectiveKernel } from '../engine/geometry.js';
import { tensor } from '../engine/tensor.js';
import { describeValue } from '../errors.js';
import { flipKernel, resolveFilterBank } from '../filters/library.js';
import type { ObjectReader } from '../network/reader.js';
import { loadTensor } from '../network/tensors.js';
import type { Conv2dLayer, LayerParams, Pads, PaddingMode, Pair } from '../network/types.js';
import type { LayerDef, ParseContext } from './layer.js';
import { plural } from '../format.js';

const PADDING_MODES: readonly PaddingMode[] = ['zeros', 'reflect', 'replicate', 'circular', 'symmetric'];

type Conv2dParams = LayerParams<Conv2dLayer>;

async function parseConv2d(r: ObjectReader, ctx: ParseContext): Promise<Conv2dParams> {
  const inChannels = ctx.inChannels;
  if (r.has('in_channels')) {
    const declared = r.int('in_channels', { min: 1 });
    if (declared !== inChannels) throw r.error('in_channels', `is ${declared}, but the layer receives ${plural(inChannels, 'channel')}`, 'spec.shape');
  }
  const stride = r.pair('stride', { min: 1, default: [1, 1] });
  const dilation = r.pair('dilation', { min: 1, default: [1, 1] });
  const paddingMode = r.oneOf('padding_mode', PADDING_MODES, 'zeros');

  let outChannels: number;
  let kernelSize: Pair;
  let groups: number;
  let weight: Float32Array;
  let bias: Float32Array | null = null;
  let filterNames: string[] | undefined;

  if (r.has('kernels')) {
    // A bank of named 2-D filters applied to each channel on its own (depthwise).
    for (const key of ['weight', 'bias', 'groups', 'out_channels', 'kernel_size']) {
      if (r.has(key)) throw r.error(key, 'cannot be given with "kernels" (a filter bank sets it)', 'spec.conflict');
    }
    const bank = resolveFilterBank(r.get('kernels') as string | string[], { file: r.file, path: r.pathOf('kernels') });
    const flip = r.bool('flip', false);
    const count = bank.names.length;
    const size = bank.height * bank.width;
    kernelSize = [bank.height, bank.width];
    groups = inChannels;
    outChannels = inChannels * count;
    weight = new Float32Array(outChannels * size);
    // Output channel c * count + k is filter k on input channel c: the name says both when there are several.
    filterNames = Array.from({ length: outChannels }, (_, o) => (inChannels > 1 ? `${bank.names[o % count]} (in ${Math.floor(o / count)})` : bank.names[o % count]));
    for (let c = 0; c < inChannels; c++) {
      for (let k = 0; k < count; k++) {
        let values = bank.values.subarray(k * size, (k + 1) * size);
        if (flip) values = flipKernel(values, bank.height, bank.width);
        weight.set(values, (c * count + k) * size);
      }
    }
  } else {
    outChannels = r.int('out_channels', { min: 1 });
    kernelSize = r.pair('kernel_size', { min: 1 });
    groups = r.int('groups', { min: 1, default: 1 });
    r.bool('flip', false);
    if (inChannels % groups !== 0) throw r.error('groups', `${groups} does not divide in_channels ${inChannels}`, 'spec.shape');
    if (outChannels % groups !== 0) throw r.error('groups', `${groups} does not divide out_channels ${outChannels}`, 'spec.shape');
    const fanIn = (inChannels / groups) * kernelSize[0] * kernelSize[1];
    weight = await loadTensor(
      r,
      { key: 'weight', shape: [outChannels, inChannels / groups, kernelSize[0], kernelSize[1]], dims: 'out_channels, in_channels/groups, kh, kw', fanIn },
      ctx.dir,
      ctx.safetensors,
    );
    if (r.get('flip') === true) weight = flipEach(weight, outChannels * (inChannels / groups), kernelSize);
    if (r.has('bias')) {
      bias = await loadTensor(r, { key: 'bias', shape: [outChannels], dims: 'out_channels', fanIn }, ctx.dir, ctx.safetensors);
    }
  }
  const padding = parsePadding(r, kernelSize, stride, dilation);
  r.finish();
  return { inChannels, outChannels, kernelSize, stride, dilation, padding, paddingMode, groups, weight, bias, ...(filterNames ? { filterNames } : {}) };
}

function flipEach(weight: Float32Array, count: number, [kh, kw]: Pair): Float32Array {
  const out = new Float32Array(weight.length);
  for (let i = 0; i < count; i++) out.set(flipKernel(weight.subarray(i * kh * kw, (i + 1) * kh * kw), kh, kw), i * kh * kw);
  return out;
}

/** int, [h, w], [top, bottom, left, right], "same" (stride 1; extra row/column bottom/right) or "valid". */
function parsePadding(r: ObjectReader, kernel: Pair, stride: Pair, dilation: Pair): Pads {
  const raw = r.get('padding') ?? 0;
  if (raw === 'valid') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (raw === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) {
      throw r.error('padding', `"same" needs stride 1 (as in PyTorch), got stride [${stride.join(', ')}]; give explicit [top, bottom, left, right] padding instead`, 'spec.range');
    }
    const totalH = dilation[0] * (kernel[0] - 1);
    const totalW = dilation[1] * (kernel[1] - 1);
    return { top: Math.floor(totalH / 2), bottom: totalH - Math.floor(totalH / 2), left: Math.floor(totalW / 2), right: totalW - Math.floor(totalW / 2) };
  }
  const values = typeof raw === 'number' ? [raw] : raw;
  const ok = Array.isArray(values) && [1, 2, 4].includes(values.length) && values.every((v) => Number.isSafeInteger(v) && v >= 0);
  if (!ok) throw r.error('padding', `expected an integer >= 0, [h, w], [top, bottom, left, right], "same" or "valid", got ${describeValue(raw)}`, 'spec.type');
  const v = values as number[];
  if (v.length === 1) return { top: v[0], bottom: v[0], left: v[0], right: v[0] };
  if (v.length === 2) return { top: v[0], bottom: v[0], left: v[1], right: v[1] };
  return { top: v[0], bottom: v[1], left: v[2], right: v[3] };
}

/** Why a padding mode cannot pad `pad` cells on an axis of length n, or null (PyTorch's limits; symmetric as NumPy). */
export function padModeProblem(mode: PaddingMode, pad: number, n: number): string | null {
  if (mode === 'reflect' && pad >= n) return `reflect padding ${pad} must be smaller than the input size ${n}`;
  if ((mode === 'circular' || mode === 'symmetric') && pad > n) return `${mode} padding ${pad} must be at most the input size ${n}`;
  return null;
}

export const conv2d: LayerDef<Conv2dLayer> = {
  type: 'conv2d',
  summary: 'cross-correlation with a bank of filters',
  parse: parseConv2d,
  outChannels: (layer) => layer.outChannels,
  outputShape(layer, input) {
    const { padding: p, paddingMode: mode } = layer;
    const problem = padModeProblem(mode, Math.max(p.top, p.bottom), input.height) ?? padModeProblem(mode, Math.max(p.left, p.right), input.width);
    if (mode !== 'zeros' && problem) return problem;
    const height = convOutputSize(input.height, layer.kernelSize[0], layer.stride[0], layer.dilation[0], p.top, p.bottom);
    const width = convOutputSize(input.width, layer.kernelSize[1], layer.stride[1], layer.dilation[1], p.left, p.right);
    if (height < 1 || width < 1) {
      const kh = effectiveKernel(layer.kernelSize[0], layer.dilation[0]);
      const kw = effectiveKernel(layer.kernelSize[1], layer.dilation[1]);
      return `the ${kh}x${kw} kernel does not fit the padded input ${input.height + p.top + p.bottom}x${input.width + p.left + p.right}`;
    }
    return { channels: layer.outChannels, height, width };
  },
  reference(layer, input, rows, outShape) {
    const { tensor: x, y0, fullHeight } = input;
    const [kh, kw] = layer.kernelSize;
    const [sh, sw] = layer.stride;
    const [dh, dw] = layer.dilation;
    const inPerGroup = layer.inChannels / layer.groups;
    const outPerGroup = layer.outChannels / layer.groups;
    const outRows = rows.end - rows.start;
    const out = tensor(layer.outChannels, outRows, outShape.width);
    // Column and row lookups: padded coordinate -> source index or -1 (zero).
    const colIndex = new Int32Array(outShape.width * kw);
    for (let ox = 0; ox < outShape.width; ox++) {
      for (let j = 0; j < kw; j++) colIndex[ox * kw + j] = borderIndex(ox * sw - layer.padding.left + j * dw, x.width, layer.paddingMode);
    }
    for (let oc = 0; oc < layer.outChannels; oc++) {
      const g = Math.floor(oc / outPerGroup);
      for (let oy = rows.start; oy < rows.end; oy++) {
        for (let ox = 0; ox < outShape.width; ox++) {
          let sum = layer.bias ? layer.bias[oc] : 0;
          for (let ci = 0; ci < inPerGroup; ci++) {
            const c = g * inPerGroup + ci;
            for (let i = 0; i < kh; i++) {
              const iy = borderIndex(oy * sh - layer.padding.top + i * dh, fullHeight, layer.paddingMode);
              if (iy < 0) continue;
              const local = iy - y0;
              if (local < 0 || local >= x.height) throw new RangeError(`conv2d: row ${iy} is outside the band ${y0}..${y0 + x.height}`);
              const rowBase = (c * x.height + local) * x.width;
              const wBase = ((oc * inPerGroup + ci) * kh + i) * kw;
              for (let j = 0; j < kw; j++) {
                const ix = colIndex[ox * kw + j];
                if (ix >= 0) sum += layer.weight[wBase + j] * x.data[rowBase + ix];
              }
            }
          }
          out.data[(oc * outRows + (oy - rows.start)) * outShape.width + ox] = sum;
        }
      }
    }
    return out;
  },
  cost(layer, _input, output) {
    const perOutput = (layer.inChannels / layer.groups) * layer.kernelSize[0] * layer.kernelSize[1];
    return {
      params: layer.weight.length + (layer.bias ? layer.bias.length : 0),
      macs: output.channels * output.height * output.width * perOutput,
    };
  },
  window: (layer) => ({
    kernel: [effectiveKernel(layer.kernelSize[0], layer.dilation[0]), effectiveKernel(layer.kernelSize[1], layer.dilation[1])],
    stride: layer.stride,
    padBefore: [layer.padding.top, layer.padding.left],
  }),
};
