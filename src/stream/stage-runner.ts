// Runs one stage on demand: the rows of any of its layers, computed from just the input rows they need, written to its outputs.
import type { RowRange } from '../engine/band.js';
import type { Engine } from '../engine/engine.js';
import { tensor, type Shape, type Tensor } from '../engine/tensor.js';
import { hull, neededRows } from '../engine/band.js';
import { INPUT } from '../network/types.js';
import type { NpyBandWriter } from './npy-band-writer.js';
import { circularPadSource, concatRows, sliceRows, type RowSource } from './row-source.js';
import type { Stage } from './stages.js';

/** An interior gap in an output up to this many rows (or the band's own height) is filled in the same band. */
const SMALL_GAP = 64;

export class BandedStage implements RowSource {
  readonly shape: Shape;
  private readonly input: RowSource;
  /** Most rows of each layer computed in one call: the chunk size for filling gaps afterwards. */
  private readonly widest: number[];
  /** The rows the last read returned. */
  private kept: { readonly rows: RowRange; readonly tensor: Tensor } | null = null;

  constructor(
    private readonly engine: Engine,
    private readonly stage: Stage,
    previous: RowSource,
    /** Writers of the requested outputs, by the stage's local layer index. */
    private readonly writers: ReadonlyMap<number, NpyBandWriter>,
    /** Most rows of its last layer one engine run computes for `read` (band-plan's stageChunks). */
    private readonly chunkRows = Number.POSITIVE_INFINITY,
  ) {
    this.input = stage.wrap ? circularPadSource(previous, stage.wrap.top, stage.wrap.bottom) : previous;
    this.shape = stage.shapes[stage.shapes.length - 1];
    this.widest = stage.shapes.map(() => 1);
  }

  /**
   * Rows of the stage's last layer (the next stage's input). Bands move down the map, and each reads
   * again the rows the last one ended with (the next stage's halo): those come from `kept`. New rows
   * are computed `chunkRows` at a time, the rows past the request kept for the next.
   */
  async read(rows: RowRange): Promise<Tensor> {
    const last = this.stage.shapes.length - 1;
    const height = this.stage.shapes[last].height;
    const k = this.kept;
    const parts: Tensor[] = [];
    let from = rows.start;
    if (k && rows.start >= k.rows.start && rows.start < k.rows.end) {
      from = k.rows.end;
      parts.push(sliceRows(k.tensor, rows.start - k.rows.start, from - rows.start));
    }
    for (; from < rows.end; from += this.chunkRows) parts.push(await this.compute(last, { start: from, end: Math.min(height, from + this.chunkRows) }));
    const all = concatRows(parts);
    this.kept = { rows: { start: rows.start, end: rows.start + all.height }, tensor: all };
    return sliceRows(all, 0, rows.end - rows.start);
  }

  /**
   * Rows `range` of local layer `target`. Requested outputs on the way are widened to close small gaps
   * and to reach the map's top and bottom edges, so a top-to-bottom pass writes every row.
   */
  async compute(target: number, range: RowRange): Promise<Tensor> {
    const { stage } = this;
    const rows: (RowRange | null)[] = stage.shapes.map(() => null);
    const atBottom = range.end === stage.shapes[target].height;
    rows[target] = range;
    let r: RowRange | null = null;
    // Back from the target through every branch: each node computes the hull of what its readers need.
    for (let j = target; j >= 0; j--) {
      let own = rows[j];
      if (own === null) continue;
      const writer = this.writers.get(j);
      if (writer) own = widen(own, writer, stage.shapes[j].height, atBottom);
      rows[j] = own;
      this.widest[j] = Math.max(this.widest[j], own.end - own.start);
      const layer = stage.net.layers[j];
      for (const i of layer.inputs) {
        const need = neededRows(layer, own, i === INPUT ? stage.inShape.height : stage.shapes[i].height, stage.shapes[j]);
        if (i === INPUT) r = hull(r, need);
        else rows[i] = hull(rows[i], need);
      }
    }
    if (r === null) throw new RangeError(`stage ${stage.first}..${stage.last}: node ${target} reads no input rows`);
    const input = await this.input.read(r);
    const outputs = [...this.writers.keys()].filter((j) => j < target && rows[j] !== null);
    outputs.push(target);
    outputs.sort((a, b) => a - b);
    const bands = await this.engine.run(stage.net, { tensor: input, y0: r.start, fullHeight: stage.inShape.height }, rows, outputs);
    for (let i = 0; i < outputs.length; i++) {
      const writer = this.writers.get(outputs[i]);
      if (writer) await writer.write(rows[outputs[i]]!.start, bands[i].tensor);
    }
    const out = bands[bands.length - 1].tensor;
    return sliceRows(out, range.start - rows[target]!.start, range.end - range.start);
  }

  /** Computes whatever rows of the requested outputs are still unwritten (rows no later layer reads). */
  async fillGaps(): Promise<void> {
    for (const [j, writer] of this.writers) {
      for (const gap of writer.gaps()) {
        const step = this.widest[j];
        for (let start = gap.start; start < gap.end; start += step) await this.compute(j, { start, end: Math.min(gap.end, start + step) });
      }
    }
  }
}

/**
 * Output rows to compute so that the written rows stay one block from row 0: a small gap above `r`
 * (rows no later layer reads) is included, and at the bottom of the map the rows below too.
 */
function widen(r: RowRange, writer: NpyBandWriter, height: number, atBottom: boolean): RowRange {
  const reach = Math.max(SMALL_GAP, r.end - r.start);
  const done = writer.prefixEnd;
  const start = done < r.start && r.start - done <= reach ? done : r.start;
  const end = atBottom && height - r.end <= reach ? height : r.end;
  return { start, end };
}

/** A stage run once on its whole input map (adaptive pooling to a fixed size or gem, and everything after it). */
export class WholeStage {
  constructor(
    private readonly engine: Engine,
    private readonly stage: Stage,
    private readonly previous: RowSource,
    private readonly writers: ReadonlyMap<number, NpyBandWriter>,
  ) {}

  /** Gathers the input map in chunks of `chunkRows` (the previous stage streams them), then runs the stage on it. */
  async run(chunkRows: number, onChunk: (rowsDone: number) => void): Promise<void> {
    const { channels, height, width } = this.stage.inShape;
    const whole = tensor(channels, height, width);
    for (let start = 0; start < height; start += chunkRows) {
      const end = Math.min(height, start + chunkRows);
      const part = await this.previous.read({ start, end });
      for (let c = 0; c < channels; c++) {
        whole.data.set(part.data.subarray(c * part.height * width, (c + 1) * part.height * width), (c * height + start) * width);
      }
      onChunk(end);
    }
    const rows = this.stage.shapes.map((s) => ({ start: 0, end: s.height }));
    const outputs = [...this.writers.keys()].sort((a, b) => a - b);
    const bands = await this.engine.run(this.stage.net, { tensor: whole, y0: 0, fullHeight: height }, rows, outputs);
    for (let i = 0; i < outputs.length; i++) await this.writers.get(outputs[i])!.write(0, bands[i].tensor);
  }
}
