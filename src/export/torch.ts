// Writes a network as a runnable PyTorch script (nn.Sequential + the exact weights cnnx uses), so users can check cnnx against their own stack.
import { CnnxError } from '../errors.js';
import { uniformTensor } from '../network/tensors.js';
import type { BatchNorm2dLayer, Conv2dLayer, InputSpec, Layer, Network } from '../network/types.js';

export interface ExportTorchOptions {
  /** The spec as parsed JSON, to tell {"random"} tensors (regenerated in Python) from others (embedded). */
  readonly raw?: unknown;
  /** cnnx's version, for the header. */
  readonly version?: string;
}

/** Names Python or nn.Sequential already use: a module by that name would be unreachable or rejected. */
const RESERVED = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except',
  'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try',
  'while', 'with', 'yield', 'T_destination', 'add_module', 'append', 'apply', 'bfloat16', 'buffers', 'children', 'cpu', 'cuda', 'double',
  'dump_patches', 'eval', 'extend', 'extra_repr', 'float', 'forward', 'get_buffer', 'get_extra_state', 'get_parameter', 'get_submodule',
  'half', 'insert', 'ipu', 'load_state_dict', 'modules', 'named_buffers', 'named_children', 'named_modules', 'named_parameters',
  'parameters', 'pop', 'register_backward_hook', 'register_buffer', 'register_forward_hook', 'register_forward_pre_hook',
  'register_full_backward_hook', 'register_load_state_dict_post_hook', 'register_module', 'register_parameter', 'requires_grad_',
  'set_extra_state', 'share_memory', 'state_dict', 'to', 'to_empty', 'train', 'training', 'type', 'xpu', 'zero_grad', 'mtia',
]);

/** Module names: the cnnx name where it is a usable Python identifier, else `layer{i}` (made unique). */
export function moduleNames(layers: readonly Layer[]): string[] {
  const valid = (n: string) => /^[A-Za-z][A-Za-z0-9_]*$/.test(n) && !RESERVED.has(n);
  const taken = new Set(layers.flatMap((l) => (l.name && valid(l.name) ? [l.name] : [])));
  return layers.map((l) => {
    if (l.name && valid(l.name)) return l.name;
    let name = `layer${l.index}`;
    while (taken.has(name)) name += '_';
    taken.add(name);
    return name;
  });
}

/** A Python literal for a finite number (JS's shortest round-trip form is valid Python). */
function py(x: number | null | boolean): string {
  if (x === null) return 'None';
  if (typeof x === 'boolean') return x ? 'True' : 'False';
  return Number.isInteger(x) ? `${x}` : String(x);
}

/** A Python tuple literal: `(3, 3)`, and `(3,)` for one element. */
const pair = (p: readonly (number | null)[]) => `(${p.map(py).join(', ')}${p.length === 1 ? ',' : ''})`;

/** Base64 of little-endian float32, wrapped for a triple-quoted string (b64decode skips the newlines). */
function base64Lines(data: Float32Array): string {
  const bytes = Buffer.alloc(data.length * 4);
  for (let i = 0; i < data.length; i++) bytes.writeFloatLE(data[i], i * 4);
  const text = bytes.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += 100) lines.push(text.slice(i, i + 100));
  return lines.join('\n');
}

function rawLayer(raw: unknown, index: number): Record<string, unknown> | null {
  const layers = (raw as { layers?: unknown } | null)?.layers;
  const layer = Array.isArray(layers) ? layers[index] : null;
  return layer && typeof layer === 'object' ? (layer as Record<string, unknown>) : null;
}

/** The seed of a {"random": {"seed": N}} tensor whose values cnnx's generator reproduces exactly, else null. */
function randomSeed(raw: Record<string, unknown> | null, key: string, data: Float32Array, shape: readonly number[], fanIn: number): number | null {
  const source = raw?.[key] as { random?: { seed?: unknown } } | undefined;
  const seed = source?.random?.seed;
  if (typeof seed !== 'number') return null;
  const regenerated = uniformTensor(shape, fanIn, seed);
  // A flipped kernel no longer matches the sequence: then the values are embedded.
  return regenerated.every((v, i) => Object.is(v, data[i])) ? seed : null;
}

class Script {
  readonly tensors: string[] = [];
  readonly loads: string[] = [];
  needPad = false;
  needGem = false;
  needNormalize = false;

  /** Registers a tensor and the statement that copies it into `target`. */
  tensor(target: string, key: string, data: Float32Array, shape: readonly number[], fanIn: number, raw: Record<string, unknown> | null): void {
    const id = target.replace(/^model\[(\d+)\]/, '$1');
    const seed = randomSeed(raw, key, data, shape, fanIn);
    this.tensors.push(
      seed !== null
        ? `    '${id}': ('random', ${pair(shape)}, ${fanIn}, ${seed}),`
        : `    '${id}': ('float32', ${pair(shape)}, """\n${base64Lines(data)}\n"""),`,
    );
    this.loads.push(`        ${target}.copy_(tensor('${id}'))`);
  }
}

function convModule(layer: Conv2dLayer, s: Script, raw: Record<string, unknown> | null): { module: string; prefix: string } {
  const p = layer.padding;
  const symmetric = p.top === p.bottom && p.left === p.right && layer.paddingMode !== 'symmetric';
  const conv = (padding: string, mode: string) =>
    `nn.Conv2d(${layer.inChannels}, ${layer.outChannels}, kernel_size=${pair(layer.kernelSize)}, stride=${pair(layer.stride)}, padding=${padding}, dilation=${pair(layer.dilation)}, groups=${layer.groups}, bias=${py(layer.bias !== null)}, padding_mode='${mode}')`;
  let module: string;
  let prefix: string;
  if (symmetric) {
    module = conv(pair([p.top, p.left]), layer.paddingMode);
    prefix = `model[${layer.index}]`;
  } else {
    // Asymmetric [t, b, l, r] padding and 'symmetric' mode have no Conv2d form: pad first, then an unpadded conv.
    s.needPad = true;
    module = `nn.Sequential(OrderedDict([('pad', Pad2d(${p.top}, ${p.bottom}, ${p.left}, ${p.right}, '${layer.paddingMode}')), ('conv', ${conv('0', 'zeros')})]))`;
    prefix = `model[${layer.index}].conv`;
  }
  const shape = [layer.outChannels, layer.inChannels / layer.groups, layer.kernelSize[0], layer.kernelSize[1]];
  const fanIn = shape[1] * shape[2] * shape[3];
  s.tensor(`${prefix}.weight`, 'weight', layer.weight, shape, fanIn, raw);
  if (layer.bias) s.tensor(`${prefix}.bias`, 'bias', layer.bias, [layer.outChannels], fanIn, raw);
  return { module, prefix };
}

function batchNormModule(layer: BatchNorm2dLayer, s: Script, raw: Record<string, unknown> | null): string {
  const c = layer.channels;
  const fields = [['weight', layer.weight], ['bias', layer.bias], ['running_mean', layer.runningMean], ['running_var', layer.runningVar]] as const;
  for (const [key, data] of fields) s.tensor(`model[${layer.index}].${key}`, key, data, [c], c, raw);
  return `nn.BatchNorm2d(${c}, eps=${py(layer.eps)})`;
}

function layerModule(layer: Layer, s: Script, raw: unknown): string {
  const r = rawLayer(raw, layer.index);
  switch (layer.type) {
    case 'conv2d':
      return convModule(layer, s, r).module;
    case 'relu':
      return 'nn.ReLU()';
    case 'leaky_relu':
      return `nn.LeakyReLU(negative_slope=${py(layer.negativeSlope)})`;
    case 'maxpool2d':
      return `nn.MaxPool2d(kernel_size=${pair(layer.kernelSize)}, stride=${pair(layer.stride)}, padding=${pair(layer.padding)}, dilation=${pair(layer.dilation)}, ceil_mode=${py(layer.ceilMode)})`;
    case 'avgpool2d':
      return `nn.AvgPool2d(kernel_size=${pair(layer.kernelSize)}, stride=${pair(layer.stride)}, padding=${pair(layer.padding)}, ceil_mode=${py(layer.ceilMode)}, count_include_pad=${py(layer.countIncludePad)}, divisor_override=${py(layer.divisorOverride)})`;
    case 'adaptive_avgpool2d':
      return `nn.AdaptiveAvgPool2d(${pair(layer.outputSize)})`;
    case 'adaptive_maxpool2d':
      return `nn.AdaptiveMaxPool2d(${pair(layer.outputSize)})`;
    case 'batchnorm2d':
      return batchNormModule(layer, s, r);
    case 'gem':
      s.needGem = true;
      return `GeM(p=${py(layer.p)}, eps=${py(layer.eps)})`;
    case 'normalize':
      s.needNormalize = true;
      return `Normalize(p=${py(layer.p)}, eps=${py(layer.eps)})`;
    case 'relu6':
      return 'nn.ReLU6()';
    case 'hardtanh':
      return `nn.Hardtanh(min_val=${py(layer.minVal)}, max_val=${py(layer.maxVal)})`;
    case 'local_response_norm':
      return `nn.LocalResponseNorm(${layer.size}, alpha=${py(layer.alpha)}, beta=${py(layer.beta)}, k=${py(layer.k)})`;
    case 'add':
    case 'concat':
      throw new CnnxError('export.unsupported', `${layer.path} (${layer.type}): export-torch writes plain stacks only; branching networks are not supported yet`);
  }
}

/** The input block as Python constants. */
function inputConstants(input: InputSpec): string[] {
  const list = (v: readonly number[] | null) => (v ? `[${v.map(py).join(', ')}]` : 'None');
  const resize = input.resize;
  let r = 'None';
  if (resize?.kind === 'box') r = `{'kind': 'box', 'width': ${py(resize.width)}, 'height': ${py(resize.height)}, 'fit': '${resize.fit}', 'interpolation': '${resize.interpolation}'}`;
  if (resize?.kind === 'shorter_side') r = `{'kind': 'shorter_side', 'shorter_side': ${resize.shorterSide}, 'center_crop': ${resize.centerCrop ? pair(resize.centerCrop) : 'None'}, 'interpolation': '${resize.interpolation}'}`;
  const npy = `NORMALIZE_NPY = ${input.normalizeNpy ? 'True' : 'False'}`;
  return [`INPUT_CHANNELS = ${input.channels}`, `MEAN = ${list(input.mean)}`, `STD = ${list(input.std)}`, npy, `RESIZE = ${r}`];
}

/** The complete model.py text. */
export function exportTorch(net: Network, options: ExportTorchOptions = {}): string {
  const s = new Script();
  const names = moduleNames(net.layers);
  const entries = net.layers.map((layer, i) => {
    const module = layerModule(layer, s, options.raw);
    const note = layer.name && layer.name !== names[i] ? ` "${layer.name}"` : '';
    return `        ('${names[i]}', ${module}),  # layers[${i}]${note}`;
  });
  const pyString = (v: string) => JSON.stringify(v);
  const layerNames = `[${net.layers.map((l) => (l.name ? pyString(l.name) : 'None')).join(', ')}]`;
  return [
    '#!/usr/bin/env python3',
    `# PyTorch version of the cnnx network ${pyString(net.name)} (${net.file}, sha256 ${net.hash.slice(0, 12)}), written by \`cnnx export-torch\`${options.version ? ` ${options.version}` : ''}.`,
    PREAMBLE,
    ...inputConstants(net.input),
    `# cnnx layer names by index (None: unnamed), for --layer.`,
    `LAYER_NAMES = ${layerNames}`,
    '',
    ...(s.needPad ? [PAD_MODULE] : []),
    ...(s.needGem ? [GEM_MODULE] : []),
    ...(s.needNormalize ? [NORMALIZE_MODULE] : []),
    '',
    'def build_model():',
    '    """The network as nn.Sequential in eval mode, with the weights cnnx uses."""',
    '    model = nn.Sequential(OrderedDict([',
    ...entries,
    '    ]))',
    ...(s.loads.length ? ['    with torch.no_grad():', ...s.loads] : []),
    '    return model.eval()',
    '',
    '',
    HELPERS,
    '',
    '# Weights: float32 little-endian base64, or cnnx\'s {"random": {"seed": N}} generator (shape, fan_in, seed).',
    'TENSORS = {',
    ...s.tensors,
    '}',
    '',
    '',
    "if __name__ == '__main__':",
    '    main()',
    '',
  ].join('\n');
}

const PREAMBLE = `"""Run it: python model.py INPUT OUTPUT.npy [--layer NAME] [--float64]

INPUT is an image (decoded with Pillow) or a float32 .npy of shape (C, H, W) or (H, W); OUTPUT.npy
gets the (C, H, W) float32 output of the last layer, or of --layer. Check cnnx against it with
    cnnx verify NET INPUT --against OUTPUT.npy
Image decoding follows cnnx (8-bit / 255, 16-bit gray / 65535, torchvision's gray weights, alpha
dropped, then (x - mean) / std); a .npy is taken as it is, normalised only with NORMALIZE_NPY (the
spec's normalize_npy). A "resize" with torchvision's interpolations (shorter_side,
center_crop, fit "fill") is torchvision's Resize + CenterCrop on the 8-bit PIL image, as in cnnx;
sharp's kernels and fits are only approximated (with Pillow's Lanczos): compare those with a
.npy input instead.
"""
import argparse
import base64
import math
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
`;

const PAD_MODULE = `
class Pad2d(nn.Module):
    """Explicit [top, bottom, left, right] padding before a conv: zeros, reflect, replicate, circular
    (F.pad), or symmetric (edge repeated, NumPy's 'symmetric'), which PyTorch lacks."""

    def __init__(self, top, bottom, left, right, mode):
        super().__init__()
        self.pads = (top, bottom, left, right)
        self.mode = mode

    def forward(self, x):
        top, bottom, left, right = self.pads
        if self.mode == 'symmetric':
            h, w = x.shape[-2], x.shape[-1]
            x = torch.cat([x[..., :top, :].flip(-2), x, x[..., h - bottom:, :].flip(-2)], dim=-2)
            return torch.cat([x[..., :left].flip(-1), x, x[..., w - right:].flip(-1)], dim=-1)
        return F.pad(x, (left, right, top, bottom), mode='constant' if self.mode == 'zeros' else self.mode)

    def extra_repr(self):
        return f'pads={self.pads}, mode={self.mode!r}'
`;

/** A module with the two settings `p` and `eps` whose forward is one expression. */
function pEpsModule(name: string, doc: string, forward: string): string {
  return `
class ${name}(nn.Module):
    """${doc}"""

    def __init__(self, p, eps):
        super().__init__()
        self.p = p
        self.eps = eps

    def forward(self, x):
        return ${forward}

    def extra_repr(self):
        return f'p={self.p}, eps={self.eps}'
`;
}

const GEM_MODULE = pEpsModule(
  'GeM',
  'Generalised mean pooling to (C, 1, 1): (mean over H, W of clamp(x, min=eps)^p)^(1/p) per channel.',
  'x.clamp(min=self.eps).pow(self.p).mean(dim=(-2, -1), keepdim=True).pow(1.0 / self.p)',
);

const NORMALIZE_MODULE = pEpsModule('Normalize', 'F.normalize over the channels at every pixel: x / max(||x||_p, eps).', 'F.normalize(x, p=self.p, dim=1, eps=self.eps)');

const HELPERS = `def tensor(key):
    """One weight tensor from TENSORS."""
    kind, shape, *rest = TENSORS[key]
    if kind == 'random':
        return cnnx_random(shape, *rest)
    data = np.frombuffer(base64.b64decode(rest[0]), dtype='<f4')
    return torch.from_numpy(data.copy().reshape(shape))


def cnnx_random(shape, fan_in, seed):
    """cnnx's {"random": {"seed": N}} values, bit for bit: a splitmix32-style hash of a Weyl
    sequence, uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)) (computed in float64, rounded to float32)."""
    n = int(np.prod(shape))
    mask = np.uint64(0xFFFFFFFF)
    z = (np.uint64(seed) + np.uint64(0x9E3779B9) * np.arange(1, n + 1, dtype=np.uint64)) & mask
    z = ((z ^ (z >> np.uint64(16))) * np.uint64(0x85EBCA6B)) & mask
    z = ((z ^ (z >> np.uint64(13))) * np.uint64(0xC2B2AE35)) & mask
    z = z ^ (z >> np.uint64(16))
    bound = 1 / math.sqrt(fan_in)
    values = (z.astype(np.float64) / 2 ** 32) * 2 * bound - bound
    return torch.from_numpy(values.astype(np.float32).reshape(shape))


def read_image(path):
    """An image as cnnx reads it: (C, H, W) float64 in [0, 1] with INPUT_CHANNELS channels."""
    from PIL import Image, ImageOps
    image = ImageOps.exif_transpose(Image.open(path))
    if image.mode == 'P':
        image = image.convert('RGBA' if 'transparency' in image.info else 'RGB')
    if image.mode not in ('L', 'LA', 'RGB', 'RGBA', 'I', 'I;16', 'I;16B', 'I;16L'):
        image = image.convert('RGB')
    if RESIZE is not None:
        image = resize(image)
    scale = 1 / 65535 if image.mode.startswith('I') else 1 / 255
    values = np.asarray(image).astype(np.float64)
    if values.ndim == 2:
        values = values[:, :, None]
    have = values.shape[2]
    colour, alpha = have >= 3, have in (2, 4)
    if INPUT_CHANNELS == 1:
        if colour:
            return (0.2989 * values[:, :, 0] * scale + 0.587 * values[:, :, 1] * scale + 0.114 * values[:, :, 2] * scale)[None]
        return (values[:, :, 0] * scale)[None]
    planes = [values[:, :, c if colour else 0] * scale for c in range(3)]
    if INPUT_CHANNELS == 4:
        planes.append(values[:, :, have - 1] * scale if alpha else np.ones(values.shape[:2]))
    return np.stack(planes)


PILLOW_FILTERS = {'nearest': 0, 'lanczos': 1, 'bilinear': 2, 'bicubic': 3, 'box': 4, 'hamming': 5}


def pillow_input(image):
    """The 8-bit image cnnx resizes with Pillow's filters: 16-bit keeps its high byte, alpha only for 4 channels."""
    from PIL import Image
    if image.mode.startswith('I'):
        image = Image.fromarray((np.asarray(image).astype(np.int64) >> 8).astype(np.uint8), 'L')
    if INPUT_CHANNELS < 4 and image.mode in ('LA', 'RGBA'):
        image = image.convert(image.mode[:-1])
    return image


def crop_offset(size, crop):
    """torchvision CenterCrop's offset; a larger crop pads (crop - size) // 2 before."""
    return int(round((size - crop) / 2.0)) if crop <= size else -((crop - size) // 2)


def resize(image):
    """The spec's resize: torchvision's Resize (+ CenterCrop) with Pillow's filters; sharp's kernels and fits approximated."""
    from PIL import Image
    w, h = image.size
    if RESIZE['interpolation'] in PILLOW_FILTERS:
        image = pillow_input(image)
        resample = PILLOW_FILTERS[RESIZE['interpolation']]
    else:
        resample = Image.LANCZOS
    if RESIZE['kind'] == 'shorter_side':
        side = RESIZE['shorter_side']
        scaled = int(side * max(w, h) / min(w, h))
        size = (side, scaled) if w <= h else (scaled, side)
        if size != (w, h):
            image = image.resize(size, resample)
        if RESIZE['center_crop']:
            ch, cw = RESIZE['center_crop']
            top, left = crop_offset(size[1], ch), crop_offset(size[0], cw)
            # Pillow fills a box reaching outside the image with zeros, as CenterCrop's padding.
            image = image.crop((left, top, left + cw, top + ch))
        return image
    tw, th, fit = RESIZE['width'], RESIZE['height'], RESIZE['fit']
    if tw is None or th is None:
        scale = tw / w if tw is not None else th / h
        return image.resize((round(w * scale), round(h * scale)), Image.LANCZOS)
    if fit == 'fill':
        return image.resize((tw, th), resample) if (tw, th) != (w, h) else image
    scale = max(tw / w, th / h) if fit in ('cover', 'outside') else min(tw / w, th / h)
    image = image.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.LANCZOS)
    if fit == 'cover':
        left, top = (image.size[0] - tw) // 2, (image.size[1] - th) // 2
        return image.crop((left, top, left + tw, top + th))
    if fit == 'contain':
        canvas = Image.new(image.mode, (tw, th))
        canvas.paste(image, ((tw - image.size[0]) // 2, (th - image.size[1]) // 2))
        return canvas
    return image


def read_input(path):
    """The network's input tensor (1, C, H, W): an image then (x - MEAN) / STD, or a .npy as it is (normalised with NORMALIZE_NPY)."""
    with open(path, 'rb') as f:
        is_npy = f.read(6) == b'\\x93NUMPY'
    x = np.load(path).astype(np.float64) if is_npy else read_image(path)
    if x.ndim == 2:
        x = x[None]
    if MEAN is not None and (NORMALIZE_NPY or not is_npy):
        x = x - np.array(MEAN)[:, None, None]
    if STD is not None and (NORMALIZE_NPY or not is_npy):
        x = x / np.array(STD)[:, None, None]
    return torch.from_numpy(x.astype(np.float32))[None]


def main(argv=None):
    parser = argparse.ArgumentParser(description='Run the exported cnnx network with PyTorch and save the output as .npy.')
    parser.add_argument('input', help='image or .npy (C, H, W) / (H, W)')
    parser.add_argument('output', help='.npy file for the (C, H, W) float32 output')
    parser.add_argument('--layer', help='stop after this named layer (as cnnx --layer)')
    parser.add_argument('--float64', action='store_true', help='compute in float64 (as the conformance cases were made)')
    args = parser.parse_args(argv)
    model = build_model()
    stop = len(model)
    if args.layer is not None:
        if args.layer not in LAYER_NAMES:
            parser.error(f'no layer named {args.layer!r}; named layers: {[n for n in LAYER_NAMES if n]}')
        stop = LAYER_NAMES.index(args.layer) + 1
    dtype = torch.float64 if args.float64 else torch.float32
    with torch.no_grad():
        y = model[:stop].to(dtype)(read_input(args.input).to(dtype))[0]
    np.save(args.output, y.numpy().astype(np.float32))
    print(f'{args.output}: {tuple(y.shape)}', file=sys.stderr)`;
