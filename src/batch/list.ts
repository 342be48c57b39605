// Reads --from-list: one path per line, or NUL-separated with -0 (as `find -print0` writes).
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { CnnxError } from '../errors.js';
import { readFailure } from '../io/read-file.js';
import { mapLimit } from './limit.js';
import { readStdin } from './stdio.js';
import { addNamedFiles, expandArguments, skipEntry, sniff, type Gathering, type SkipReason } from './walk.js';

type Kind = 'folder' | 'image' | 'missing' | SkipReason;

/** The paths in a list file ('-' for stdin); empty entries are ignored, CRLF line ends tolerated. */
export async function readPathList(source: string, nulSeparated: boolean): Promise<string[]> {
  const bytes = source === '-' ? await readStdin() : await readListFile(source);
  const text = bytes.toString('utf8');
  const entries = nulSeparated ? text.split('\0') : text.split('\n').map((line) => line.replace(/\r$/, ''));
  return entries.filter((entry) => entry !== '');
}

async function readListFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new CnnxError('usage.list', `--from-list ${file}: ${readFailure(error).reason}`);
  }
}

/**
 * Expands listed paths. Lists usually come from `find`, which also prints dot-files and non-images,
 * so listed files are screened like a folder walk (skipped and counted); a listed file that does not
 * exist is kept, so it fails with its own message. Listed folders are walked (not entering `outputDir`).
 */
export async function expandList(paths: readonly string[], recursive: boolean, into: Gathering, outputDir?: string): Promise<void> {
  const kinds = await mapLimit(paths, 32, classify);
  await expandArguments(paths.filter((_, i) => kinds[i] === 'folder'), recursive, into, outputDir);
  paths.forEach((name, i) => {
    const kind = kinds[i];
    if (kind === 'hidden' || kind === 'not an image') skipEntry(into, name, kind);
  });
  addNamedFiles(paths.filter((_, i) => kinds[i] === 'image' || kinds[i] === 'missing'), into);
}

async function classify(file: string): Promise<Kind> {
  const info = await stat(file).catch(() => null);
  if (!info) return 'missing';
  if (info.isDirectory()) return 'folder';
  if (path.normalize(file).split(path.sep).some((part) => part.startsWith('.') && part !== '.' && part !== '..')) return 'hidden';
  return (await sniff(file)) ? 'image' : 'not an image';
}
