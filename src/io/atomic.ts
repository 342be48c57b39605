// Writes files so that a file under its final name is always complete: temp file in the same folder, every byte checked, flushed, then renamed.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { CnnxError, type ErrorCode } from '../errors.js';

/** Temp files not yet renamed; removed on exit so an interrupted run leaves nothing behind. */
const pending = new Set<string>();
/** Temp folders (createTempFolder): removed whole on exit, contents and all. */
const pendingFolders = new Set<string>();
let exitHookInstalled = false;

/** Why a write failed, in words, keyed by Node's error code (never Node's message: it names the temp file). */
const WRITE_REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  EFBIG: 'file too large',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a parent is not a folder',
  EEXIST: 'a parent is not a folder',
  EISDIR: 'is a folder',
  ENAMETOOLONG: 'name too long',
  ENOENT: 'no such file or folder',
  EPIPE: 'the reading end of the pipe closed',
  EBADF: 'the file descriptor is closed',
};

/** A write failure as a reason a user can act on: `no space left on device`, without any path. */
export function writeReason(error: unknown): string {
  if (error instanceof WriteError) return error.reason;
  const err = error as NodeJS.ErrnoException;
  const known = WRITE_REASONS[err?.code ?? ''];
  if (known) return known;
  const text = error instanceof Error ? error.message : String(error);
  // Node's `EXDEV: cross-device link not permitted, rename 'a' -> 'b'`: the words in the middle.
  return text.replace(/^[A-Z][A-Z0-9_]+: /, '').replace(/, \w+(?: '.*')?$/s, '').replace(/\s+/g, ' ');
}

/**
 * An output that could not be written, named as the user named it (never the temp file):
 * `out/a.npy: cannot write: no space left on device`. `errno` is Node's code (ENOSPC, EPIPE...).
 */
export class WriteError extends CnnxError {
  constructor(
    readonly target: string,
    readonly errno: string | null,
    readonly reason: string,
    code: ErrorCode = 'output.write',
  ) {
    super(code, `${target}: cannot write: ${reason}`);
  }

  /** `error` (from writing `target`) as a WriteError; one already is passes through. */
  static of(target: string, error: unknown, code: ErrorCode = 'output.write'): WriteError {
    if (error instanceof WriteError) return error;
    return new WriteError(target, (error as NodeJS.ErrnoException)?.code ?? null, writeReason(error), code);
  }
}

/**
 * Creates `dir` and its parents. A recursive mkdir that cannot create a folder (a read-only file
 * system) reports ENOENT; the first missing folder is then made alone, for the real reason.
 */
async function makeFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    let missing = dir;
    while (path.dirname(missing) !== missing && !existsSync(path.dirname(missing))) missing = path.dirname(missing);
    await mkdir(missing);
    throw error;
  }
}

/** A fresh hidden name for a temp file or folder: `.cnnx-tmp-` and 12 hex digits (folder walks skip it). */
function tempStem(): string {
  return `.cnnx-tmp-${randomBytes(6).toString('hex')}`;
}

/** A temp name beside `target` (same folder, so the rename is atomic). Hidden, so folder walks skip it. */
export function tempNameFor(target: string): string {
  return path.join(path.dirname(target), `${tempStem()}-${path.basename(target)}`);
}

/**
 * Writes `bytes` to `target` atomically, creating the folder if needed. The data is fsynced before
 * the rename: after a crash or power cut, a file under its final name is complete, which is what
 * `--skip-existing` relies on. Failures are WriteErrors naming `target`; a function body's own
 * errors pass through unchanged (it names what it writes).
 */
export async function writeFileAtomic(target: string, bytes: Uint8Array | readonly Uint8Array[] | ((tmp: string) => Promise<void>)): Promise<void> {
  let tmp: string | null = null;
  let inBody = false;
  try {
    await makeFolder(path.dirname(target));
    tmp = createTemp(target);
    if (typeof bytes === 'function') {
      inBody = true;
      await bytes(tmp);
      inBody = false;
    } else {
      await writeAndSync(tmp, bytes);
    }
    await rename(tmp, target);
  } catch (error) {
    if (tmp) await rm(tmp, { force: true }).catch(() => {});
    throw inBody ? error : WriteError.of(target, error);
  } finally {
    if (tmp) pending.delete(tmp);
  }
}

/** Installs removePendingTemps as an exit handler, once. */
function removeOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', removePendingTemps);
}

/**
 * Makes a temp file beside `target` now, synchronously, and records it (removed on exit and by the
 * CLI's signal handlers). Signal handlers run between JavaScript tasks, so an exit that removes
 * pending temps can never slip between recording a name and an asynchronous open that would create
 * the file after the cleanup. Later opens use 'r+', which fails rather than re-creating a temp that
 * an exit already removed.
 */
export function createTemp(target: string, suffix = ''): string {
  removeOnExit();
  const tmp = tempNameFor(target) + suffix;
  pending.add(tmp);
  try {
    closeSync(openSync(tmp, 'wx'));
  } catch (error) {
    pending.delete(tmp);
    throw error;
  }
  return tmp;
}

/** Removes a temp file made by createTemp and forgets it. */
export async function removeTemp(tmp: string): Promise<void> {
  await rm(tmp, { force: true });
  pending.delete(tmp);
}

/**
 * Makes a hidden temp folder in `parent` now, synchronously, and records it (removed whole on exit and
 * by the CLI's signal handlers). For files that another library creates by name on its own threads
 * (libvips' toFile): such a file can appear after an exit sweep has unlinked it, but not once its
 * folder is gone, since creating it then fails.
 */
export function createTempFolder(parent: string): string {
  removeOnExit();
  const folder = path.join(parent, tempStem());
  pendingFolders.add(folder);
  try {
    mkdirSync(folder);
  } catch (error) {
    pendingFolders.delete(folder);
    throw error;
  }
  return folder;
}

/** Removes a temp folder made by createTempFolder, with what it holds, and forgets it. */
export async function removeTempFolder(folder: string): Promise<void> {
  await rm(folder, { recursive: true, force: true });
  pendingFolders.delete(folder);
}

/** The most bytes one write call is given. */
const MAX_WRITE_CHUNK = 2 ** 30;

/**
 * Writes all of `bytes` through `handle` at `position` (null: at the file position). A write may
 * store fewer bytes than asked (a nearly full disk): the rest is written again, and the next
 * attempt reports the error (ENOSPC, EIO); a write that stores nothing is ENOSPC.
 */
export async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number | null = null): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    // At most 1 GiB a call: Node refuses a length of 2 GiB or more (a 3 GiB map of one .npy).
    const length = Math.min(bytes.length - done, MAX_WRITE_CHUNK);
    const { bytesWritten } = await handle.write(bytes, done, length, position === null ? null : position + done);
    if (bytesWritten <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    done += bytesWritten;
  }
}

/** Writes `bytes` into `file`, which exists (a temp from createTemp), and flushes it to disk. */
export async function writeAndSync(file: string, bytes: Uint8Array | readonly Uint8Array[]): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    for (const chunk of bytes instanceof Uint8Array ? [bytes] : bytes) await writeAll(handle, chunk);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A file written piece by piece under a temp name; `commit` renames it into place, `abort` removes it. */
export interface AtomicStream {
  write(text: string): Promise<void>;
  /** Flushes and renames into place; after any failed write, removes the temp file and throws it instead. */
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * Opens `target` for incremental writing (e.g. a --report log) with the same guarantee as
 * writeFileAtomic. Failures are WriteErrors naming `target` with error code `code`.
 */
export async function openAtomicStream(target: string, code: ErrorCode = 'output.write'): Promise<AtomicStream> {
  let tmp: string | null = null;
  let handle: FileHandle | null;
  try {
    await makeFolder(path.dirname(target));
    tmp = createTemp(target);
    handle = await open(tmp, 'r+');
  } catch (error) {
    if (tmp) await removeTemp(tmp);
    throw WriteError.of(target, error, code);
  }
  const temp = tmp;
  let failure: unknown = null;
  // Writes are chained so lines land in call order even when callers do not await them.
  let chain: Promise<void> = Promise.resolve();
  const finish = async (keep: boolean): Promise<void> => {
    await chain.catch(() => {});
    const h = handle;
    handle = null;
    if (!h) return;
    try {
      if (keep && failure === null) await h.sync();
    } catch (error) {
      failure ??= error;
    } finally {
      await h.close().catch((error: unknown) => (failure ??= error));
    }
    try {
      if (keep && failure === null) await rename(temp, target);
    } catch (error) {
      failure ??= error;
    } finally {
      await removeTemp(temp);
    }
    if (keep && failure !== null) throw WriteError.of(target, failure, code);
  };
  return {
    write(text: string) {
      const step = chain.then(async () => {
        if (!handle || failure !== null) return;
        try {
          await writeAll(handle, Buffer.from(text, 'utf8'));
        } catch (error) {
          failure = error;
          throw WriteError.of(target, error, code);
        }
      });
      // The chain itself never rejects: the first failure is kept and makes commit fail.
      chain = step.catch(() => {});
      return step;
    },
    commit: () => finish(true),
    abort: () => finish(false),
  };
}

/**
 * A file written through `write` under a temp name, then put in place in two steps: `finish`
 * (flush and close) and `publish` (rename), so several files can be finished first and renamed in
 * the order that makes them appear together. The temp name ends in `.tmp`, so it matches no glob
 * of outputs (`*.parquet`, `*.npy`), not even in tools whose globs take hidden files. Failures are
 * WriteErrors naming the target.
 */
export interface AtomicFile {
  /** Writes all of `bytes` at `position`. */
  write(bytes: Uint8Array, position: number): Promise<void>;
  finish(): Promise<void>;
  publish(): Promise<void>;
  /** Closes if open and removes the temp file. */
  abort(): Promise<void>;
}

export async function openAtomicFile(target: string): Promise<AtomicFile> {
  let tmp: string | null = null;
  let handle: FileHandle;
  try {
    await makeFolder(path.dirname(target));
    tmp = createTemp(target, '.tmp');
    handle = await open(tmp, 'r+');
  } catch (error) {
    if (tmp) await removeTemp(tmp);
    throw WriteError.of(target, error);
  }
  const temp = tmp;
  let isOpen = true;
  const close = async (): Promise<void> => {
    if (!isOpen) return;
    isOpen = false;
    await handle.close();
  };
  const wrap = async (step: () => Promise<void>): Promise<void> => {
    try {
      await step();
    } catch (error) {
      throw WriteError.of(target, error);
    }
  };
  return {
    write: (bytes, position) => wrap(() => writeAll(handle, bytes, position)),
    finish: () =>
      wrap(async () => {
        await handle.sync();
        await close();
      }),
    publish: () =>
      wrap(async () => {
        await rename(temp, target);
        pending.delete(temp);
      }),
    async abort() {
      await close().catch(() => {});
      await removeTemp(temp);
    },
  };
}

/** True for a temp name made beside a file named `base` by openAtomicFile (a run killed by SIGKILL leaves them). */
export function isTempOf(name: string, base: RegExp): boolean {
  const m = /^\.cnnx-tmp-[0-9a-f]{12}-(.*)\.tmp$/.exec(name);
  return m !== null && base.test(m[1]);
}

/**
 * Synchronously removes every temp file still pending (for exit and signal handlers). Entries stay
 * in the set until their writer finishes, so a second call also catches a temp whose open() was
 * still running on the thread pool during the first.
 */
export function removePendingTemps(): void {
  for (const tmp of pending) {
    try {
      unlinkSync(tmp);
    } catch {
      // Already gone: nothing to clean.
    }
  }
  for (const folder of pendingFolders) {
    try {
      // A file created inside while the folder is being removed makes its rmdir fail: retried.
      rmSync(folder, { recursive: true, force: true, maxRetries: 5, retryDelay: 1 });
    } catch {
      // Nothing more to do on the way out.
    }
  }
}
