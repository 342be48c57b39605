// Writes a network as a runnable PyTorch script (an nn.Module computing its nodes in order + the exact weights cnnx uses), so users can check cnnx against their own stack.
import { groupTitle, outline } from '../inspect/outline.js';
import { isMerge } from '../layers/index.js';
import { layerPlace } from '../network/run.js';
import { uniformTensor } from '../network/tensors.js';
import { INPUT, type BatchNorm2dLayer, type Conv2dLayer, type InputSpec, type Layer, type Network, type SingleLayer } from '../network/types.js';

export interface ExportTorchOptions {
  /** The spec as parsed JSON, to tell {"random"} tensors (regenerated in Python) from others (embedded). */
  readonly raw?: unknown;
  /** cnnx's version, for the header. */
  readonly version?: string;
}

/** Names Python or nn.Module (and nn.Sequential) already use: a module by that name would be unreachable or rejected. */
const RESERVED = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except',
  'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try',
  'while', 'with', 'yield', 'T_destination', 'add_module', 'append', 'apply', 'bfloat16', 'buffers', 'children', 'cpu', 'cuda', 'double',
  'dump_patches', 'eval', 'extend', 'extra_repr', 'float', 'forward', 'get_buffer', 'get_extra_state', 'get_parameter', 'get_submodule',
  'half', 'insert', 'ipu', 'load_state_dict', 'modules', 'named_buffers', 'named_children', 'named_modules', 'named_parameters',
  'parameters', 'pop', 'register_backward_hook', 'register_buffer', 'register_forward_hook', 'register_forward_pre_hook',
  'register_full_backward_hook', 'register_load_state_dict_post_hook', 'register_module', 'register_parameter', 'requires_grad_',
  'set_extra_state', 'share_memory', 'state_dict', 'to', 'to_empty', 'train', 'training', 'type', 'xpu', 'zero_grad', 'mtia', 'compile',
  'call_super_init', 'set_submodule', 'register_full_backward_pre_hook', 'register_load_state_dict_pre_hook', 'register_state_dict_pre_hook',
  'register_state_dict_post_hook',
]);

/** A module path part Python reaches as an attribute (`model.conv1`) or by index (`model.layer1[0]`). */
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;
const INDEX = /^(0|[1-9][0-9]*)$/;
const reachable = (part: string) => (IDENTIFIER.test(part) && !RESERVED.has(part)) || INDEX.test(part);

/** The module tree being laid out: a name is a module (leaf) or a group of modules, never both. */
interface Slot {
  leaf: boolean;
  readonly children: Map<string, Slot>;
}

/** Takes the dotted `parts` in `root` unless a part on the way is a module or the path is taken; true when taken. */
function claim(root: Map<string, Slot>, parts: readonly string[]): boolean {
  let level = root;
  for (const [k, part] of parts.entries()) {
    const slot = level.get(part);
    if (slot && (slot.leaf || k === parts.length - 1)) return false;
    if (!slot) break;
    level = slot.children;
  }
  level = root;
  for (const [k, part] of parts.entries()) {
    const slot = level.get(part) ?? { leaf: false, children: new Map() };
    level.set(part, slot);
    if (k === parts.length - 1) slot.leaf = true;
    level = slot.children;
  }
  return true;
}

/**
 * Where each node's module sits in the exported model, as a dotted path (its state_dict prefix): the
 * cnnx name where every dot-separated part is reachable from Python (`layer1.0.conv1` is
 * `model.layer1[0].conv1`, as in torchvision), else `node{i}` at the top; null for add and concat,
 * which are expressions in forward.
 */
export function modulePaths(layers: readonly Layer[]): (string | null)[] {
  const root = new Map<string, Slot>();
  const named = layers.map((l) => {
    if (isMerge(l) || l.name === undefined) return null;
    const parts = l.name.split('.');
    return parts.every(reachable) && claim(root, parts) ? l.name : null;
  });
  return layers.map((l, i) => {
    if (isMerge(l) || named[i] !== null) return named[i];
    let name = `node${l.index}`;
    while (!claim(root, [name])) name += '_';
    return name;
  });
}

/** The Python expression for the module at a dotted path: `self.layer1[0].conv1`. */
function moduleAccess(path: string): string {
  return `self${path.split('.').map((part) => (INDEX.test(part) ? `[${part}]` : `.${part}`)).join('')}`;
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

/** The spec entry at a node's JSON path (`layers[4].branches[1][0]`), or null. */
function rawAt(raw: unknown, path: string): Record<string, unknown> | null {
  let at: unknown = raw;
  for (const [, key, index] of path.matchAll(/\.?([a-z_]+)|\[(\d+)\]/g)) {
    if (at === null || typeof at !== 'object') return null;
    at = key !== undefined ? (at as Record<string, unknown>)[key] : (at as unknown[])[Number(index)];
  }
  return at !== null && typeof at === 'object' && !Array.isArray(at) ? (at as Record<string, unknown>) : null;
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
  needPad = false;
  needGem = false;
  needNormalize = false;

  /** Registers the tensor loaded as state_dict entry `key`, regenerated from its seed or embedded. */
  tensor(key: string, rawKey: string, data: Float32Array, shape: readonly number[], fanIn: number, raw: Record<string, unknown> | null): void {
    const seed = randomSeed(raw, rawKey, data, shape, fanIn);
    this.tensors.push(
      seed !== null
        ? `    '${key}': ('random', ${pair(shape)}, ${fanIn}, ${seed}),`
        : `    '${key}': ('float32', ${pair(shape)}, """\n${base64Lines(data)}\n"""),`,
    );
  }
}

function convModule(layer: Conv2dLayer, at: string, s: Script, raw: Record<string, unknown> | null): string {
  const p = layer.padding;
  const symmetric = p.top === p.bottom && p.left === p.right && layer.paddingMode !== 'symmetric';
  const args = (padding: string, mode: string) =>
    `${layer.inChannels}, ${layer.outChannels}, kernel_size=${pair(layer.kernelSize)}, stride=${pair(layer.stride)}, padding=${padding}, dilation=${pair(layer.dilation)}, groups=${layer.groups}, bias=${py(layer.bias !== null)}, padding_mode='${mode}'`;
  const shape = [layer.outChannels, layer.inChannels / layer.groups, layer.kernelSize[0], layer.kernelSize[1]];
  const fanIn = shape[1] * shape[2] * shape[3];
  s.tensor(`${at}.weight`, 'weight', layer.weight, shape, fanIn, raw);
  if (layer.bias) s.tensor(`${at}.bias`, 'bias', layer.bias, [layer.outChannels], fanIn, raw);
  if (symmetric) return `nn.Conv2d(${args(pair([p.top, p.left]), layer.paddingMode)})`;
  // Asymmetric [t, b, l, r] padding and 'symmetric' mode have no Conv2d form: a Conv2d that pads first.
  s.needPad = true;
  return `PaddedConv2d((${p.top}, ${p.bottom}, ${p.left}, ${p.right}), '${layer.paddingMode}', ${args('0', 'zeros')})`;
}

function batchNormModule(layer: BatchNorm2dLayer, at: string, s: Script, raw: Record<string, unknown> | null): string {
  const c = layer.channels;
  const fields = [['weight', layer.weight], ['bias', layer.bias], ['running_mean', layer.runningMean], ['running_var', layer.runningVar]] as const;
  for (const [key, data] of fields) s.tensor(`${at}.${key}`, key, data, [c], c, raw);
  return `nn.BatchNorm2d(${c}, eps=${py(layer.eps)})`;
}

/** The module of a single-input node registered at `at`, its tensors added to the script. */
function layerModule(layer: SingleLayer, at: string, s: Script, raw: unknown): string {
  const r = rawAt(raw, layer.path);
  switch (layer.type) {
    case 'conv2d':
      return convModule(layer, at, s, r);
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
      return batchNormModule(layer, at, s, r);
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

/** Text for a Python comment: control characters (a newline would end the comment) as JSON escapes. */
function commentText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The Network class: `__init__` registers the modules at their paths, `forward` computes the nodes in order. */
function networkClass(net: Network, s: Script, raw: unknown): string[] {
  const paths = modulePaths(net.layers);
  const registrations = net.layers.flatMap((layer, i) => {
    const at = paths[i];
    if (at === null || isMerge(layer)) return [];
    const note = layer.name === at ? '' : `  # ${commentText(layerPlace(layer))}`;
    return [`        place(self, '${at}', ${layerModule(layer, at, s, raw)})${note}`];
  });
  const v = (node: number) => (node === INPUT ? 'x' : `x${node}`);
  const stops = new Set(net.names.values());
  const last = net.layers.length - 1;
  const forward = outline(net).flatMap((row) => {
    if (row.kind === 'group') return [`        # ${'  '.repeat(row.depth)}${commentText(groupTitle(net, row.group))}`];
    const i = row.node;
    const layer = net.layers[i];
    const ins = layer.inputs.map(v);
    const expr = layer.type === 'add' ? ins.join(' + ') : layer.type === 'concat' ? `torch.cat([${ins.join(', ')}], dim=1)` : `${moduleAccess(paths[i]!)}(${ins[0]})`;
    return [`        ${v(i)} = ${expr}`, ...(stops.has(i) && i !== last ? [`        if stop == ${i}: return ${v(i)}`] : [])];
  });
  return [
    'class Network(Modules):',
    '    """The cnnx network: modules named like its layers (model.layer1[0].conv1 for "layer1.0.conv1"),',
    '    forward computing its nodes in order (x{k} is node k, as numbered by `cnnx inspect`)."""',
    '',
    '    def __init__(self):',
    '        super().__init__()',
    ...registrations,
    '',
    '    def forward(self, x, stop=None):',
    '        """The last node\'s output, or node `stop`\'s (a value of NAMES; -1 is the input itself)."""',
    '        if stop == -1: return x',
    ...forward,
    `        return ${v(last)}`,
  ];
}

/** The complete model.py text. */
export function exportTorch(net: Network, options: ExportTorchOptions = {}): string {
  const s = new Script();
  const network = networkClass(net, s, options.raw);
  const pyString = (v: string) => JSON.stringify(v);
  const names = [['input', INPUT] as const, ...[...net.names].sort((a, b) => a[1] - b[1])].map(([name, node]) => `    ${pyString(name)}: ${node},`);
  return [
    '#!/usr/bin/env python3',
    `# PyTorch version of the cnnx network ${pyString(net.name)} (${commentText(net.file)}, sha256 ${net.hash.slice(0, 12)}), written by \`cnnx export-torch\`${options.version ? ` ${options.version}` : ''}.`,
    PREAMBLE,
    ...inputConstants(net.input),
    '# The names --layer accepts (layers, groups, input) and the node whose output each names.',
    'NAMES = {',
    ...names,
    '}',
    '',
    MODULES,
    ...(s.needPad ? [PAD_MODULE] : []),
    ...(s.needGem ? [GEM_MODULE] : []),
    ...(s.needNormalize ? [NORMALIZE_MODULE] : []),
    '',
    ...network,
    '',
    '',
    'def build_model():',
    '    """The network in eval mode, with the weights cnnx uses (TENSORS is its state_dict)."""',
    '    model = Network()',
    '    missing, unexpected = model.load_state_dict({key: tensor(key) for key in TENSORS}, strict=False)',
    "    assert not unexpected and all(key.endswith('num_batches_tracked') for key in missing), (missing, unexpected)",
    '    return model.eval()',
    '',
    '',
    HELPERS,
    '',
    '# Weights by state_dict key: float32 little-endian base64, or cnnx\'s {"random": {"seed": N}} generator (shape, fan_in, seed).',
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
gets the (C, H, W) float32 output of the last layer, or of --layer (a layer or group name, or input).
In Python: build_model()(x) on a (1, C, H, W) tensor. Check cnnx against it with
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

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
`;

const MODULES = `
class Modules(nn.Module):
    """Modules by name; a numeric name is reached by index, as in nn.Sequential (model.layer1[0])."""

    def __getitem__(self, key):
        return self._modules[str(key)]


def place(root, path, module):
    """Registers module at the dotted path below root (its state_dict prefix), making the groups on the way."""
    *groups, name = path.split('.')
    for part in groups:
        if part not in root._modules:
            root.add_module(part, Modules())
        root = root._modules[part]
    root.add_module(name, module)
`;

const PAD_MODULE = `
class PaddedConv2d(nn.Conv2d):
    """A Conv2d after explicit (top, bottom, left, right) padding, which nn.Conv2d cannot express: unequal
    sides, and 'symmetric' (edge repeated, NumPy's 'symmetric'), which PyTorch lacks; others use F.pad."""

    def __init__(self, pads, pad_mode, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pads = pads
        self.pad_mode = pad_mode

    def forward(self, x):
        top, bottom, left, right = self.pads
        if self.pad_mode == 'symmetric':
            h, w = x.shape[-2], x.shape[-1]
            x = torch.cat([x[..., :top, :].flip(-2), x, x[..., h - bottom:, :].flip(-2)], dim=-2)
            x = torch.cat([x[..., :left].flip(-1), x, x[..., w - right:].flip(-1)], dim=-1)
        else:
            x = F.pad(x, (left, right, top, bottom), mode='constant' if self.pad_mode == 'zeros' else self.pad_mode)
        return super().forward(x)

    def extra_repr(self):
        return f'pads={self.pads}, pad_mode={self.pad_mode!r}, {super().extra_repr()}'
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
    parser.add_argument('--layer', help='stop at this layer or group (a cnnx name, or input), as cnnx --layer')
    parser.add_argument('--float64', action='store_true', help='compute in float64 (as the conformance cases were made)')
    args = parser.parse_args(argv)
    if args.layer is not None and args.layer not in NAMES:
        parser.error(f'no layer or group named {args.layer!r}; names: {", ".join(NAMES)}')
    dtype = torch.float64 if args.float64 else torch.float32
    model = build_model().to(dtype)
    with torch.no_grad():
        y = model(read_input(args.input).to(dtype), NAMES.get(args.layer))[0]
    np.save(args.output, y.numpy().astype(np.float32))
    print(f'{args.output}: {tuple(y.shape)}', file=sys.stderr)`;
