// Expands input arguments (files and folders) into the images to process, recognising images by content.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { isImageFormat, sniffFormat } from '../io/file-format.js';
import { readHead } from '../io/read-file.js';
import { mapLimit } from './limit.js';

export interface InputItem {
  /** How messages and the report name it: the path as given, or joined under the folder given. */
  readonly name: string;
  /** The file to read, or '-' for stdin. */
  readonly file: string;
  /** Path the output mirrors: relative to the folder argument it was found under, or to the deepest folder of the named files. */
  readonly relative: string;
}

/** A file under a folder that was passed over, and why. */
export interface SkippedEntry {
  readonly name: string;
  readonly reason: 'hidden' | 'not an image';
}

export interface WalkResult {
  readonly items: InputItem[];
  readonly skipped: SkippedEntry[];
  /** True when any argument was a folder (output then goes to a folder). */
  readonly sawFolder: boolean;
}

/** Files sniffed at once: enough to hide open() latency on big folders, few enough for any fd limit. */
const SNIFF_PARALLEL = 32;

/** True when the first bytes look like an image or .npy. */
export function looksLikeInput(head: Uint8Array): boolean {
  const format = sniffFormat(head);
  return isImageFormat(format) || format === 'npy';
}

/** Reads the first bytes of `file`; false when it cannot be read (a folder walk then skips it). */
export async function sniff(file: string): Promise<boolean> {
  try {
    return looksLikeInput(await readHead(file, 16));
  } catch {
    return false;
  }
}

/** Compares by UTF-16 code units: the same order on every machine and locale, which shards rely on. */
export function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Named files (arguments or a list) mirror their paths below the deepest folder that holds all of
 * them: `in/a.jpg in/sub/b.jpg -o out/` writes out/a.npy and out/sub/b.npy, and one file keeps its
 * base name. So `find photos -print0 | cnnx ... --from-list -` writes the same tree as `cnnx ... photos`.
 */
export function argumentItems(files: readonly string[]): InputItem[] {
  const base = commonFolder(files.map((p) => path.dirname(path.resolve(p))));
  return files.map((file) => ({ name: file, file, relative: path.relative(base, path.resolve(file)) }));
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
 * hidden entries. '-' stands for stdin.
 */
export async function expandArguments(args: readonly string[], recursive: boolean): Promise<WalkResult> {
  const items: InputItem[] = [];
  const skipped: SkippedEntry[] = [];
  const files: string[] = [];
  let sawFolder = false;
  for (const arg of args) {
    if (arg === '-') {
      items.push({ name: '<stdin>', file: '-', relative: 'stdin' });
    } else if (await isFolder(arg)) {
      sawFolder = true;
      await walkFolder(arg, '', recursive, items, skipped);
    } else {
      files.push(arg);
    }
  }
  items.push(...argumentItems(files));
  return { items, skipped, sawFolder };
}

async function isFolder(file: string): Promise<boolean> {
  return stat(file).then((s) => s.isDirectory(), () => false);
}

async function walkFolder(dir: string, rel: string, recursive: boolean, items: InputItem[], skipped: SkippedEntry[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: { name: string; relative: string }[] = [];
  const folders: { full: string; relative: string }[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    const relative = rel ? path.join(rel, entry.name) : entry.name;
    if (entry.name.startsWith('.')) {
      if (!entry.isDirectory()) skipped.push({ name: full, reason: 'hidden' });
    } else if (entry.isDirectory()) {
      if (recursive) folders.push({ full, relative });
    } else if (entry.isFile() || entry.isSymbolicLink()) {
      files.push({ name: full, relative });
    }
  }
  const isImage = await mapLimit(files, SNIFF_PARALLEL, (f) => sniff(f.name));
  files.forEach((f, i) => {
    if (isImage[i]) items.push({ name: f.name, file: f.name, relative: f.relative });
    else skipped.push({ name: f.name, reason: 'not an image' });
  });
  for (const folder of folders) await walkFolder(folder.full, folder.relative, recursive, items, skipped);
}
