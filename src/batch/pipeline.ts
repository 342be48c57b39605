// The batch pipeline: decode (sharp, libuv pool) / compute (a pool of engines) / encode+write, with at most --jobs images in flight.
import type { Tensor } from '../engine/tensor.js';
import { CnnxError, EXIT } from '../errors.js';
import { writeFileAtomic, WriteError } from '../io/atomic.js';
import { runNetwork, selectedNodes, type LayerOutput, type LayerSelection } from '../network/run.js';
import type { Network } from '../network/types.js';
import type { Decoder } from './decode-pool.js';
import type { EmbeddingSink } from './embedding-sink.js';
import { SinkFailure } from './sink-failure.js';
import { encodeResults, type FileBytes } from './encode.js';
import { HeldRecords } from './held-records.js';
import { checkReportSize } from './html-report.js';
import type { EnginePool } from './engine-pool.js';
import type { PictureOptions } from './picture.js';
import type { BatchFormat, Plan, PlannedItem } from './plan.js';
import type { Progress } from './progress.js';
import { outputField, type ItemRecord, type ItemStatus, type ReportSink } from './run-log.js';
import { quittingAtOnce } from './signals.js';
import { writeStdout } from './stdio.js';
import { needsStreaming, runStreamed, type StreamSettings } from './streamed.js';

export interface BatchContext {
  readonly net: Network;
  readonly selection: readonly LayerSelection[];
  readonly engines: EnginePool;
  readonly decoder: Decoder;
  readonly format: BatchFormat;
  readonly picture: PictureOptions;
  /** Set for --format embeddings: rows go there instead of a file per input. */
  readonly embeddings: EmbeddingSink | null;
  /** --keep-ext: output names keep the input's extension. */
  readonly keepExt: boolean;
  readonly version: string;
  readonly jobs: number;
  readonly failFast: boolean;
  /** stdin's bytes when an input is '-'. */
  readonly stdin: Uint8Array | null;
  readonly progress: Progress;
  readonly report: ReportSink;
  /** When and how huge images are streamed in bands. */
  readonly stream: StreamSettings;
  /** A failed input's message as progress lines and the run log show it (the CLI names its flags). */
  readonly describeError: (error: CnnxError) => string;
}

/** How the run ended, beyond the counts in Progress. */
export interface BatchEnd {
  /** Why new inputs stopped being taken: a signal name, 'fail-fast', or null when every input was reached. */
  stoppedBy: string | null;
  /**
   * A failure that stopped the run and is not about one input (e.g. the output disk is full); the
   * failed input's line already says it.
   */
  fatal: CnnxError | null;
}

export class Batch {
  private stopReason: string | null = null;
  private fatal: CnnxError | null = null;
  private notedNonFinite = false;
  private notedNpyResize = false;
  /** --format embeddings: 'ok' records wait for their rows' parts. */
  private readonly held: HeldRecords | null;

  constructor(private readonly ctx: BatchContext) {
    this.held = ctx.embeddings ? new HeldRecords(ctx.embeddings, ctx.report, ctx.progress) : null;
  }

  /** Stops taking new inputs; the ones in flight finish. */
  stop(reason: string): void {
    this.stopReason ??= reason;
  }

  async run(plan: Plan): Promise<BatchEnd> {
    let next = 0;
    let internal: unknown = null;
    const lane = async (): Promise<void> => {
      while (this.stopReason === null && next < plan.length) {
        const seq = next++;
        try {
          this.finish(await this.process(plan.at(seq), seq), seq);
        } catch (error) {
          internal ??= error;
          this.stop('error');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.ctx.jobs, plan.length) }, lane));
    for (let seq = next; seq < plan.length; seq++) {
      const { item, outputs } = plan.at(seq);
      this.finish({ path: item.name, output: outputField(outputs), status: 'cancelled', error: null, ms: 0 });
    }
    if (internal) throw internal;
    return { stoppedBy: this.stopReason, fatal: this.fatal };
  }

  /** Counts and reports input `seq`'s record (an embeddings row's 'ok' once its part is in place). */
  private finish(record: ItemRecord, seq?: number): void {
    this.ctx.progress.record(record);
    if (this.held && record.status === 'ok' && seq !== undefined) this.held.hold(seq, record);
    else this.ctx.report.add(record);
    if (record.status === 'failed' && this.ctx.failFast) this.stop('fail-fast');
  }

  /**
   * --format embeddings, once the sink has closed (`failure`: what stopped it, or null): the records
   * of rows that never reached a part in place are reported as failed or cancelled.
   */
  settleRows(failure: CnnxError | null): void {
    this.held?.settle(failure, this.ctx.describeError);
  }

  /** One input start to end (`seq`: its position in the plan); input failures become a record, anything else propagates. */
  private async process(planned: PlannedItem, seq: number): Promise<ItemRecord> {
    const started = performance.now();
    // Records are written out field by field, never as { ...base, status }: see "Per-input objects" in docs/development.md.
    const end = (status: ItemStatus, error: string | null, ms: number): ItemRecord => ({ path: planned.item.name, output: outputField(planned.outputs), status, error, ms });
    const sink = this.ctx.embeddings;
    let handedToSink = false;
    try {
      if (sink) {
        const { input, results } = await this.infer(planned);
        const t = results[0].tensor;
        handedToSink = true;
        await sink.add(seq, { name: planned.item.name, shape: t, data: t.data, height: input.height, width: input.width });
        if (t !== input) this.ctx.decoder.recycle?.(input);
      } else if (await needsStreaming(planned, this.ctx.net, this.ctx.selection, this.ctx.format, this.ctx.stream, this.ctx.engines)) {
        // A streamed image writes its own outputs band by band.
        await this.ctx.engines.use((engine) => runStreamed(engine, this.ctx.net, this.ctx.selection, planned, this.ctx.stream, (text) => this.ctx.progress.detail(text)));
      } else {
        const { files, input, results } = await this.compute(planned);
        await this.write(planned.outputs, files);
        // Written: the engines and the decoder may fill these arrays again instead of faulting in fresh
        // pages (each once: two names of one layer share its array).
        for (const data of new Set(results.filter((r) => r.tensor !== input).map((r) => r.tensor.data))) this.ctx.engines.recycle(data);
        this.ctx.decoder.recycle?.(input);
      }
      return end('ok', null, Math.round(performance.now() - started));
    } catch (error) {
      const ms = Math.round(performance.now() - started);
      // A second signal is removing temps under in-flight writes: their failures are the stop, not errors.
      if (quittingAtOnce() !== null) return end('cancelled', null, ms);
      if (error instanceof SinkFailure) {
        // The input fails, and the run stops: a write error is fatal, a row of another length is the input's.
        if (error.fatal) this.fatal ??= error.error;
        this.stop(error.reason);
        return end('failed', error.message, ms);
      }
      if (error instanceof WriteError) {
        // A write failure ends the run: the next output would fail the same way (disk full, no permission, a closed pipe).
        this.fatal ??= error;
        this.stop(error.code === 'output.pipe' ? 'stdout closed' : 'write error');
        return end('failed', this.ctx.describeError(error), ms);
      }
      if (error instanceof CnnxError && error.exitCode === EXIT.inputFailed) return end('failed', this.ctx.describeError(error), ms);
      throw error;
    } finally {
      // The sink writes rows in plan order: an input that gives no row must say so, or the rows after it wait.
      if (sink && !handedToSink) sink.skip(seq);
    }
  }

  /** Decodes the input and runs the network on it. */
  private async infer(planned: PlannedItem): Promise<{ input: Tensor; results: LayerOutput[] }> {
    const { ctx } = this;
    const { item } = planned;
    const source = item.file === '-' ? (ctx.stdin ?? new Uint8Array()) : item.file;
    const input = await ctx.decoder.decode(source, item.name);
    this.noteNpyResize(item.name);
    if (ctx.format === 'report') checkReportSize(ctx.net, input, ctx.selection, item.name);
    // Each engine computes one image at a time; the pool has one engine per core for a folder, or one using every core.
    const results = await ctx.engines.use((engine) => runNetwork(engine, ctx.net, input, ctx.selection, item.name));
    // After the run: it has checked the input's shape, which decides the convs' routines.
    this.noteNonFinite(item.name, input);
    return { input, results };
  }

  private async compute(planned: PlannedItem): Promise<{ files: FileBytes[]; input: Tensor; results: LayerOutput[] }> {
    const { input, results } = await this.infer(planned);
    return { files: await encodeResults(results, this.ctx.format, this.ctx, planned.item.name, input), input, results };
  }

  /**
   * Once per run: a .npy input (images decode to finite values, so only arrays are scanned) that holds
   * NaN or infinity, when the engines ran a Winograd conv on it, which spreads each over its tile.
   */
  private noteNonFinite(name: string, input: Tensor): void {
    if (this.notedNonFinite || !/\.npy$/i.test(name)) return;
    if (!this.ctx.engines.spreadsNonFinite(this.ctx.net, input, selectedNodes(this.ctx.selection)) || allFinite(input.data)) return;
    this.notedNonFinite = true;
    this.ctx.progress.log(`cnnx: note: ${name} holds NaN or infinite values; Winograd convolutions turn each one's whole tile NaN (4x4 or 6x6 outputs, or 4 along a row), --no-winograd keeps them to the outputs whose window holds them, as PyTorch does`);
  }

  /** Once per run, unless --quiet: a .npy input of a spec that resizes is the first layer's tensor as it is (docs/errors.md#limits). */
  private noteNpyResize(name: string): void {
    if (!this.ctx.net.input.resize || this.notedNpyResize || !/\.npy$/i.test(name)) return;
    this.notedNpyResize = true;
    this.ctx.progress.note(`cnnx: note: ${name} is a .npy: input.resize does not apply to arrays (a .npy is the tensor the first layer sees, as it is)`);
  }

  /** Writes one input's files; failures are WriteErrors naming the output (`stdout` for -). */
  private async write(outputs: readonly string[], files: readonly FileBytes[]): Promise<void> {
    for (const [i, output] of outputs.entries()) {
      if (output === '-') await writeStdout(files[i]);
      else await writeFileAtomic(output, files[i]);
    }
  }
}

/** x - x is 0 for every finite x and NaN for NaN and both infinities. */
function allFinite(data: Float32Array): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] - data[i] !== 0) return false;
  return true;
}
