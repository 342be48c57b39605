// --format embeddings: an input's report record says 'ok' only once its row is in a part in place; until then the record waits here.
import type { CnnxError } from '../errors.js';
import type { EmbeddingSink } from './embedding-sink.js';
import type { Progress } from './progress.js';
import type { ItemRecord, ReportSink } from './run-log.js';

/**
 * The records of rows computed but not yet in a part under its final name, by their position in
 * the run (`seq`). Rows reach parts in that order, so one number from the sink (storedBefore)
 * says which records are true now. At the end, the rows still held never reached a part: a
 * write failure lost them, or a stop left a gap before them.
 */
export class HeldRecords {
  private readonly held = new Map<number, ItemRecord>();
  /** Every seq below this one has been released. */
  private released = 0;

  constructor(
    private readonly sink: Pick<EmbeddingSink, 'storedBefore'>,
    private readonly report: ReportSink,
    private readonly progress: Progress,
  ) {}

  /** Takes the 'ok' record of the row of input `seq`, and reports those whose parts are in place. */
  hold(seq: number, record: ItemRecord): void {
    this.release();
    if (seq < this.sink.storedBefore) this.report.add(record);
    else this.held.set(seq, record);
  }

  /** Reports the records of the rows the sink has put in place. */
  private release(): void {
    for (; this.released < this.sink.storedBefore; this.released++) {
      const record = this.held.get(this.released);
      if (!record) continue;
      this.held.delete(this.released);
      this.report.add(record);
    }
  }

  /**
   * After the sink closed: reports every record still held as what became of its row: failed with
   * the write error (`failure`, as `describe` words it), or cancelled when the row was dropped
   * behind an input that never gave one. The progress counts follow.
   */
  settle(failure: CnnxError | null, describe: (error: CnnxError) => string): void {
    this.release();
    for (const record of this.held.values()) {
      const now: ItemRecord = failure
        ? { path: record.path, output: record.output, status: 'failed', error: describe(failure), ms: record.ms }
        : { path: record.path, output: record.output, status: 'cancelled', error: null, ms: record.ms };
      this.progress.amend(record, now);
      this.report.add(now);
    }
    this.held.clear();
  }
}
