// What `cnnx serve` shows: the spec in use (from its file or the page), the images, the latest report or error; every change re-renders, one at a time.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CnnxError } from '../errors.js';
import { cliMessage } from '../cli/option-names.js';
import { formatShape, type Shape } from '../engine/tensor.js';
import { formatSummary, summarize } from '../inspect/summary.js';
import { writeFileAtomic } from '../io/atomic.js';
import { readFailure } from '../io/read-file.js';
import { parseJson, parseNetwork, sha256 } from '../network/load.js';
import type { Network } from '../network/types.js';
import { compareLayer, renderReport, type RenderSettings, type ServedImage } from './report.js';
import { checkNamedFiles, controlValue, convControls, namedFiles, pathText, setConvField, CONV_FIELDS, type ConvField, type KeyPath } from './spec-edit.js';

/** Uploads kept in memory at most; the oldest goes first. */
const MAX_UPLOADS = 8;
/** Reports kept, so a frame still asking for the previous one (a render finished meanwhile) gets it. */
const KEEP_REPORTS = 3;
/** Input size for the layer table before any image is shown. */
const DEFAULT_SIZE: Shape = { channels: 3, height: 224, width: 224 };

export type SpecSource = 'file' | 'page';

/** What the page is told (GET /state and every server-sent event). */
export interface SessionState {
  readonly generation: number;
  readonly spec: { readonly file: string; readonly text: string; readonly source: SpecSource; readonly saved: boolean };
  readonly images: readonly string[];
  readonly selected: number;
  readonly error: string | null;
  readonly busy: boolean;
  /** `cnnx inspect`'s table for the spec in use at the image's input size: shapes, receptive fields, jumps. */
  readonly layers: readonly string[];
  readonly inputShape: string | null;
  readonly convs: ReturnType<typeof convControls>;
}

export interface SessionOptions {
  readonly specFile: string;
  readonly images: readonly string[];
  readonly settings: RenderSettings;
  /** One line to the terminal. */
  readonly log: (line: string) => void;
}

/** A failure shown in the page: the one-line message cnnx prints. */
export class ShownError extends Error {}

function oneLine(error: unknown): string {
  if (error instanceof CnnxError) return cliMessage(error);
  return `internal error: ${(error as Error)?.message ?? String(error)}`;
}

export class Session {
  private readonly dir: string;
  private text = '';
  private source: SpecSource = 'file';
  /** The spec file's text as last read or saved. */
  private fileText: string | null = null;
  private allowedFiles = new Set<string>();
  private net: Network | null = null;
  /** The text in use parsed into `net` (false: it is an edit with an error, `net` is the last good one). */
  private valid = false;
  private raw: unknown = null;
  private readonly images: ServedImage[];
  private selected = 0;
  private uploads = 0;
  private error: string | null = null;
  private busy = false;
  private generation = 0;
  /** Each generation's report page (UTF-8 HTML). */
  private readonly reports = new Map<number, Uint8Array>();
  private inputShape: Shape | null = null;
  private lock: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(state: SessionState) => void>();
  private closed = false;

  constructor(private readonly options: SessionOptions) {
    this.dir = path.dirname(path.resolve(options.specFile));
    this.images = options.images.map((file) => ({ name: file, source: file }));
  }

  /** Stops telling anyone anything: a render cut short by the shutdown is not an error to show. */
  close(): void {
    this.closed = true;
    this.listeners.clear();
  }

  /** Calls `listener` with the state after every change; returns the unsubscribe function. */
  subscribe(listener: (state: SessionState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  state(): SessionState {
    let layers: string[] = [];
    if (this.net) {
      try {
        const shape = this.inputShape ?? { ...DEFAULT_SIZE, channels: this.net.input.channels };
        layers = formatSummary(summarize(this.net, shape));
      } catch (error) {
        layers = [oneLine(error)];
      }
    }
    return {
      generation: this.generation,
      spec: { file: this.options.specFile, text: this.text, source: this.source, saved: this.fileText === this.text },
      images: this.images.map((i) => i.name),
      selected: this.selected,
      error: this.error,
      busy: this.busy,
      layers,
      inputShape: this.inputShape ? formatShape(this.inputShape) : null,
      convs: this.raw === null ? [] : convControls(this.raw),
    };
  }

  /** The report page of `generation`, or null (too old, or not made). */
  reportPage(generation: number): Uint8Array | null {
    return this.reports.get(generation) ?? null;
  }

  /** Reads the spec file (at start, and when it changes on disk: the file wins over page edits). */
  loadFile(): Promise<SessionState> {
    return this.exclusive(async () => {
      let text: string;
      try {
        text = await readFile(this.options.specFile, 'utf8');
      } catch (error) {
        return this.fail(new CnnxError('spec.read', `${this.options.specFile}: ${readFailure(error).reason}`));
      }
      if (text === this.fileText && this.source === 'file' && this.net !== null) return this.state();
      this.fileText = text;
      try {
        this.allowedFiles = namedFiles(JSON.parse(text), this.dir);
      } catch {
        // Invalid JSON: parsing it below says where.
      }
      return this.useSpec(text, 'file');
    });
  }

  /** A spec sent from the page's editor. */
  setSpecText(text: string): Promise<SessionState> {
    return this.exclusive(() => this.useSpec(text, 'page'));
  }

  /** A conv control: `field` of the conv at `keys` set from the control's text. */
  setConv(keys: KeyPath, field: string, value: string): Promise<SessionState> {
    return this.exclusive(async () => {
      if (this.raw === null) return this.fail(new CnnxError('spec.missing', 'no valid spec to change yet; fix the spec first'));
      if (!(CONV_FIELDS as readonly string[]).includes(field)) return this.fail(new CnnxError('spec.unknown_key', `${field}: not a conv control (${CONV_FIELDS.join(', ')})`));
      let edited: unknown;
      try {
        edited = setConvField(this.raw, keys, field as ConvField, controlValue(field as ConvField, value));
      } catch (error) {
        return this.fail(error);
      }
      return this.useSpec(`${JSON.stringify(edited, null, 2)}\n`, 'page');
    });
  }

  selectImage(index: number): Promise<SessionState> {
    return this.exclusive(async () => {
      if (!Number.isInteger(index) || index < 0 || index >= this.images.length) return this.fail(new CnnxError('usage.inputs', `no image ${index}; there are ${this.images.length}`));
      this.selected = index;
      return this.render();
    });
  }

  /**
   * An uploaded image joins the list (the oldest upload leaves past MAX_UPLOADS) and is shown; one
   * that cannot be shown (not an image, too many pixels) leaves again, its error on the page.
   */
  addUpload(name: string, bytes: Uint8Array): Promise<SessionState> {
    return this.exclusive(async () => {
      this.uploads++;
      const image: ServedImage = { name: `upload ${this.uploads}: ${name}`, source: bytes };
      const previous = this.images[this.selected];
      this.images.push(image);
      this.selected = this.images.length - 1;
      const generation = this.generation;
      const state = await this.render();
      if (this.generation !== generation || this.net === null) {
        // Shown: only now does the oldest upload make room, so a photo that fails costs no other.
        const uploaded = this.images.filter((i) => typeof i.source !== 'string');
        if (uploaded.length <= MAX_UPLOADS) return state;
        this.images.splice(this.images.indexOf(uploaded[0]), 1);
        this.selected = this.images.indexOf(image);
        this.notify();
        return this.state();
      }
      this.images.pop();
      this.selected = Math.max(0, previous ? this.images.indexOf(previous) : 0);
      this.notify();
      return this.state();
    });
  }

  /** Writes the spec in use to the spec file (atomically); only when the user asks. */
  save(): Promise<SessionState> {
    return this.exclusive(async () => {
      if (!this.valid) return this.fail(new CnnxError('spec.missing', 'the spec in the page has an error; nothing saved'));
      await writeFileAtomic(this.options.specFile, Buffer.from(this.text));
      this.fileText = this.text;
      this.source = 'file';
      this.allowedFiles = namedFiles(this.raw, this.dir);
      this.options.log(`cnnx: saved ${this.options.specFile}`);
      this.notify();
      return this.state();
    });
  }

  /** The conv at `keys` under two padding modes, on the shown image: both pictures and their difference. */
  comparePadding(keys: KeyPath, modes: readonly [string, string]) {
    return this.exclusive(async () => {
      const image = this.images[this.selected];
      if (this.raw === null || this.net === null) throw new ShownError('no valid spec yet; fix the spec first');
      if (!image) throw new ShownError('no image yet: drop or pick a photo first');
      const at = pathText(keys);
      const layer = this.net.layers.find((l) => l.path === at);
      if (!layer || layer.type !== 'conv2d') throw new ShownError(`${at}: no conv2d layer there`);
      try {
        const nets = await Promise.all(
          modes.map((mode) => {
            const raw = setConvField(this.raw, keys, 'padding_mode', controlValue('padding_mode', mode));
            return parseNetwork(raw, { file: this.options.specFile, dir: this.dir, hash: '' });
          }),
        );
        const label = layer.name ?? layer.path;
        return { label, modes, ...(await compareLayer(nets, layer.index, label, image, this.options.settings)) };
      } catch (error) {
        throw new ShownError(oneLine(error));
      }
    });
  }

  /** Runs `fn` after every earlier change has finished: renders never overlap. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async useSpec(text: string, source: SpecSource): Promise<SessionState> {
    this.text = text;
    this.source = source;
    let net: Network;
    let raw: unknown;
    try {
      raw = parseJson(text, this.options.specFile);
      if (source === 'page') checkNamedFiles(raw, this.dir, this.allowedFiles, this.options.specFile);
      net = await parseNetwork(raw, { file: this.options.specFile, dir: this.dir, hash: sha256(Buffer.from(text)) });
    } catch (error) {
      this.valid = false;
      return this.fail(error);
    }
    this.valid = true;
    this.net = net;
    this.raw = raw;
    return this.render();
  }

  private async render(): Promise<SessionState> {
    const image = this.images[this.selected];
    if (this.net === null || image === undefined) {
      this.error = null;
      this.notify();
      return this.state();
    }
    this.busy = true;
    this.notify();
    try {
      const { html, input } = await renderReport(this.net, this.text, image, this.options.settings);
      this.generation++;
      this.reports.set(this.generation, html);
      this.reports.delete(this.generation - KEEP_REPORTS);
      this.inputShape = input;
      this.error = null;
    } catch (error) {
      this.error = oneLine(error);
      if (!this.closed) this.options.log(`cnnx: ${this.error}`);
    } finally {
      this.busy = false;
    }
    this.notify();
    return this.state();
  }

  private fail(error: unknown): SessionState {
    this.error = oneLine(error);
    if (!this.closed) this.options.log(`cnnx: ${this.error}`);
    this.notify();
    return this.state();
  }

  private notify(): void {
    const state = this.state();
    for (const listener of this.listeners) listener(state);
  }
}
