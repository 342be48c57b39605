// Expands input arguments (files and folders) into the images to process, recognising images by content.
import { close, constants, open, read } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { isImageFormat, sniffFormat } from '../io/file-format.js';
import { STDIN_NAME, type InputListBuilder, type NameListBuilder } from './input-list.js';
import { mapLimit } from './limit.js';

export interface InputItem {
  /** How messages and the report name it: the path as given, or joined under the folder given. */
  readonly name: string;
  /** The file to read, or '-' for stdin. */
  readonly file: string;
  /** Path the output mirrors: relative to the folder argument it was found under, or to the deepest folder of the named files. */
  readonly relative: string;
}

/** Why a file under a folder (or in a list) was passed over; a skipped entry's tag in its NameList is the index here. */
export const SKIP_REASONS = ['hidden', 'not an image'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** Where gathered names go: inputs, and the files passed over (tagged with their SKIP_REASONS index). */
export interface Gathering {
  readonly inputs: InputListBuilder;
  readonly skipped: NameListBuilder;
}

export function skipEntry(into: Gathering, name: string, reason: SkipReason): void {
  into.skipped.add(name, SKIP_REASONS.indexOf(reason));
}

/** Files sniffed at once: enough to hide open() latency on big folders, few enough for any fd limit. */
const SNIFF_PARALLEL = 32;

/** True when the first bytes look like an image or .npy. */
export function looksLikeInput(head: Uint8Array): boolean {
  const format = sniffFormat(head);
  return isImageFormat(format) || format === 'npy';
}

/**
 * Reads the first bytes of `file`; false when it cannot be read (a folder walk then skips it).
 * Callbacks, not a FileHandle: a walk sniffs every file, and this makes a few small objects per file.
 */
export function sniff(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      // Non-blocking: a FIFO in a folder must not stall the walk.
      open(file, constants.O_RDONLY | constants.O_NONBLOCK, (openError, fd) => {
        if (openError) return resolve(false);
        const head = new Uint8Array(16);
        read(fd, head, 0, head.length, 0, (readError, bytesRead) => {
          close(fd, () => resolve(!readError && looksLikeInput(head.subarray(0, bytesRead))));
        });
      });
    } catch {
      // A path Node refuses outright (it holds a NUL byte).
      resolve(false);
    }
  });
}

/**
 * Named files (arguments or a list) mirror their paths below the deepest folder that holds all of
 * them: `in/a.jpg in/sub/b.jpg -o out/` writes out/a.npy and out/sub/b.npy, and one file keeps its
 * base name. So `find photos -print0 | cnnx ... --from-list -` writes the same tree as `cnnx ... photos`.
 */
export function addNamedFiles(files: readonly string[], into: Gathering): void {
  if (files.length === 0) return;
  const origin = into.inputs.origin({ kind: 'files', base: commonFolder(files.map((p) => path.dirname(path.resolve(p)))) });
  for (const file of files) into.inputs.add(file, origin);
}

/** The deepest folder that contains every folder in `folders` (all absolute). */
export function commonFolder(folders: readonly string[]): string {
  if (folders.length === 0) return process.cwd();
  let parts = folders[0].split(path.sep);
  for (const folder of folders.slice(1)) {
    const other = folder.split(path.sep);
    let n = 0;
    while (n < parts.length && n < other.length && parts[n] === other[n]) n++;
    parts = parts.slice(0, n);
  }
  return parts.join(path.sep) || path.sep;
}

/**
 * Expands arguments: a file is taken as it is (a bad one fails later and is counted); a folder is
 * walked (recursively unless `recursive` is false) for images recognised by content, skipping
 * hidden entries and, below it, the output folder `outputDir` (its real path; a re-run over
 * `photos/ -o photos/feats/` must not read the features as inputs). '-' stands for stdin.
 */
export async function expandArguments(args: readonly string[], recursive: boolean, into: Gathering, outputDir?: string): Promise<{ sawFolder: boolean }> {
  const files: string[] = [];
  let sawFolder = false;
  for (const arg of args) {
    if (arg === '-') {
      into.inputs.add(STDIN_NAME, into.inputs.origin({ kind: 'stdin' }));
    } else if (await isFolder(arg)) {
      sawFolder = true;
      // Names are the prefix plus the path below the folder, as path.join(arg, relative) spells them.
      const prefix = path.join(arg, 'x').slice(0, -1);
      await walkFolder(arg, prefix, { recursive, outputDir }, into, into.inputs.origin({ kind: 'folder', prefix }));
    } else {
      files.push(arg);
    }
  }
  addNamedFiles(files, into);
  return { sawFolder };
}

export async function isFolder(file: string): Promise<boolean> {
  return stat(file).then((s) => s.isDirectory(), () => false);
}

/** Walks `dir`, whose entries are named `prefix` + entry name. */
async function walkFolder(dir: string, prefix: string, walk: { recursive: boolean; outputDir?: string }, into: Gathering, origin: number): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  // Compared as real paths: a symlinked spelling of the input or the output folder is the same folder.
  const real = walk.outputDir === undefined ? null : await realpath(dir);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  const folders: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) {
      if (!entry.isDirectory()) skipEntry(into, prefix + entry.name, 'hidden');
    } else if (entry.isDirectory()) {
      if (walk.recursive && !(real !== null && path.join(real, entry.name) === walk.outputDir)) folders.push(entry.name);
    } else if (entry.isFile() || entry.isSymbolicLink()) {
      files.push(prefix + entry.name);
    } else {
      // A FIFO, socket or device: not opened (reading one can block or have effects), but counted.
      skipEntry(into, prefix + entry.name, 'not an image');
    }
  }
  const isImage = await mapLimit(files, SNIFF_PARALLEL, sniff);
  files.forEach((name, i) => {
    if (isImage[i]) into.inputs.add(name, origin);
    else skipEntry(into, name, 'not an image');
  });
  for (const folder of folders) await walkFolder(path.join(dir, folder), `${prefix}${folder}${path.sep}`, walk, into, origin);
}
