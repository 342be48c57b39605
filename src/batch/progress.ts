// What a batch shows on stderr: a progress line on terminals (ora's, or a plain one), per-file lines with --verbose, errors, and one summary line.
import type { Ora } from 'ora';
import { oneLine } from '../errors.js';
import type { ItemRecord, ItemStatus } from './run-log.js';

export interface ProgressOptions {
  /** Images to compute (already-done ones excluded), for done/total and the ETA. */
  readonly total: number;
  readonly quiet: boolean;
  readonly verbose: boolean;
  /** Inputs skipped before the run (hidden, not images, already done), for the summary. */
  readonly skipped: number;
  /** Where progress goes (default process.stderr) and the environment that says whether it is CI: for tests. */
  readonly stream?: ProgressStream;
  readonly env?: NodeJS.ProcessEnv;
}

/** The part of a terminal stream progress uses. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export type ProgressStyle = 'spinner' | 'line' | 'none';

export interface Counts {
  processed: number;
  failed: number;
  skipped: number;
  cancelled: number;
}

/** Which count an input of each status adds to ('ok' is processed). */
const COUNTED: Record<ItemStatus, keyof Counts> = { ok: 'processed', failed: 'failed', skipped: 'skipped', cancelled: 'cancelled' };

/**
 * Only on a terminal, never with --quiet or in CI: a spinner in a log file is noise. A pseudo-terminal
 * that reports 0 columns (e.g. `script` without a size) gets a plain line rewritten in place: ora would
 * compute an endless number of lines to clear.
 */
export function progressStyle(quiet: boolean, env: NodeJS.ProcessEnv, isTTY: boolean, columns: number): ProgressStyle {
  if (!isTTY || quiet || env.CI) return 'none';
  return columns > 0 ? 'spinner' : 'line';
}

/** Redraws at most this often: ora's own timer handles the animation. */
const REDRAW_MS = 100;
/** The plain line is rewritten less often: each rewrite is a write to a terminal of unknown width. */
const LINE_REDRAW_MS = 500;
/** Back to the start of the line and clear it: all the plain line needs from the terminal. */
const CLEAR_LINE = '\r\x1b[K';

export class Progress {
  readonly counts: Counts;
  private readonly started = performance.now();
  private readonly out: ProgressStream;
  private readonly style: ProgressStyle;
  private readonly spinner: Ora | null;
  /** The plain line is on screen (style 'line'). */
  private lineShown = false;
  private lastDraw = 0;
  private detailText: string | null = null;
  /** The last failure printed: inputs in flight when a shared write fails (a full disk under embeddings parts) fail alike. */
  private lastFailure: string | null = null;

  /** A Progress on its stream; ora, a large import, is loaded only when a spinner is drawn. */
  static async open(options: ProgressOptions): Promise<Progress> {
    const out = options.stream ?? process.stderr;
    const style = progressStyle(options.quiet, options.env ?? process.env, out.isTTY === true, out.columns ?? 0);
    return new Progress(options, style === 'spinner' ? (await import('ora')).default : null);
  }

  /** Without `spinner` (ora), a terminal that would get the spinner gets the plain line. */
  constructor(
    private readonly options: ProgressOptions,
    spinner: typeof import('ora').default | null = null,
  ) {
    this.counts = { processed: 0, failed: 0, skipped: options.skipped, cancelled: 0 };
    this.out = options.stream ?? process.stderr;
    const style = progressStyle(options.quiet, options.env ?? process.env, this.out.isTTY === true, this.out.columns ?? 0);
    this.style = style === 'spinner' && spinner === null ? 'line' : style;
    this.spinner = this.style === 'spinner' ? spinner!({ stream: this.out as NodeJS.WritableStream, text: this.text() }).start() : null;
    if (this.style === 'line') this.drawLine();
  }

  /** An informational line (`cnnx: note: ...`): printed unless --quiet. */
  note(line: string): void {
    if (!this.options.quiet) this.log(line);
  }

  /** Prints a line without tearing the progress line (one line: a line break in a file name is escaped). */
  log(text: string): void {
    const line = oneLine(text);
    if (this.spinner?.isSpinning) {
      this.spinner.clear();
      this.out.write(`${line}\n`);
      this.spinner.render();
    } else if (this.lineShown) {
      this.out.write(`${CLEAR_LINE}${line}\n`);
      this.drawLine();
    } else {
      this.out.write(`${line}\n`);
    }
  }

  /** Counts a finished input; failures are always printed (once when several in a row say the same), successes with --verbose. */
  record(record: ItemRecord): void {
    this.counts[COUNTED[record.status]]++;
    if (record.status === 'failed') {
      // The same line again says nothing new; the --report log keeps every input's record.
      if (record.error !== this.lastFailure) this.log(`cnnx: ${record.error}`);
      this.lastFailure = record.error;
    } else if (this.options.verbose && record.status === 'ok') this.log(`${record.path} -> ${describeOutput(record.output)} (${record.ms} ms)`);
    this.redraw();
  }

  /** Counts an input again, as `now` instead of `was` (an embeddings row whose part was never put in place); prints nothing. */
  amend(was: ItemRecord, now: ItemRecord): void {
    this.counts[COUNTED[was.status]]--;
    this.counts[COUNTED[now.status]]++;
  }

  /** Shows progress inside one long input (a streamed huge image): `photo.tif: band 3/40 · 12.5 MPix/s`. */
  detail(text: string | null): void {
    this.detailText = text === null ? null : oneLine(text);
    this.lastDraw = 0;
    this.redraw();
  }

  private redraw(): void {
    if (this.style === 'none') return;
    const now = performance.now();
    if (now - this.lastDraw < (this.spinner ? REDRAW_MS : LINE_REDRAW_MS)) return;
    this.lastDraw = now;
    if (this.spinner) this.spinner.text = this.text();
    else this.drawLine();
  }

  private drawLine(): void {
    this.out.write(`${CLEAR_LINE}${this.text()}`);
    this.lineShown = true;
    this.lastDraw = performance.now();
  }

  elapsedSeconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  private text(): string {
    const { processed, failed } = this.counts;
    const done = processed + failed;
    const seconds = this.elapsedSeconds();
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? formatDuration((this.options.total - done) / rate) : '?';
    const detail = this.detailText ? ` · ${this.detailText}` : '';
    return `${done}/${this.options.total} · ${rate.toFixed(1)} images/s · ETA ${eta} · ${failed} failed${detail}`;
  }

  /** Removes the progress line (before the summary). */
  stop(): void {
    this.spinner?.stop();
    if (this.lineShown) this.out.write(CLEAR_LINE);
    this.lineShown = false;
  }

  /** `cnnx: 120 processed, 3 skipped, 2 failed in 14.2 s (8.5 images/s)`, plus what an interruption left undone. */
  summary(interrupted: string | null): string {
    const { processed, skipped, failed, cancelled } = this.counts;
    const seconds = this.elapsedSeconds();
    const rate = seconds > 0 ? processed / seconds : 0;
    const stop = interrupted ? `; ${interrupted}, ${cancelled} not started` : '';
    return `cnnx: ${processed} processed, ${skipped} skipped, ${failed} failed in ${seconds.toFixed(1)} s (${rate.toFixed(1)} images/s)${stop}`;
  }
}

function describeOutput(output: string | string[] | null): string {
  if (output === null) return '(nothing)';
  if (typeof output === 'string') return output === '-' ? '<stdout>' : output;
  return output.join(', ');
}

/** 75 -> "1m15s", 3700 -> "1h01m". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
