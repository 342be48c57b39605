// Reads a whole input file, turning the operating system's failures into one-line CnnxErrors.

import { open, readFile } from 'node:fs/promises';
import { CnnxError, type ErrorCode } from '../errors.js';

/** Why a read failed, in words a user can act on, keyed by Node's error code. */
const READ_FAILURES: Record<string, { code: ErrorCode; reason: string }> = {
  ENOENT: { code: 'file.missing', reason: 'no such file' },
  ENOTDIR: { code: 'file.missing', reason: 'no such file (a parent is not a directory)' },
  EISDIR: { code: 'file.unreadable', reason: 'is a directory, not a file' },
  EACCES: { code: 'file.unreadable', reason: 'permission denied' },
  EPERM: { code: 'file.unreadable', reason: 'permission denied' },
};

/** What went wrong reading a file, as a stable code and a reason a user can act on. */
export function readFailure(error: unknown): { code: ErrorCode; reason: string } {
  const known = READ_FAILURES[(error as NodeJS.ErrnoException).code ?? ''];
  if (known) return known;
  const detail = error instanceof Error ? error.message : String(error);
  return { code: 'file.unreadable', reason: `cannot be read: ${detail.replace(/\s+/g, ' ')}` };
}

/** The bytes of `path`; failures name `displayName` (what the user wrote, not the resolved path). */
export async function readInputFile(path: string, displayName: string = path): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    const { code, reason } = readFailure(error);
    throw new CnnxError(code, `${displayName}: ${reason}`);
  }
}

/** The first `count` bytes of `file` (fewer when it is shorter), for recognising formats by content. */
export async function readHead(file: string, count: number): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const head = new Uint8Array(count);
    const { bytesRead } = await handle.read(head, 0, count, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
