// Writes a float32 .npy band by band: header first, file sized up front, each band's rows written at their offsets.
import { open, type FileHandle } from 'node:fs/promises';
import type { RowRange } from '../engine/band.js';
import type { Shape, Tensor } from '../engine/tensor.js';
import { writeAll, WriteError } from '../io/atomic.js';
import { npyHeader } from '../io/npy.js';

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * One (C, H, W) output on a file that already has its final size, so no whole-output buffer ever exists.
 * Writing the same rows twice is harmless (a streamed run computes the same bits every time), and
 * the writer keeps track of which rows have been written so the driver can fill any gap.
 */
export class NpyBandWriter {
  private covered: RowRange[] = [];

  private constructor(
    private readonly handle: FileHandle,
    readonly shape: Shape,
    private readonly dataOffset: number,
    private readonly target: string,
  ) {}

  /**
   * Fills `file`, which must exist (writeFileAtomic makes it), with the header and room for every
   * element. Opening with 'r+' never re-creates a temp file an interrupted run already removed.
   * Write failures are WriteErrors naming `target`, the file the user asked for (not the temp `file`).
   */
  static async create(file: string, shape: Shape, target: string = file): Promise<NpyBandWriter> {
    const header = npyHeader([shape.channels, shape.height, shape.width]);
    const handle = await open(file, 'r+').catch((error: unknown) => {
      throw WriteError.of(target, error);
    });
    try {
      await writeAll(handle, header, 0);
      await handle.truncate(header.length + shape.channels * shape.height * shape.width * 4);
    } catch (error) {
      await handle.close();
      throw WriteError.of(target, error);
    }
    return new NpyBandWriter(handle, shape, header.length, target);
  }

  /** Writes `band` (all channels, full width) as rows [y0, y0 + band.height): one positional write per channel. */
  async write(y0: number, band: Tensor): Promise<void> {
    const { channels, height, width } = this.shape;
    if (band.channels !== channels || band.width !== width || y0 < 0 || y0 + band.height > height) {
      throw new RangeError(`band ${band.channels}x${band.height}x${band.width} at row ${y0} does not fit the output ${channels}x${height}x${width}`);
    }
    const plane = band.height * width;
    for (let c = 0; c < channels; c++) {
      const values = band.data.subarray(c * plane, (c + 1) * plane);
      const bytes = LITTLE_ENDIAN_HOST ? new Uint8Array(values.buffer, values.byteOffset, values.byteLength) : littleEndian(values);
      await writeAll(this.handle, bytes, this.dataOffset + (c * height + y0) * width * 4).catch((error: unknown) => {
        throw WriteError.of(this.target, error);
      });
    }
    this.cover({ start: y0, end: y0 + band.height });
  }

  /** End of the written rows that start at row 0 (0 when row 0 is not written yet). */
  get prefixEnd(): number {
    return this.covered.length > 0 && this.covered[0].start === 0 ? this.covered[0].end : 0;
  }

  /** Row ranges not written yet, in order. */
  gaps(): RowRange[] {
    const out: RowRange[] = [];
    let at = 0;
    for (const r of this.covered) {
      if (r.start > at) out.push({ start: at, end: r.start });
      at = r.end;
    }
    if (at < this.shape.height) out.push({ start: at, end: this.shape.height });
    return out;
  }

  /** Flushes to disk and closes; the caller renames the file into place. */
  async finish(): Promise<void> {
    try {
      await this.handle.sync();
    } catch (error) {
      throw WriteError.of(this.target, error);
    } finally {
      await this.handle.close();
    }
  }

  /** Closes without flushing (the caller removes the file). */
  async abandon(): Promise<void> {
    await this.handle.close().catch(() => {});
  }

  private cover(r: RowRange): void {
    const merged: RowRange[] = [];
    let next = r;
    for (const c of this.covered) {
      if (c.end < next.start || c.start > next.end) merged.push(c);
      else next = { start: Math.min(c.start, next.start), end: Math.max(c.end, next.end) };
    }
    merged.push(next);
    this.covered = merged.sort((a, b) => a.start - b.start);
  }
}

function littleEndian(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return out;
}
