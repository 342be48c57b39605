// Plans the fast engine's per-value steps on eltwise_f32: batchnorm2d and activations a conv did not fold in, adds, and copies into a concatenation.
import type { RowRange } from '../band.js';
import { descriptor } from './descriptor.js';
import { ACT, ELTWISE } from './layout.js';
import type { ArenaAllocator, SharedHeap } from './memory.js';
import { outputChannel, share } from './plan-parts.js';
import type { ConvOutput, HeapBand } from './plan-types.js';
import type { Call, Phase } from './protocol.js';
import type { BatchNorm2dLayer, Layer } from '../../network/types.js';

/** Floats per unit of work: a few L1-sized runs per item, and channels of small maps whole. */
const CHUNK = 8192;

/** The activation of an eltwise step: its ACT code, leaky_relu's slope, hardtanh's bounds. */
export interface EltwiseAct {
  readonly code: number;
  readonly slope: number;
  readonly lo: number;
  readonly hi: number;
}

export const NO_ACT: EltwiseAct = { code: ACT.NONE, slope: 0, lo: 0, hi: 0 };

/** The activation a layer applies, or null when it is not one. */
export function activationOf(layer: Layer): EltwiseAct | null {
  switch (layer.type) {
    case 'relu':
      return { ...NO_ACT, code: ACT.RELU };
    case 'leaky_relu':
      return { ...NO_ACT, code: ACT.LEAKY, slope: layer.negativeSlope };
    case 'relu6':
      return { ...NO_ACT, code: ACT.RELU6 };
    case 'hardtanh':
      return layer.minVal === 0 && layer.maxVal === 6 ? { ...NO_ACT, code: ACT.RELU6 } : { ...NO_ACT, code: ACT.CLAMP, lo: layer.minVal, hi: layer.maxVal };
    default:
      return null;
  }
}

/** A standalone batchnorm as a per-channel factor and term in float32, packed into the heap once per network: x * scale + shift. */
export interface PackedAffine {
  readonly scale: number;
  readonly shift: number;
}

export function packAffine(heap: SharedHeap, bn: BatchNorm2dLayer): PackedAffine {
  const scale = new Float32Array(bn.channels);
  const shift = new Float32Array(bn.channels);
  for (let c = 0; c < bn.channels; c++) {
    const s = bn.weight[c] / Math.sqrt(bn.runningVar[c] + bn.eps);
    scale[c] = s;
    shift[c] = bn.bias[c] - bn.runningMean[c] * s;
  }
  return { scale: heap.putF32(scale), shift: heap.putF32(shift) };
}

/** Address of channel 0 of `band` at full-map row `row`, and the floats between its channel planes. */
function at(band: HeapBand, row: number): { ptr: number; plane: number } {
  if (row < band.y0 || row > band.y0 + band.height) throw new RangeError(`row ${row} is outside the band ${band.y0}..${band.y0 + band.height}`);
  return { ptr: band.ptr + (row - band.y0) * band.width * 4, plane: band.height * band.width };
}

/**
 * The phase computing rows `rows` of `out` (channels..channels + C of its band) from `sources`: the
 * first, scaled by `affine` when given, plus each further source in order (one call per source after
 * the second, on the same units), then `act`.
 */
export function planEltwise(arena: ArenaAllocator, threads: number, sources: readonly HeapBand[], affine: PackedAffine | null, act: EltwiseAct, out: ConvOutput, rows: RowRange): Phase {
  const channels = sources[0].channels;
  const width = sources[0].width;
  const n = (rows.end - rows.start) * width;
  const chunk = Math.min(CHUNK, Math.ceil(n / 4) * 4);
  const chunks = Math.ceil(n / chunk);
  const o = outputChannel(out, 0);
  const outPtr = o.ptr + (rows.start - out.band.y0) * width * 4;
  const descs: number[] = [];
  // Sources after the second add to what the output holds: ((x + y) + z) + ..., as the reference sums.
  const extra = sources.length > 2 ? sources.slice(2) : [];
  const firstPair = sources.slice(0, 2);
  for (let k = 0; k <= extra.length; k++) {
    const x = k === 0 ? at(firstPair[0], rows.start) : { ptr: outPtr, plane: o.plane };
    const ySource = k === 0 ? firstPair[1] : extra[k - 1];
    const y = ySource ? at(ySource, rows.start) : null;
    const last = k === extra.length;
    descs.push(
      descriptor(ELTWISE)
        .set({
          X: x.ptr,
          X_PLANE: x.plane,
          Y: y?.ptr ?? 0,
          Y_PLANE: y?.plane ?? 0,
          OUT: outPtr,
          OUT_PLANE: o.plane,
          N: n,
          CHUNK: chunk,
          CHUNKS: chunks,
          SCALE: k === 0 && affine ? affine.scale : 0,
          SHIFT: k === 0 && affine ? affine.shift : 0,
          ACT: last ? act.code : ACT.NONE,
          SLOPE: act.slope,
          LO: act.lo,
          HI: act.hi,
        })
        .put(arena),
    );
  }
  return share(channels * chunks, threads, (u0, u1) => descs.map((d) => ['eltwise_f32', d, u0, u1] as Call));
}
