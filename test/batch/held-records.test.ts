// HeldRecords: an embeddings row's 'ok' record reaches --report only once the sink has put its part in place, whatever order the rows finish in.
import { describe, expect, it } from 'vitest';
import { HeldRecords } from '../../src/batch/held-records.js';
import { Progress } from '../../src/batch/progress.js';
import type { ItemRecord } from '../../src/batch/run-log.js';
import { CnnxError } from '../../src/errors.js';

const ok = (seq: number): ItemRecord => ({ path: `p${seq}.png`, output: null, status: 'ok', error: null, ms: seq });

function setup(): { sink: { storedBefore: number }; reported: ItemRecord[]; progress: Progress; held: HeldRecords; finish: (seq: number) => void } {
  const sink = { storedBefore: 0 };
  const reported: ItemRecord[] = [];
  const progress = new Progress({ total: 10, quiet: true, verbose: false, skipped: 0, stream: { write: () => true }, env: { CI: 'true' } });
  const held = new HeldRecords(sink, { add: (r) => reported.push(r), close: async () => {} }, progress);
  // As the batch does: the record is counted, then held.
  const finish = (seq: number): void => {
    progress.record(ok(seq));
    held.hold(seq, ok(seq));
  };
  return { sink, reported, progress, held, finish };
}

describe('HeldRecords', () => {
  it('reports a record once its row is below storedBefore, including rows that finish after their part went in place', () => {
    const { sink, reported, finish, held, progress } = setup();
    finish(1);
    expect(reported).toEqual([]);
    sink.storedBefore = 4; // part of rows 0..3 in place
    finish(3);
    expect(reported.map((r) => r.path)).toEqual(['p1.png', 'p3.png']);
    // Rows 0 and 2 finish late: their part is already in place.
    finish(0);
    finish(2);
    expect(reported.map((r) => r.path)).toEqual(['p1.png', 'p3.png', 'p0.png', 'p2.png']);
    finish(5);
    held.settle(null, (e) => e.message);
    expect(reported.map((r) => `${r.path} ${r.status}`)).toEqual(['p1.png ok', 'p3.png ok', 'p0.png ok', 'p2.png ok', 'p5.png cancelled']);
    expect(progress.counts).toEqual({ processed: 4, failed: 0, skipped: 0, cancelled: 1 });
  });

  it('after a write failure, the rows not in a part are failed with its message, and counted so', () => {
    const { sink, reported, finish, held, progress } = setup();
    finish(0);
    finish(1);
    sink.storedBefore = 2;
    finish(2);
    finish(3);
    held.settle(new CnnxError('output.write', 'emb/part-00001.parquet: cannot write: no space left on device'), (e) => e.message);
    expect(reported.map((r) => `${r.path} ${r.status} ${r.error}`)).toEqual([
      'p0.png ok null',
      'p1.png ok null',
      'p2.png failed emb/part-00001.parquet: cannot write: no space left on device',
      'p3.png failed emb/part-00001.parquet: cannot write: no space left on device',
    ]);
    expect(progress.counts).toEqual({ processed: 2, failed: 2, skipped: 0, cancelled: 0 });
  });
});
