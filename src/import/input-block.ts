// The spec's input block for an imported model: channels, and the preprocessing options (--preset, --mean, --std, --resize, --center-crop).
import { CnnxError } from '../errors.js';

export interface PreprocessOptions {
  /** `imagenet` (torchvision's: Resize 256, CenterCrop 224, ImageNet mean/std) or `none`. */
  readonly preset?: string;
  readonly mean?: string;
  readonly std?: string;
  /** `N` (shorter side, torchvision's Resize(N)) or `HxW` (torchvision's Resize((H, W)): the box exactly, aspect not kept). */
  readonly resize?: string;
  /** `N` or `HxW`, after a shorter-side resize (torchvision's CenterCrop). */
  readonly centerCrop?: string;
}

export const PRESETS: Record<string, Record<string, unknown>> = {
  imagenet: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: { shorter_side: 256, center_crop: 224 } },
  none: {},
};

/**
 * The input block: the preset (default `fallback`; ImageNet's with the architecture's own `resize` when it
 * has one, as torchvision's transforms for Inception v3), then each explicit option replacing its part.
 */
export function inputBlock(channels: number, options: PreprocessOptions, fallback: 'imagenet' | 'none', archResize?: Readonly<Record<string, number>>): Record<string, unknown> {
  const presetName = options.preset ?? fallback;
  const preset = PRESETS[presetName];
  if (!preset) throw usage(`--preset ${presetName}: expected one of ${Object.keys(PRESETS).join(', ')}`);
  const block: Record<string, unknown> = { channels, ...preset };
  if (presetName === 'imagenet' && archResize) block.resize = { ...archResize };
  if (options.mean !== undefined) block.mean = numbers('--mean', options.mean, channels, false);
  if (options.std !== undefined) block.std = numbers('--std', options.std, channels, true);
  if (options.resize !== undefined) block.resize = resize(options.resize);
  if (options.centerCrop !== undefined) {
    const current = block.resize as Record<string, unknown> | undefined;
    if (!current || current.shorter_side === undefined) throw usage('--center-crop goes with a shorter-side --resize N (torchvision\'s Resize(N) then CenterCrop)');
    block.resize = { ...current, center_crop: size('--center-crop', options.centerCrop) };
  }
  for (const key of ['mean', 'std'] as const) {
    const values = block[key] as number[] | undefined;
    if (values && values.length !== channels) throw usage(`--${key}: the model reads ${channels} channels, so give ${channels} values (or --preset none)`);
  }
  return block;
}

function usage(message: string): CnnxError {
  return new CnnxError('import.usage', message);
}

function numbers(option: string, text: string, channels: number, positive: boolean): number[] {
  const values = text.split(',').map((v) => Number(v.trim()));
  if (values.some((v, i) => !Number.isFinite(v) || text.split(',')[i].trim() === '' || (positive && v <= 0))) {
    throw usage(`${option} ${text}: expected ${channels} comma-separated ${positive ? 'positive ' : ''}numbers, e.g. ${option} 0.485,0.456,0.406`);
  }
  return values.length === 1 ? new Array<number>(channels).fill(values[0]) : values;
}

function size(option: string, text: string): number | [number, number] {
  const m = /^(\d+)(?:x(\d+))?$/.exec(text.trim());
  if (!m || Number(m[1]) < 1 || (m[2] !== undefined && Number(m[2]) < 1)) throw usage(`${option} ${text}: expected N or HxW (positive integers)`);
  return m[2] === undefined ? Number(m[1]) : [Number(m[1]), Number(m[2])];
}

function resize(text: string): Record<string, unknown> {
  const s = size('--resize', text);
  // HxW is torchvision's Resize((H, W)), which stretches to the box: fit "fill" (a bare box would be sharp's cover crop).
  return typeof s === 'number' ? { shorter_side: s } : { height: s[0], width: s[1], fit: 'fill' };
}
