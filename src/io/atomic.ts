// Writes files so that a file under its final name is always complete: temp file in the same folder, flushed, then renamed.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { closeSync, openSync, unlinkSync } from 'node:fs';
import path from 'node:path';

/** Temp files not yet renamed; removed on exit so an interrupted run leaves nothing behind. */
const pending = new Set<string>();

/** A temp name beside `target` (same folder, so the rename is atomic). Hidden, so folder walks skip it. */
export function tempNameFor(target: string): string {
  return path.join(path.dirname(target), `.cnnx-tmp-${randomBytes(6).toString('hex')}-${path.basename(target)}`);
}

/**
 * Writes `bytes` to `target` atomically, creating the folder if needed. The data is fsynced before
 * the rename: after a crash or power cut, a file under its final name is complete, which is what
 * `--skip-existing` relies on.
 */
export async function writeFileAtomic(target: string, bytes: Uint8Array | readonly Uint8Array[] | ((tmp: string) => Promise<void>)): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = createTemp(target);
  try {
    if (typeof bytes === 'function') await bytes(tmp);
    else await writeAndSync(tmp, bytes);
    await rename(tmp, target);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  } finally {
    pending.delete(tmp);
  }
}

/**
 * Makes the temp file now, synchronously, and records it. Signal handlers run between JavaScript
 * tasks, so an exit that removes pending temps can never slip between recording a name and an
 * asynchronous open that would create the file after the cleanup. Later opens use 'r+', which fails
 * rather than re-creating a temp that an exit already removed.
 */
function createTemp(target: string, suffix = ''): string {
  const tmp = tempNameFor(target) + suffix;
  pending.add(tmp);
  closeSync(openSync(tmp, 'wx'));
  return tmp;
}

async function writeAndSync(file: string, bytes: Uint8Array | readonly Uint8Array[]): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    if (bytes instanceof Uint8Array) await handle.writeFile(bytes);
    else for (const chunk of bytes) await handle.write(chunk);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A file written piece by piece under a temp name; `commit` renames it into place, `abort` removes it. */
export interface AtomicStream {
  write(text: string): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Opens `target` for incremental writing (e.g. a --report log) with the same guarantee as writeFileAtomic. */
export async function openAtomicStream(target: string): Promise<AtomicStream> {
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = createTemp(target);
  let handle: FileHandle | null = await open(tmp, 'r+');
  // Writes are chained so lines land in call order even when callers do not await them.
  let chain: Promise<void> = Promise.resolve();
  const finish = async (keep: boolean): Promise<void> => {
    await chain.catch(() => {});
    const h = handle;
    handle = null;
    if (!h) return;
    try {
      if (keep) await h.sync();
    } finally {
      await h.close();
      if (keep) await rename(tmp, target);
      else await rm(tmp, { force: true });
      pending.delete(tmp);
    }
  };
  return {
    write(text: string) {
      chain = chain.then(async () => {
        if (handle) await handle.write(text);
      });
      return chain;
    },
    commit: () => finish(true),
    abort: () => finish(false),
  };
}

/**
 * A file written through its handle under a temp name, then put in place in two steps: `finish`
 * (flush and close) and `publish` (rename), so several files can be finished first and renamed in
 * the order that makes them appear together. The temp name ends in `.tmp`, so it matches no glob
 * of outputs (`*.parquet`, `*.npy`), not even in tools whose globs take hidden files.
 */
export interface AtomicFile {
  readonly handle: FileHandle;
  finish(): Promise<void>;
  publish(): Promise<void>;
  /** Closes if open and removes the temp file. */
  abort(): Promise<void>;
}

export async function openAtomicFile(target: string): Promise<AtomicFile> {
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = createTemp(target, '.tmp');
  const handle = await open(tmp, 'r+').catch(async (error: unknown) => {
    await rm(tmp, { force: true });
    pending.delete(tmp);
    throw error;
  });
  let isOpen = true;
  const close = async (): Promise<void> => {
    if (!isOpen) return;
    isOpen = false;
    await handle.close();
  };
  return {
    handle,
    async finish() {
      await handle.sync();
      await close();
    },
    async publish() {
      await rename(tmp, target);
      pending.delete(tmp);
    },
    async abort() {
      await close().catch(() => {});
      await rm(tmp, { force: true });
      pending.delete(tmp);
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
}
