// Reads whole input files and streams within the read limit, refusing FIFOs and devices, and turning the operating system's failures into one-line CnnxErrors.

import { constants, fstatSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { CnnxError, type ErrorCode } from '../errors.js';
import { maxReadBytes, tooManyBytes } from './limits.js';

/** Why a read failed, in words a user can act on, keyed by Node's error code. */
const READ_FAILURES: Record<string, { code: ErrorCode; reason: string }> = {
  ENOENT: { code: 'file.missing', reason: 'no such file' },
  ENOTDIR: { code: 'file.missing', reason: 'no such file (a parent is not a directory)' },
  EISDIR: { code: 'file.unreadable', reason: 'is a directory, not a file' },
  EACCES: { code: 'file.unreadable', reason: 'permission denied' },
  EPERM: { code: 'file.unreadable', reason: 'permission denied' },
  ENAMETOOLONG: { code: 'file.missing', reason: 'no such file (its name is too long)' },
  ELOOP: { code: 'file.unreadable', reason: 'cannot be read: too many levels of symbolic links' },
};

/** A refusal of ours (not the OS's) to read a file: it is not a regular file, or it is over the read limit. */
export class ReadRefused extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** What went wrong reading a file, as a stable code and a reason a user can act on. */
export function readFailure(error: unknown): { code: ErrorCode; reason: string } {
  if (error instanceof ReadRefused) return { code: error.code, reason: error.reason };
  const known = READ_FAILURES[(error as NodeJS.ErrnoException).code ?? ''];
  if (known) return known;
  const detail = error instanceof Error ? error.message : String(error);
  return { code: 'file.unreadable', reason: `cannot be read: ${detail.replace(/\s+/g, ' ')}` };
}

/** What a file that is not a regular file is, for messages; null for a regular file. */
function specialKind(info: Stats): string | null {
  if (info.isFile()) return null;
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Opens `path` for reading and checks it is a regular file. The open does not block (a FIFO with no
 * writer would block open() forever), and fstat looks at what was opened, so nothing can swap it.
 */
export async function openRegularFile(path: string): Promise<{ handle: FileHandle; size: number }> {
  // Node's own message for this names its API; no file name can hold a NUL byte anyway.
  if (path.includes('\0')) throw new ReadRefused('file.missing', 'no such file (the path holds a NUL byte)');
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  let info: Stats;
  try {
    info = await handle.stat();
  } catch (error) {
    await handle.close();
    throw error;
  }
  const kind = specialKind(info);
  if (kind !== null) {
    await handle.close();
    throw new ReadRefused('file.unreadable', kind === 'a directory' ? READ_FAILURES.EISDIR.reason : `is ${kind}, not a regular file`);
  }
  return { handle, size: info.size };
}

/**
 * The bytes of a regular file, at most `limit` of them (default: the read limit); a bigger file is
 * refused before it is read. Reads until end of file, so files whose size stat does not know still read.
 */
export async function readRegularFile(path: string, limit: number = maxReadBytes()): Promise<Buffer> {
  const { handle, size } = await openRegularFile(path);
  try {
    if (size > limit) throw new ReadRefused('file.too_large', tooManyBytes(size, limit));
    return await readToEnd((into, at) => handle.read(into, at, into.length - at, null).then((r) => r.bytesRead), size, limit);
  } finally {
    await handle.close();
  }
}

/** Reads with `read` until it returns 0, into one buffer grown as needed; more than `limit` bytes is refused. */
async function readToEnd(read: (into: Buffer, at: number) => Promise<number>, expected: number, limit: number): Promise<Buffer> {
  // One byte more than expected, so a file that grew (or a size stat did not know) is noticed.
  let bytes = Buffer.allocUnsafeSlow(Math.min(expected, limit) + 1);
  let used = 0;
  for (;;) {
    if (used === bytes.length) {
      if (used > limit) throw new ReadRefused('file.too_large', tooManyBytes(null, limit));
      const grown = Buffer.allocUnsafeSlow(Math.min(limit + 1, Math.max(2 * used, used + 2 ** 16)));
      bytes.copy(grown, 0, 0, used);
      bytes = grown;
    }
    const n = await read(bytes, used);
    if (n === 0) break;
    used += n;
  }
  if (used > limit) throw new ReadRefused('file.too_large', tooManyBytes(null, limit));
  return bytes.subarray(0, used);
}

/**
 * All of stdin, within the read limit. A device (stdin redirected from /dev/zero or /dev/urandom, or a
 * terminal) is refused before anything is read: no image comes from one.
 */
export async function readStdinCapped(): Promise<Buffer> {
  const info = fstatSync(0);
  if (info.isCharacterDevice() || info.isBlockDevice()) {
    throw new ReadRefused('file.unreadable', process.stdin.isTTY ? 'stdin is a terminal; pipe or redirect an image or .npy to it' : 'stdin is a device (such as /dev/zero), not a file or a pipe');
  }
  return readStreamCapped(process.stdin);
}

/**
 * All of a readable stream (stdin), at most `limit` bytes: a pipe that never ends (`cat /dev/zero |`)
 * is refused once it passes the limit, having held no more than that.
 */
export async function readStreamCapped(stream: NodeJS.ReadableStream, limit: number = maxReadBytes()): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += bytes.length;
    if (total > limit) {
      if ('destroy' in stream && typeof stream.destroy === 'function') stream.destroy();
      throw new ReadRefused('file.too_large', tooManyBytes(null, limit));
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, total);
}

/** The bytes of `path`; failures name `displayName` (what the user wrote, not the resolved path). */
export async function readInputFile(path: string, displayName: string = path): Promise<Uint8Array> {
  try {
    return await readRegularFile(path);
  } catch (error) {
    const { code, reason } = readFailure(error);
    throw new CnnxError(code, `${displayName}: ${reason}`);
  }
}

/** The first `count` bytes of `file` (fewer when it is shorter), for recognising formats by content; a FIFO or device is refused, never waited on. */
export async function readHead(file: string, count: number): Promise<Uint8Array> {
  const { handle } = await openRegularFile(file);
  try {
    const head = new Uint8Array(count);
    const { bytesRead } = await handle.read(head, 0, count, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
