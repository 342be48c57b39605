// Builds a spec from a checkpoint module by module, checking each tensor against the architecture: the language of src/import/archs/*.
import { CnnxError, type ErrorCode } from '../../errors.js';
import { didYouMean } from '../../network/suggest.js';
import type { Checkpoint } from '../checkpoint.js';
import { join, layerJson, padding, pair, sequential, type LayerDraft, type SpecItem, type Weight, type WeightStore } from '../spec-tree.js';

export interface ConvOptions {
  /** n, or [height, width] (Inception v3's 1x7 and 7x1). */
  readonly kernel: number | readonly [number, number];
  readonly stride?: number;
  /** n, or [height, width] on both sides. */
  readonly padding?: number | readonly [number, number];
  /** A number, or 'depthwise' (one group per input channel). */
  readonly groups?: number | 'depthwise';
  readonly bias: boolean;
}

/**
 * A cursor over the network being built: it knows the channels flowing at this point, takes each
 * module's tensors from the checkpoint by its PyTorch path (`layer1.0.conv1.weight`), checks their
 * shapes, and writes the layer under that path. Output channels come from the checkpoint (a conv's
 * weight says them); everything else (input channels, groups, kernel, batch-norm sizes, branch
 * agreement) is checked, so a checkpoint of another architecture fails on the first tensor that differs.
 */
export class Template {
  private channels: number;
  private readonly used = new Set<string>();
  /** Every tensor name asked for, for did-you-mean on unexpected ones. */
  private readonly wanted: string[] = [];

  constructor(
    readonly arch: string,
    private readonly checkpoint: Checkpoint,
    private readonly store: WeightStore,
    inChannels: number,
  ) {
    this.channels = inChannels;
  }

  get outChannels(): number {
    return this.channels;
  }

  /** True when the checkpoint has this tensor (optional modules: a projection shortcut). */
  has(name: string): boolean {
    return this.checkpoint.names.includes(name);
  }

  /** The first dimension of a tensor (a conv's output channels), for decisions the forward pass makes on widths. */
  outOf(name: string, what: string): number {
    return this.tensor(name, what)?.shape[0] ?? 0;
  }

  conv(name: string, o: ConvOptions): SpecItem {
    const inCh = this.channels;
    const groups = o.groups === 'depthwise' ? inCh : o.groups ?? 1;
    if (inCh % groups !== 0) throw this.error(`${name}: ${groups} groups do not divide its ${inCh} input channels`);
    const [kh, kw] = typeof o.kernel === 'number' ? [o.kernel, o.kernel] : o.kernel;
    const weight = this.take(`${name}.weight`, (shape) => shape.length === 4 && shape[1] === inCh / groups && shape[2] === kh && shape[3] === kw && shape[0] > 0 && shape[0] % groups === 0, `[out_channels, ${inCh / groups}, ${kh}, ${kw}] (conv2d, ${inCh} input channels${groups > 1 ? ` in ${groups} groups` : ''})`);
    const out = weight.shape[0];
    const weights: Record<string, Weight> = { weight };
    if (o.bias) weights.bias = this.take(`${name}.bias`, (s) => s.length === 1 && s[0] === out, `[${out}] (conv2d bias)`);
    const [ph, pw] = typeof o.padding === 'object' ? o.padding : [o.padding ?? 0, o.padding ?? 0];
    this.channels = out;
    return this.layer(name, {
      type: 'conv2d',
      params: { in_channels: inCh, out_channels: out, kernel_size: pair(kh, kw), stride: o.stride ?? 1, padding: padding(ph, ph, pw, pw), groups },
      weights,
    });
  }

  /** BatchNorm2d: eps is PyTorch's default unless the module sets its own (GoogLeNet's BasicConv2d: 0.001). */
  batchnorm(name: string, eps = 1e-5): SpecItem {
    const c = this.channels;
    const weights: Record<string, Weight> = {};
    for (const key of ['weight', 'bias', 'running_mean', 'running_var']) {
      weights[key] = this.take(`${name}.${key}`, (s) => s.length === 1 && s[0] === c, `[${c}] (batchnorm2d over ${c} channels)`);
    }
    return this.layer(name, { type: 'batchnorm2d', params: { eps }, weights });
  }

  /**
   * x * scale[c] + shift[c] per channel, constants of the architecture rather than checkpoint tensors:
   * a 1x1 conv with one group per channel (PyTorch computes it in float32 with the constants rounded to float32).
   */
  channelAffine(name: string, scale: readonly number[], shift: readonly number[]): SpecItem {
    const c = this.channels;
    if (scale.length !== c || shift.length !== c) throw new Error(`internal: ${name} has ${scale.length} factors for ${c} channels`);
    return this.layer(name, {
      type: 'conv2d',
      params: { in_channels: c, out_channels: c, kernel_size: 1, stride: 1, padding: padding(0, 0, 0, 0), groups: c },
      weights: { weight: { shape: [c, 1, 1, 1], data: Float32Array.from(scale) }, bias: { shape: [c], data: Float32Array.from(shift) } },
    });
  }

  relu(name: string): SpecItem {
    return this.layer(name, { type: 'relu', params: {}, weights: {} });
  }

  relu6(name: string): SpecItem {
    return this.layer(name, { type: 'relu6', params: {}, weights: {} });
  }

  maxpool(name: string, kernel: number, stride: number, pad = 0, ceilMode = false): SpecItem {
    return this.layer(name, { type: 'maxpool2d', params: { kernel_size: kernel, stride, padding: pad, ceil_mode: ceilMode }, weights: {} });
  }

  /** AvgPool2d / F.avg_pool2d: padded windows count the padding (count_include_pad, PyTorch's default). */
  avgpool(name: string, kernel: number, stride: number, pad = 0): SpecItem {
    return this.layer(name, { type: 'avgpool2d', params: { kernel_size: kernel, stride, ...(pad ? { padding: pad, count_include_pad: true } : {}) }, weights: {} });
  }

  adaptiveAvgpool(name: string, h: number, w = h): SpecItem {
    return this.layer(name, { type: 'adaptive_avgpool2d', params: { output_size: pair(h, w) }, weights: {} });
  }

  sequential(name: string, body: () => SpecItem[]): SpecItem {
    return sequential(name, body());
  }

  /** Branches summed: each starts from the channels here and all must end with the same count. */
  add(name: string | undefined, branches: (() => SpecItem[])[]): SpecItem {
    const start = this.channels;
    const built: SpecItem[][] = [];
    let out = -1;
    for (const branch of branches) {
      this.channels = start;
      built.push(branch());
      if (out >= 0 && this.channels !== out) {
        throw this.error(`${name ?? 'a residual add'}: its branches end with ${out} and ${this.channels} channels; an add needs them equal`);
      }
      out = this.channels;
    }
    return join('add', name, built);
  }

  /** Branches concatenated along channels: the counts add up. */
  concat(name: string | undefined, branches: (() => SpecItem[])[]): SpecItem {
    const start = this.channels;
    const built: SpecItem[][] = [];
    let total = 0;
    for (const branch of branches) {
      this.channels = start;
      built.push(branch());
      total += this.channels;
    }
    this.channels = total;
    return join('concat', name, built);
  }

  /**
   * After the spec is built: every tensor of the checkpoint must have been used, except the
   * classifier's (`heads`, dropped: cnnx extracts features) and batch norms' num_batches_tracked.
   */
  finish(heads: readonly string[]): void {
    const unexpected = this.checkpoint.names.filter((n) => !this.used.has(n) && !n.endsWith('.num_batches_tracked') && !heads.some((h) => n.startsWith(h)));
    if (unexpected.length > 0) {
      const more = unexpected.length > 1 ? ` (and ${unexpected.length - 1} more)` : '';
      throw this.error(`unexpected tensor "${unexpected[0]}"${more}: ${this.arch} has no such module${didYouMean(unexpected[0], this.missingNames())}; is this a checkpoint of another architecture?`);
    }
  }

  private missingNames(): string[] {
    return this.wanted.filter((n) => !this.has(n));
  }

  private layer(name: string, draft: LayerDraft): SpecItem {
    return layerJson(draft, name, this.store);
  }

  private tensor(name: string, what: string): Weight | undefined {
    this.wanted.push(name);
    if (!this.has(name)) {
      const unused = this.checkpoint.names.filter((n) => !this.used.has(n));
      throw this.error(`missing tensor "${name}" (expected shape ${what})${didYouMean(name, unused)}`);
    }
    return this.checkpoint.tensors.get(name);
  }

  private take(name: string, ok: (shape: readonly number[]) => boolean, expected: string): Weight {
    const t = this.tensor(name, expected);
    if (!t) throw new Error(`internal: tensor ${name} was not loaded`);
    if (!ok(t.shape)) throw this.error(`tensor "${name}" has shape [${t.shape.join(', ')}], expected ${expected}`, 'import.shape');
    this.used.add(name);
    return t;
  }

  error(message: string, code: ErrorCode = 'import.arch'): CnnxError {
    return new CnnxError(code, `${this.checkpoint.file}: ${this.arch}: ${message}`);
  }
}
