// Messages between the batch's decode pool and its worker threads.
import type { PixelLookup } from '../engine/pixels.js';
import type { InputSpec } from '../network/types.js';
import type { ErrorCode } from '../errors.js';

export interface DecodeRequest {
  readonly type: 'decode';
  readonly id: number;
  /** A file path, or bytes already read (stdin). */
  readonly source: string | Uint8Array;
  readonly name: string;
  readonly spec: InputSpec;
  readonly maxPixels?: number;
}

/** An input array the pipeline is done with (a tensor's floats, or a PixelTensor's pixels), transferred back for the worker's next decode of that size. */
export interface RecycleRequest {
  readonly type: 'recycle';
  readonly data: Float32Array | Uint8Array;
}

export type ToDecodeWorker = DecodeRequest | RecycleRequest;

export type DecodeReply =
  | { readonly id: number; readonly ok: true; readonly channels: number; readonly height: number; readonly width: number; readonly data: Float32Array }
  /** An 8-bit image as its pixels and lookup (a PixelTensor's parts). */
  | { readonly id: number; readonly ok: true; readonly height: number; readonly width: number; readonly pixels: Uint8Array; readonly have: number; readonly lookup: PixelLookup }
  | { readonly id: number; readonly ok: false; readonly code: ErrorCode; readonly message: string };
