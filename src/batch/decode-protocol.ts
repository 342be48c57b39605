// Messages between the batch's decode pool and its worker threads.
import type { InputSpec } from '../network/types.js';
import type { ErrorCode } from '../errors.js';

export interface DecodeRequest {
  readonly id: number;
  /** A file path, or bytes already read (stdin). */
  readonly source: string | Uint8Array;
  readonly name: string;
  readonly spec: InputSpec;
  readonly maxPixels?: number;
}

export type DecodeReply =
  | { readonly id: number; readonly ok: true; readonly channels: number; readonly height: number; readonly width: number; readonly data: Float32Array }
  | { readonly id: number; readonly ok: false; readonly code: ErrorCode; readonly message: string };
