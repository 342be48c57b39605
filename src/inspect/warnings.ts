// Geometry surprises per layer for `cnnx inspect`: dropped ceil_mode windows, unread border rows, lopsided 'same' padding, strides that do not divide.
import { adaptiveEnd, adaptiveStart, effectiveKernel } from '../engine/geometry.js';
import type { Shape } from '../engine/tensor.js';
import type { Layer } from '../network/types.js';

export type WarningCode = 'ceil_mode_dropped' | 'border_unread' | 'same_even_kernel' | 'stride_not_dividing' | 'adaptive_uneven';

export interface LayerWarning {
  readonly layer: number;
  readonly code: WarningCode;
  readonly message: string;
}

/** One axis of a sliding window: what the layer does along height (axis 0) or width (axis 1). */
interface AxisWindow {
  readonly kernel: number;
  readonly stride: number;
  readonly before: number;
  readonly after: number;
  readonly ceilMode: boolean;
}

const AXIS = [
  { size: 'height', unit: 'row', units: 'rows', side: 'bottom', first: 'top' },
  { size: 'width', unit: 'column', units: 'columns', side: 'right', first: 'left' },
] as const;


function count(n: number, axis: 0 | 1): string {
  return `${n} ${n === 1 ? AXIS[axis].unit : AXIS[axis].units}`;
}

function axisWindow(layer: Layer, axis: 0 | 1): AxisWindow | null {
  switch (layer.type) {
    case 'conv2d': {
      const p = layer.padding;
      return {
        kernel: effectiveKernel(layer.kernelSize[axis], layer.dilation[axis]),
        stride: layer.stride[axis],
        before: axis === 0 ? p.top : p.left,
        after: axis === 0 ? p.bottom : p.right,
        ceilMode: false,
      };
    }
    case 'maxpool2d':
    case 'avgpool2d': {
      const dilation = layer.type === 'maxpool2d' ? layer.dilation[axis] : 1;
      const pad = layer.padding[axis];
      return { kernel: effectiveKernel(layer.kernelSize[axis], dilation), stride: layer.stride[axis], before: pad, after: pad, ceilMode: layer.ceilMode };
    }
    default:
      return null;
  }
}

/** Facts about one axis of a windowed layer for input length n and output length out. */
function axisFacts(w: AxisWindow, n: number, out: number) {
  // PyTorch's ceil_mode rule: a last window that would start in the right padding (or beyond) is dropped.
  let dropped: number | null = null;
  if (w.ceilMode) {
    const span = n + 2 * w.before - w.kernel;
    const naive = Math.floor((span + w.stride - 1) / w.stride) + 1;
    if (naive > out) dropped = (naive - 1) * w.stride - w.before;
  }
  const lastRead = Math.min(n - 1, (out - 1) * w.stride - w.before + w.kernel - 1);
  return { dropped, unread: n - 1 - lastRead };
}

/** Warnings for `layer`, which maps `input` to `output`. */
export function layerWarnings(layer: Layer, input: Shape, output: Shape): LayerWarning[] {
  const warnings: LayerWarning[] = [];
  const add = (code: WarningCode, message: string) => warnings.push({ layer: layer.index, code, message });
  const sizes = [input.height, input.width];
  const outs = [output.height, output.width];
  if (layer.type === 'adaptive_avgpool2d' || layer.type === 'adaptive_maxpool2d') {
    const parts = ([0, 1] as const).flatMap((a) => unevenAdaptive(sizes[a], outs[a], a));
    if (parts.length) add('adaptive_uneven', `output_size ${parts.join('; ')}`);
    return warnings;
  }
  const windows = ([0, 1] as const).map((a) => axisWindow(layer, a));
  if (!windows[0] || !windows[1]) return warnings;
  const axes = [0, 1] as const;
  const facts = axes.map((a) => axisFacts(windows[a] as AxisWindow, sizes[a], outs[a]));

  const droppedParts = axes.flatMap((a) => {
    const at = facts[a].dropped;
    return at === null ? [] : [`the last window along the ${AXIS[a].size} would start at ${AXIS[a].unit} ${at}, past the input's ${count(sizes[a], a)}, so PyTorch drops it (${outs[a]}, not ${outs[a] + 1})`];
  });
  if (droppedParts.length) add('ceil_mode_dropped', `ceil_mode: ${droppedParts.join('; ')}`);

  const unreadParts = axes.flatMap((a) => (facts[a].unread > 0 ? [`the ${AXIS[a].side} ${count(facts[a].unread, a)}`] : []));
  if (unreadParts.length) {
    add('border_unread', `never reads ${unreadParts.join(' and ')} of its ${input.height}x${input.width} input: the ${describeWindow(windows as AxisWindow[])} windows stop short of the border`);
  }

  if (layer.type === 'conv2d') {
    const even = sameEvenAxes(windows as AxisWindow[]);
    if (even.length) {
      const w = windows as AxisWindow[];
      const pads = even.map((a) => `${AXIS[a].first} ${w[a].before}, ${AXIS[a].side} ${w[a].after}`).join(' and ');
      const towards = even.map((a) => (a === 0 ? 'down' : 'right')).join('/');
      add('same_even_kernel', `'same' padding with the even kernel ${w[0].kernel}x${w[1].kernel} pads ${pads} (PyTorch puts the extra one ${even.map((a) => AXIS[a].side).join('/')}): each output is centred half a pixel ${towards} of the input pixel it aligns with`);
    }
  }

  // A border warning on an axis already explains the odd size there.
  const strideParts = axes.flatMap((a) => {
    const s = (windows[a] as AxisWindow).stride;
    if (s === 1 || sizes[a] % s === 0 || facts[a].unread > 0 || facts[a].dropped !== null) return [];
    return [`stride ${s} does not divide the input ${AXIS[a].size} ${sizes[a]}: ${outs[a]} output ${AXIS[a].units} x ${s} = ${outs[a] * s}, not ${sizes[a]}`];
  });
  if (strideParts.length) add('stride_not_dividing', `${strideParts.join('; ')}, so scaling the map by the stride does not give back the input size`);
  return warnings;
}

function describeWindow(w: readonly AxisWindow[]): string {
  const pair = (a: number, b: number) => (a === b ? `${a}` : `${a}x${b}`);
  const pad = w[0].before === w[0].after && w[1].before === w[1].after ? pair(w[0].before, w[1].before) : `[${w[0].before}, ${w[0].after}, ${w[1].before}, ${w[1].after}]`;
  return `kernel ${pair(w[0].kernel, w[1].kernel)} stride ${pair(w[0].stride, w[1].stride)} padding ${pad}`;
}

/** Axes where the padding is exactly what 'same' gives an even effective kernel: one more after than before. */
function sameEvenAxes(w: readonly AxisWindow[]): (0 | 1)[] {
  if (w[0].stride !== 1 || w[1].stride !== 1) return [];
  const isSame = (x: AxisWindow) => x.before === Math.floor((x.kernel - 1) / 2) && x.before + x.after === x.kernel - 1;
  if (!isSame(w[0]) || !isSame(w[1])) return [];
  return ([0, 1] as const).filter((a) => w[a].kernel % 2 === 0);
}

function unevenAdaptive(n: number, out: number, axis: 0 | 1): string[] {
  if (n % out === 0) return [];
  let min = Infinity;
  let max = 0;
  let overlap = false;
  for (let i = 0; i < out; i++) {
    const size = adaptiveEnd(i, n, out) - adaptiveStart(i, n, out);
    min = Math.min(min, size);
    max = Math.max(max, size);
    if (i > 0 && adaptiveStart(i, n, out) < adaptiveEnd(i - 1, n, out)) overlap = true;
  }
  const sizes = min === max ? `${min}` : `${min} to ${max}`;
  return [`${out} does not divide the input ${AXIS[axis].size} ${n}: windows of ${sizes} ${AXIS[axis].units}${overlap ? ', neighbours overlapping' : ''}`];
}
