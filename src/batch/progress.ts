// What a batch shows on stderr: an ora progress line on terminals, per-file lines with --verbose, errors, and one summary line.
import ora, { type Ora } from 'ora';
import type { ItemRecord } from './run-log.js';

export interface ProgressOptions {
  /** Images to compute (already-done ones excluded), for done/total and the ETA. */
  readonly total: number;
  readonly quiet: boolean;
  readonly verbose: boolean;
  /** Inputs skipped before the run (hidden, not images, already done), for the summary. */
  readonly skipped: number;
}

export interface Counts {
  processed: number;
  failed: number;
  skipped: number;
  cancelled: number;
}

/**
 * Only on a terminal, never with --quiet or in CI: a spinner in a log file is noise. A pseudo-terminal
 * that reports 0 columns (e.g. `script` without a size) is treated as no terminal: ora would
 * compute an endless number of lines to clear.
 */
export function spinnerWanted(quiet: boolean, env: NodeJS.ProcessEnv = process.env, isTTY = process.stderr.isTTY === true, columns = process.stderr.columns ?? 0): boolean {
  return isTTY && columns > 0 && !quiet && !env.CI;
}

/** Redraws at most this often: ora's own timer handles the animation. */
const REDRAW_MS = 100;

export class Progress {
  readonly counts: Counts;
  private readonly started = performance.now();
  private readonly spinner: Ora | null;
  private lastDraw = 0;
  private detailText: string | null = null;

  constructor(private readonly options: ProgressOptions) {
    this.counts = { processed: 0, failed: 0, skipped: options.skipped, cancelled: 0 };
    this.spinner = spinnerWanted(options.quiet) ? ora({ stream: process.stderr, text: this.text() }).start() : null;
  }

  /** Prints a line without tearing the progress line. */
  log(line: string): void {
    if (this.spinner?.isSpinning) {
      this.spinner.clear();
      process.stderr.write(`${line}\n`);
      this.spinner.render();
    } else {
      process.stderr.write(`${line}\n`);
    }
  }

  /** Counts a finished input; failures are always printed, successes with --verbose. */
  record(record: ItemRecord): void {
    if (record.status === 'ok') this.counts.processed++;
    else if (record.status === 'failed') this.counts.failed++;
    else if (record.status === 'skipped') this.counts.skipped++;
    else this.counts.cancelled++;
    if (record.status === 'failed') this.log(`cnnx: ${record.error}`);
    else if (this.options.verbose && record.status === 'ok') this.log(`${record.path} -> ${describeOutput(record.output)} (${record.ms} ms)`);
    this.redraw();
  }

  /** Shows progress inside one long input (a streamed huge image): `photo.tif: band 3/40 · 12.5 MPix/s`. */
  detail(text: string | null): void {
    this.detailText = text;
    this.lastDraw = 0;
    this.redraw();
  }

  private redraw(): void {
    if (!this.spinner) return;
    const now = performance.now();
    if (now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.spinner.text = this.text();
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
