// --report FILE.jsonl: one JSON line per input (path, output, status, error, ms), written atomically at the end of the run.
import { CnnxError } from '../errors.js';
import { openAtomicStream, writeReason, type AtomicStream } from '../io/atomic.js';

export type ItemStatus = 'ok' | 'failed' | 'skipped' | 'cancelled';

/** What happened to one input; also what --verbose and the summary count. */
export interface ItemRecord {
  readonly path: string;
  /** The output file; a list when several layers went to separate files; null when nothing was planned. */
  readonly output: string | string[] | null;
  readonly status: ItemStatus;
  /** The one-line message for failures, the reason for skips, null when ok. */
  readonly error: string | null;
  /** Wall time from the start of decoding to the output being in place. */
  readonly ms: number;
}

export interface ReportSink {
  add(record: ItemRecord): void;
  /** Puts the report in place (first Ctrl-C, --fail-fast and normal ends all keep it). */
  close(): Promise<void>;
}

/** A sink that drops records: no --report. */
export const NO_REPORT: ReportSink = { add() {}, close: async () => {} };

export function outputField(outputs: readonly string[]): string | string[] | null {
  return outputs.length === 0 ? null : outputs.length === 1 ? outputs[0] : [...outputs];
}

/** Opens the report before any work, so an unwritable report path is a usage error that costs nothing. */
export async function openReport(file: string): Promise<ReportSink> {
  let stream: AtomicStream;
  try {
    stream = await openAtomicStream(file);
  } catch (error) {
    throw new CnnxError('usage.report', `--report ${file}: cannot write: ${writeReason(error)}`);
  }
  return {
    add(record) {
      // A failed write is kept by the stream: close() then removes the temp file and says why.
      stream.write(`${JSON.stringify(record)}\n`).catch(() => {});
    },
    async close() {
      try {
        await stream.commit();
      } catch (error) {
        throw new CnnxError('output.report', `--report ${file}: cannot write: ${writeReason(error)}`);
      }
    },
  };
}
