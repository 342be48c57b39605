// Atomic writes on a failing disk: short writes, ENOSPC and EIO from an injected write layer; nothing under a final name, no temp left, the user's path in the message.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createReferenceEngine } from '../../src/engine/reference.js';
import { tensor } from '../../src/engine/tensor.js';
import { createTempFolder, openAtomicFile, openAtomicStream, removePendingTemps, removeTempFolder, writeAll, writeFileAtomic, WriteError, writeReason } from '../../src/io/atomic.js';
import { encodeNpyChunks } from '../../src/io/npy.js';
import { loadNetwork } from '../../src/network/load.js';
import { streamNetwork } from '../../src/stream/index.js';
import { tensorSource } from '../../src/stream/row-source.js';
import { ROOT, tempDir } from '../helpers.js';

/**
 * The injected disk: every file opened for writing stores at most `capacity` bytes in all, and at
 * most `chunk` bytes per write call (a short write, as a nearly full disk gives); past capacity a
 * write fails with `errno`. null: the real disk.
 */
const disk = vi.hoisted(() => ({ fault: null as { capacity: number; chunk: number; errno: string } | null }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open = async (...args: Parameters<typeof real.open>): Promise<FileHandle> => {
    const handle = await real.open(...args);
    const fault = disk.fault;
    if (!fault) return handle;
    let stored = 0;
    const write = async (buffer: Uint8Array, offset = 0, length = buffer.length - offset, position: number | null = null) => {
      const room = fault.capacity - stored;
      if (room <= 0 && length > 0) throw Object.assign(new Error(`${fault.errno}: injected failure, write`), { code: fault.errno });
      const n = Math.min(length, room, fault.chunk);
      const result = await handle.write(buffer, offset, n, position);
      stored += result.bytesWritten;
      return result;
    };
    return new Proxy(handle, {
      get: (target, key) => (key === 'write' ? write : Reflect.get(target, key, target)),
    });
  };
  return { ...real, open, default: { ...real, open } };
});

afterEach(() => {
  disk.fault = null;
});

/** Every name in `dir` (temp files included). */
function names(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

function bytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);
}

describe('temp folders (the decoded image a streamed run reads back)', () => {
  it('once the exit sweep has run, a file created late by its name (libvips on its own thread) cannot appear', () => {
    const dir = tempDir();
    const folder = createTempFolder(dir);
    expect(path.basename(folder)).toMatch(/^\.cnnx-tmp-[0-9a-f]{12}$/);
    writeFileSync(path.join(folder, 'big.png.v'), 'decoded so far');
    removePendingTemps();
    // A writer that opens by name after the sweep: the folder is gone, so the create fails.
    expect(() => writeFileSync(path.join(folder, 'big.png.v'), 'the rest')).toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('removeTempFolder removes it with what it holds', async () => {
    const dir = tempDir();
    const folder = createTempFolder(dir);
    writeFileSync(path.join(folder, 'a.v'), 'x');
    await removeTempFolder(folder);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('writeFileAtomic on a failing disk', () => {
  it('writes every byte through short writes (a disk that stores 7 bytes per call)', async () => {
    const dir = tempDir();
    const target = path.join(dir, 'out.npy');
    const chunks = encodeNpyChunks([2, 30, 40], new Float32Array(2 * 30 * 40).map((_, i) => i / 7));
    disk.fault = { capacity: Infinity, chunk: 7, errno: 'ENOSPC' };
    await writeFileAtomic(target, chunks);
    expect(readFileSync(target).equals(Buffer.concat(chunks))).toBe(true);
    expect(names(dir)).toEqual(['out.npy']);
  });

  it.each([
    ['ENOSPC', 'no space left on device'],
    ['EIO', 'input/output error'],
    ['EDQUOT', 'disk quota exceeded'],
  ])('%s after a short write: a WriteError naming the target, nothing under the final name, no temp', async (errno, reason) => {
    const dir = tempDir();
    const target = path.join(dir, 'sub', 'out.npy');
    // The first write stores part of the data and succeeds (short), the next fails: the bug this guards was taking the short write as done.
    disk.fault = { capacity: 1000, chunk: Infinity, errno };
    const error = await writeFileAtomic(target, encodeNpyChunks([1, 100, 100], new Float32Array(10_000))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WriteError);
    expect((error as WriteError).code).toBe('output.write');
    expect((error as WriteError).exitCode).toBe(1);
    expect((error as WriteError).message).toBe(`${target}: cannot write: ${reason}`);
    expect(names(path.join(dir, 'sub'))).toEqual([]);
  });

  it('keeps an old file under the final name untouched when the new write fails', async () => {
    const dir = tempDir();
    const target = path.join(dir, 'out.png');
    writeFileSync(target, 'old');
    disk.fault = { capacity: 10, chunk: Infinity, errno: 'ENOSPC' };
    await expect(writeFileAtomic(target, bytes(5000, 1))).rejects.toThrow(`${target}: cannot write: no space left on device`);
    expect(readFileSync(target, 'utf8')).toBe('old');
    expect(names(dir)).toEqual(['out.png']);
  });
});

describe('openAtomicStream (the --report log) on a failing disk', () => {
  it('commit after a failed write throws and removes the temp: no truncated log under the final name', async () => {
    const dir = tempDir();
    const target = path.join(dir, 'run.jsonl');
    disk.fault = { capacity: 100, chunk: Infinity, errno: 'ENOSPC' };
    const stream = await openAtomicStream(target, 'output.report');
    const writes = Array.from({ length: 10 }, (_, i) => stream.write(`${JSON.stringify({ path: `p${i}.png`, status: 'ok' })}\n`).catch((e: unknown) => e));
    const failed = (await Promise.all(writes)).filter((e) => e !== undefined);
    expect(failed.length).toBeGreaterThan(0);
    const error = await stream.commit().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WriteError);
    expect((error as WriteError).code).toBe('output.report');
    expect((error as WriteError).message).toBe(`${target}: cannot write: no space left on device`);
    expect(names(dir)).toEqual([]);
  });

  it('writes every line through short writes', async () => {
    const dir = tempDir();
    const target = path.join(dir, 'run.jsonl');
    disk.fault = { capacity: Infinity, chunk: 3, errno: 'ENOSPC' };
    const stream = await openAtomicStream(target);
    const lines = Array.from({ length: 20 }, (_, i) => `{"i":${i},"text":"ünïcødé ${'x'.repeat(i)}"}\n`);
    for (const line of lines) void stream.write(line);
    await stream.commit();
    expect(readFileSync(target, 'utf8')).toBe(lines.join(''));
    expect(names(dir)).toEqual(['run.jsonl']);
  });
});

describe('openAtomicFile (embeddings parts) on a failing disk', () => {
  it('a failed positional write is a WriteError naming the part; abort leaves nothing', async () => {
    const dir = tempDir();
    const target = path.join(dir, 'part-00000.npy');
    disk.fault = { capacity: 64, chunk: 16, errno: 'EIO' };
    const file = await openAtomicFile(target);
    await file.write(bytes(64, 2), 0);
    await expect(file.write(bytes(64, 3), 64)).rejects.toThrow(`${target}: cannot write: input/output error`);
    await file.abort();
    expect(names(dir)).toEqual([]);
  });
});

describe('streamed .npy bands on a failing disk', () => {
  it('a band that does not fit fails naming the output file, which never appears', async () => {
    const dir = tempDir();
    const net = await loadNetwork(path.join(ROOT, 'examples', 'seed-convnet.json'));
    const input = tensor(3, 48, 40, new Float32Array(3 * 48 * 40).map((_, i) => Math.sin(i)));
    const target = path.join(dir, 'big.npy');
    disk.fault = { capacity: 4096, chunk: Infinity, errno: 'ENOSPC' };
    const last = net.layers.length - 1;
    const error = await streamNetwork(createReferenceEngine(), net, tensorSource(input), 'in.png', [last], [target], { bandRows: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WriteError);
    expect((error as WriteError).message).toBe(`${target}: cannot write: no space left on device`);
    expect(names(dir)).toEqual([]);
  });
});

describe('writeReason', () => {
  it("gives words for a system error and never Node's paths (they name temp files)", () => {
    const enospc = Object.assign(new Error("ENOSPC: no space left on device, write '/x/.cnnx-tmp-0123456789ab-a.npy'"), { code: 'ENOSPC' });
    expect(writeReason(enospc)).toBe('no space left on device');
    const exdev = Object.assign(new Error("EXDEV: cross-device link not permitted, rename '/a/.cnnx-tmp-1' -> '/b/c'"), { code: 'EXDEV' });
    expect(writeReason(exdev)).toBe('cross-device link not permitted');
  });
});

describe('writeAll of a buffer over 2 GiB', () => {
  it('gives each write call at most 1 GiB: Node refuses a length of 2 GiB or more (ERR_OUT_OF_RANGE)', async () => {
    // A 3 GiB map (3 x 16383 x 16383 float32) is one chunk of its .npy; nothing here allocates it.
    const size = 3 * 2 ** 30 + 12;
    const calls: [number, number, number | null][] = [];
    const handle = {
      write: async (_bytes: Uint8Array, offset: number, length: number, position: number | null) => {
        if (length > 2 ** 31 - 1) throw Object.assign(new RangeError(`The value of "length" is out of range. Received ${length}`), { code: 'ERR_OUT_OF_RANGE' });
        calls.push([offset, length, position]);
        return { bytesWritten: length };
      },
    } as unknown as FileHandle;
    await writeAll(handle, { length: size } as Uint8Array, 100);
    expect(calls).toEqual([
      [0, 2 ** 30, 100],
      [2 ** 30, 2 ** 30, 100 + 2 ** 30],
      [2 ** 31, 2 ** 30, 100 + 2 ** 31],
      [3 * 2 ** 30, 12, 100 + 3 * 2 ** 30],
    ]);
  });
});
