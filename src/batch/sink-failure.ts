// The error an embeddings sink stops a run with, apart from the sink so a run without one does not load Parquet.
import type { CnnxError } from '../errors.js';

/** A failure that stops the run: a write error (`fatal`: not the input's fault), or a row of another length. */
export class SinkFailure extends Error {
  constructor(
    readonly error: CnnxError,
    readonly reason: 'write error' | 'rows of different lengths',
  ) {
    super(error.message);
  }

  get fatal(): boolean {
    return this.reason === 'write error';
  }
}
