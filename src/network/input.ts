// Parses the spec's "input" block: channels, mean/std normalisation (of .npy inputs too with normalize_npy) and an optional resize.
import { describeValue } from '../errors.js';
import { isPillowFilter, PILLOW_FILTERS } from '../io/resample.js';
import { SHARP_KERNELS } from '../io/resize.js';
import { isPlainObject, ObjectReader } from './reader.js';
import type { InputSpec, Interpolation, ResizeSpec } from './types.js';

const FITS = ['cover', 'contain', 'fill', 'inside', 'outside'] as const;
const INTERPOLATIONS: readonly Interpolation[] = [...PILLOW_FILTERS, ...SHARP_KERNELS];

export function parseInput(r: ObjectReader): InputSpec {
  // Any count works for .npy inputs; images can be read as 1 (gray), 3 (RGB) or 4 (RGBA) channels.
  const channels = r.int('channels', { min: 1 });
  const mean = perChannel(r, 'mean', channels, false);
  const std = perChannel(r, 'std', channels, true);
  // A .npy is the tensor the first layer sees (what PyTorch scripts save, what --layer input writes);
  // normalize_npy opts in to mean/std for raw arrays (rasters, say).
  const normalizeNpy = r.bool('normalize_npy', false);
  const rawResize = r.get('resize');
  let resize: ResizeSpec | null = null;
  if (rawResize !== undefined) {
    if (!isPlainObject(rawResize)) throw r.expected('resize', '{"width": W, "height": H, "fit": "cover"} or {"shorter_side": N, "center_crop": M}');
    resize = parseResize(new ObjectReader(r.file, r.pathOf('resize'), rawResize));
  }
  r.finish();
  return { channels, mean, std, normalizeNpy, resize };
}

function perChannel(r: ObjectReader, key: string, channels: number, positive: boolean): number[] | null {
  const raw = r.get(key);
  if (raw === undefined) return null;
  const values = typeof raw === 'number' ? new Array(channels).fill(raw) : raw;
  if (!Array.isArray(values) || values.length !== channels || !values.every((v) => typeof v === 'number' && Number.isFinite(v) && (!positive || v > 0))) {
    throw r.error(key, `expected ${channels} ${positive ? 'positive ' : ''}numbers (one per input channel), got ${describeValue(raw)}`, 'spec.type');
  }
  return values;
}

/**
 * `shorter_side` (+ `center_crop`) and `fit: "fill"` follow torchvision (Resize, CenterCrop) and
 * default to its bilinear; the other fits are sharp's geometry, so they take sharp's kernels only.
 */
function parseResize(r: ObjectReader): ResizeSpec {
  if (r.has('shorter_side')) {
    const shorterSide = r.int('shorter_side', { min: 1 });
    const centerCrop = r.has('center_crop') ? r.pair('center_crop', { min: 1 }) : null;
    const interpolation = r.oneOf('interpolation', INTERPOLATIONS, 'bilinear');
    r.finish();
    return { kind: 'shorter_side', shorterSide, centerCrop, interpolation };
  }
  const width = r.has('width') ? r.int('width', { min: 1 }) : null;
  const height = r.has('height') ? r.int('height', { min: 1 }) : null;
  if (width === null && height === null) throw r.error('', 'needs "width" and/or "height", or "shorter_side"', 'spec.missing');
  const fit = r.oneOf('fit', FITS, 'cover');
  if (fit === 'fill' && (width === null || height === null)) throw r.error('fit', '"fill" needs both "width" and "height"', 'spec.missing');
  const interpolation = r.oneOf('interpolation', INTERPOLATIONS, fit === 'fill' ? 'bilinear' : 'lanczos3');
  if (fit !== 'fill' && isPillowFilter(interpolation)) {
    throw r.error('interpolation', `"${interpolation}" is torchvision's (Pillow's), which has no fit "${fit}": use one of sharp's kernels (${SHARP_KERNELS.join(', ')}), or fit "fill" or {"shorter_side": N, "center_crop": M} for torchvision's Resize`, 'spec.conflict');
  }
  r.finish(['center_crop']);
  if (r.raw.center_crop !== undefined) throw r.error('center_crop', 'goes with "shorter_side"', 'spec.conflict');
  return { kind: 'box', width, height, fit, interpolation };
}
