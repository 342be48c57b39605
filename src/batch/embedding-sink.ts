// --format embeddings: one float32 row per input, in input order, streamed into .npy matrices with a .parquet of paths beside each.
import { parquetWriteBuffer } from 'hyparquet-writer';
import path from 'node:path';
import { formatShape, type Shape } from '../engine/tensor.js';
import { CnnxError } from '../errors.js';
import { openAtomicFile, WriteError, type AtomicFile } from '../io/atomic.js';
import { float32LittleEndian, npyHeader } from '../io/npy.js';
import { PART_BYTES, partMetadata, partPrefix, partStem, scanParts, type PartIdentity } from './embedding-parts.js';
import type { Shard } from './shard.js';
import { SinkFailure } from './sink-failure.js';

/** One input's row: the chosen layer's output, flattened (C, H, W), and the size of the input the network saw. */
export interface EmbeddingRow {
  /** The input's path as the report names it. */
  readonly name: string;
  readonly shape: Shape;
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
}

export interface EmbeddingSinkOptions {
  readonly dir: string;
  /** partPrefix(shard). */
  readonly prefix: string;
  /** The number of the first part this run writes. */
  readonly firstSeq: number;
  readonly partRows: number;
  readonly partBytes: number;
  /** Row length of parts already in the folder (--skip-existing), or null. */
  readonly dim: number | null;
  readonly identity: PartIdentity;
  /** More key-value metadata for every part (spec name, cnnx version...). */
  readonly metadata: Record<string, string>;
  /** Rows finished out of order held at most; callers past it wait for the rows before theirs. */
  readonly reorderLimit: number;
}

export interface EmbeddingRunOptions {
  readonly dir: string;
  readonly shard?: Shard;
  readonly skipExisting: boolean;
  readonly partRows: number;
  readonly identity: PartIdentity;
  readonly metadata: Record<string, string>;
  readonly jobs: number;
}

/** Looks at the folder (scanParts) and opens the sink; `done` holds the inputs already in parts (--skip-existing). */
export async function openEmbeddings(o: EmbeddingRunOptions): Promise<{ sink: EmbeddingSink; done: ReadonlySet<string> }> {
  const prefix = partPrefix(o.shard);
  const existing = await scanParts(o.dir, prefix, o.identity, o.skipExisting);
  const sink = new EmbeddingSink({
    dir: o.dir, prefix, firstSeq: existing.nextSeq, partRows: o.partRows, partBytes: PART_BYTES, dim: existing.dim,
    identity: o.identity, metadata: o.metadata, reorderLimit: 2 * o.jobs,
  });
  return { sink, done: existing.done };
}

interface OpenPart {
  readonly stem: string;
  readonly npy: AtomicFile;
  readonly headerBytes: number;
  readonly paths: string[];
  readonly heights: number[];
  readonly widths: number[];
  /** The seq after its last row's. */
  end: number;
  /** Rows not yet written, copied in as they come (no row object outlives its append), and how many bytes of rows are in the file. */
  buffer: Uint8Array | null;
  bufferedBytes: number;
  writtenBytes: number;
}

/**
 * Rows are written in runs of about this many bytes: one small write per row waits behind the image
 * decodes in libuv's thread pool, and that wait held each image's slot in the pipeline.
 */
const FLUSH_BYTES = 1 << 20;

/**
 * Takes rows by their position in the run's input list (`seq` 0, 1, ...), in any order, and writes
 * them in that order: rows that finish early wait in a small reorder buffer. Rows go to the open
 * part's temp .npy in runs of FLUSH_BYTES (memory stays flat); a full part gets its final header, its
 * .parquet, and is renamed into place: the .npy first, then the .parquet, so a part whose .parquet
 * exists is whole.
 */
export class EmbeddingSink {
  private readonly pending = new Map<number, EmbeddingRow | null>();
  private next = 0;
  private seq: number;
  private part: OpenPart | null = null;
  private chain: Promise<void> = Promise.resolve();
  private failure: CnnxError | null = null;
  /** The first row's length, shape and input: every later row must match it. */
  private first: { dim: number; shape: Shape | null; name: string } | null;
  private waiters: (() => void)[] = [];
  /** Parts put in place by this run, by stem. */
  readonly written: string[] = [];
  /** Every row of an input before this seq that was added is in a part under its final name. */
  storedBefore = 0;

  constructor(private readonly options: EmbeddingSinkOptions) {
    this.seq = options.firstSeq;
    this.first = options.dim === null ? null : { dim: options.dim, shape: null, name: `the parts already in ${options.dir}` };
  }

  /**
   * Adds the row of input `seq`. Throws a SinkFailure when its length differs from the first row's
   * (nothing of it is written; `seq` then counts as skipped) or when writing failed. Resolves once every row it let out is on disk,
   * and waits while the reorder buffer is full.
   */
  async add(seq: number, row: EmbeddingRow): Promise<void> {
    try {
      this.checkLength(row);
    } catch (error) {
      this.skip(seq);
      throw error;
    }
    this.pending.set(seq, row);
    this.pump();
    while (this.pending.size > this.options.reorderLimit && !this.failure) await new Promise<void>((resolve) => this.waiters.push(resolve));
    await this.chain;
    if (this.failure) throw new SinkFailure(this.failure, 'write error');
  }

  /** Input `seq` gives no row (it failed, or was not computed). */
  skip(seq: number): void {
    this.pending.set(seq, null);
    this.pump();
  }

  /** Writes the rows still in order and puts the open part in place. Rows after a gap (an input never added or skipped) are dropped. */
  async close(): Promise<void> {
    this.enqueue(() => this.closePart());
    await this.chain;
    if (this.failure) throw new SinkFailure(this.failure, 'write error');
  }

  private checkLength(row: EmbeddingRow): void {
    if (this.failure) throw new SinkFailure(this.failure, 'write error');
    if (this.first === null) {
      this.first = { dim: row.data.length, shape: row.shape, name: row.name };
      return;
    }
    if (row.data.length === this.first.dim) return;
    const theirs = this.first.shape ? `${formatShape(this.first.shape)} = ${this.first.dim}` : `${this.first.dim}`;
    throw new SinkFailure(
      new CnnxError(
        'output.embedding_length',
        `${row.name}: its ${this.options.identity.layer} output is ${formatShape(row.shape)} = ${row.data.length} values, but the rows of ${this.first.name} have ${theirs}: every row of an embeddings matrix has the same length. Inputs of different sizes give maps of different sizes: end the network with a global pooling head (gem, or adaptive_avgpool2d with output_size 1) or resize the inputs (input.resize)`
      ),
      'rows of different lengths',
    );
  }

  /** Sends the rows now in order to the write chain. */
  private pump(): void {
    while (this.pending.has(this.next)) {
      const seq = this.next++;
      const row = this.pending.get(seq)!;
      this.pending.delete(seq);
      if (row) this.enqueue(() => this.append(seq, row));
    }
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Runs `step` after every write before it; a failure is kept and stops later writes. */
  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((error: unknown) => {
      this.failure ??= error instanceof CnnxError ? error : WriteError.of(this.options.dir, error);
    });
  }

  private async append(seq: number, row: EmbeddingRow): Promise<void> {
    if (this.failure) return;
    const rowBytes = row.data.length * 4;
    let part = this.part;
    if (part && (part.paths.length >= this.options.partRows || (part.paths.length + 1) * rowBytes > this.options.partBytes)) {
      await this.closePart();
      part = null;
    }
    part ??= await this.openPart(row.data.length);
    if (part.buffer && part.bufferedBytes + rowBytes > part.buffer.length) await this.flush(part);
    part.buffer ??= new Uint8Array(Math.max(FLUSH_BYTES, rowBytes));
    part.buffer.set(float32LittleEndian(row.data), part.bufferedBytes);
    part.bufferedBytes += rowBytes;
    part.paths.push(row.name);
    part.heights.push(row.height);
    part.widths.push(row.width);
    part.end = seq + 1;
    // A full part goes in place at once, not when the next row comes: a killed run keeps it.
    if (part.paths.length >= this.options.partRows) await this.closePart();
  }

  private async openPart(dim: number): Promise<OpenPart> {
    const stem = partStem(this.options.prefix, this.seq);
    const npy = await openAtomicFile(path.join(this.options.dir, `${stem}.npy`));
    // numpy's header leaves room for the row count to grow, so the final header has this length too.
    const header = npyHeader([0, dim]);
    await npy.write(header, 0).catch(async (error: unknown) => {
      await npy.abort();
      throw error;
    });
    this.part = { stem, npy, headerBytes: header.length, paths: [], heights: [], widths: [], end: 0, buffer: null, bufferedBytes: 0, writtenBytes: 0 };
    return this.part;
  }

  /** Writes the part's buffered rows after those already in its file. */
  private async flush(part: OpenPart): Promise<void> {
    if (part.bufferedBytes === 0 || !part.buffer) return;
    const bytes = part.buffer.subarray(0, part.bufferedBytes);
    await part.npy.write(bytes, part.headerBytes + part.writtenBytes);
    part.writtenBytes += bytes.length;
    part.bufferedBytes = 0;
  }

  private async closePart(): Promise<void> {
    const part = this.part;
    if (!part) return;
    this.part = null;
    if (this.failure) {
      await part.npy.abort();
      return;
    }
    const dim = this.first!.dim;
    const parquet = await openAtomicFile(path.join(this.options.dir, `${part.stem}.parquet`));
    try {
      await this.flush(part);
      const header = npyHeader([part.paths.length, dim]);
      if (header.length !== part.headerBytes) throw new RangeError(`npy header grew from ${part.headerBytes} to ${header.length} bytes`);
      await part.npy.write(header, 0);
      await part.npy.finish();
      const table = parquetWriteBuffer({
        columnData: [
          { name: 'path', data: part.paths, type: 'STRING', nullable: false },
          { name: 'row', data: Int32Array.from(part.paths, (_, i) => i), type: 'INT32', nullable: false },
          { name: 'height', data: Int32Array.from(part.heights), type: 'INT32', nullable: false },
          { name: 'width', data: Int32Array.from(part.widths), type: 'INT32', nullable: false },
        ],
        kvMetadata: partMetadata(this.options.identity, dim, { ...this.options.metadata, cnnx_npy: `${part.stem}.npy` }),
        createdBy: 'cnnx',
      });
      await parquet.write(new Uint8Array(table), 0);
      await parquet.finish();
      // The .npy first: a reader who finds the .parquet finds its matrix.
      await part.npy.publish();
      await parquet.publish();
      this.written.push(part.stem);
      this.storedBefore = part.end;
      this.seq++;
    } catch (error) {
      await Promise.all([part.npy.abort(), parquet.abort()]);
      throw error;
    }
  }
}
