// Failed writes from the user's side: a full or read-only disk (a small tmpfs in a user namespace), /dev/full, a closed or broken stdout; one line naming the user's path, nothing under a final name.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, FIXTURES, ROOT, runCli, tempDir, type CliResult } from '../helpers.js';

const SEED = path.join(ROOT, 'examples', 'seed-convnet.json');
const CAT = path.join(FIXTURES, 'images', 'chelsea.png');
const GEM = path.join(FIXTURES, 'batch', 'seed-gem.json');

/** Every file (not folder) below `dir`, relative, temp files included. */
function filesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** Runs a command and resolves with its exit (stdout discarded unless piped by the command). */
function run(command: string, args: readonly string[], stdio: ('pipe' | 'ignore' | number)[] = ['ignore', 'pipe', 'pipe'], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, CI: 'true', ...env }, stdio });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr }));
  });
}

describe('write failures anyone can cause', () => {
  it('-o under a parent that is a file: one line naming the path, exit 1, nothing written', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'file'), 'x');
    for (const out of [path.join(dir, 'file', 'o.png'), path.join(dir, 'file', 'sub', 'o.npy')]) {
      const r = await runCli(['apply', SEED, CAT, '-o', out]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toBe(`cnnx: ${out}: cannot write: a parent is not a folder\n`);
    }
    expect(filesIn(dir)).toEqual(['file']);
  });

  it("a temp folder that does not exist, for a streamed image's decoded copy: one line naming the input and the folder, exit 1", async () => {
    const dir = tempDir();
    const missing = path.join(dir, 'missing');
    const r = await runCli(['apply', SEED, CAT, '-o', path.join(dir, 'out.npy'), '--band-rows', '8'], { env: { TMPDIR: missing } });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe(`cnnx: ${CAT}: the temp folder ${missing} (TMPDIR): cannot write: no such file or folder\n`);
    expect(filesIn(dir)).toEqual([]);
  });

  it('--report naming a folder is refused before any work (exit 2): no output, no temp', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'out.npy');
    const r = await runCli(['apply', SEED, CAT, '-o', out, '--report', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`cnnx: --report ${dir}: is a folder; the report is a file, e.g. --report ${path.join(dir, 'run.jsonl')}\n`);
    expect(filesIn(dir)).toEqual([]);
  });

  it.each([['npy'], ['png']])('-o - --format %s to /dev/full: one line, exit 1', async (format) => {
    const full = openSync('/dev/full', 'w');
    try {
      const r = await run(process.execPath, [BIN, 'apply', SEED, CAT, '-o', '-', '--format', format], ['ignore', full, 'pipe']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('cnnx: stdout: cannot write: no space left on device\n');
    } finally {
      closeSync(full);
    }
  });

  it('a text command to /dev/full: one line, exit 1 (no stack trace)', async () => {
    const full = openSync('/dev/full', 'w');
    try {
      const r = await run(process.execPath, [BIN, 'kernels'], ['ignore', full, 'pipe']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('cnnx: stdout: cannot write: no space left on device\n');
    } finally {
      closeSync(full);
    }
  });

  it('-o - with stdout closed is refused (exit 2); > /dev/null is fine', async () => {
    const closed = await run('sh', ['-c', 'exec "$0" "$@" >&-', process.execPath, BIN, 'apply', SEED, CAT, '-o', '-']);
    expect(closed.code).toBe(2);
    expect(closed.stderr).toBe('cnnx: -o - writes to stdout, which is closed; redirect it to a file or a pipe\n');
    const devNull = await run('sh', ['-c', 'exec "$0" "$@" > /dev/null', process.execPath, BIN, 'apply', SEED, CAT, '-o', '-']);
    expect(devNull.code, devNull.stderr).toBe(0);
  });

  it('a pipe closed early (| head -c 10) ends the run with 141 and at most one line', async () => {
    // bash reports the writer's status, not head's; the map (2 MB) and the 201x201 matrix (400 KB) are far more than a pipe holds.
    const apply = await run('bash', ['-c', '"$0" "$@" | head -c 10 > /dev/null; exit "${PIPESTATUS[0]}"', process.execPath, BIN, 'apply', SEED, CAT, '-o', '-']);
    expect(apply.code).toBe(141);
    expect(apply.stderr).toMatch(/^(cnnx: stdout: cannot write: the reading end of the pipe closed\n)?$/);
    const kernels = await run('bash', ['-c', '"$0" "$@" | head -c 10 > /dev/null; exit "${PIPESTATUS[0]}"', process.execPath, BIN, 'kernels', 'gaussian:size=201,sigma=30']);
    expect(kernels.code).toBe(141);
    expect(kernels.stderr).toBe('');
  });
});

/** True when a tmpfs can be mounted in a new user and mount namespace (no root needed where user namespaces are enabled). */
function namespacesWork(): boolean {
  const probe = tempDir();
  const r = spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=16k tmpfs "$0"', probe], { stdio: 'ignore' });
  return r.status === 0;
}

interface SmallDisk {
  /** The tmpfs mount point (empty outside the namespace). */
  readonly mount: string;
  /** Files left on the tmpfs after the run, relative to `mount`. */
  readonly left: string[];
}

/**
 * Runs `cnnx ARGS` with a tmpfs of `size` mounted at a fresh folder (`fill`: filled to the last
 * byte first; `readOnly`; `stdoutFile`: stdout redirected to that file on it), then lists the files left on it. `args` may use MOUNT for that folder.
 */
async function onSmallDisk(args: readonly string[], options: { size?: string; fill?: boolean; readOnly?: boolean; env?: NodeJS.ProcessEnv; stdoutFile?: string } = {}): Promise<CliResult & SmallDisk> {
  const dir = tempDir('cnnx-test-disk-');
  const mount = path.join(dir, 'disk');
  const listing = path.join(dir, 'left.txt');
  mkdirSync(mount);
  const size = options.size ?? '64k';
  const script = [
    `mount -t tmpfs -o size=${size}${options.readOnly ? ',ro' : ''} tmpfs "$MOUNT" || exit 99`,
    options.fill ? 'head -c 100000000 /dev/zero > "$MOUNT/filler" 2>/dev/null' : ':',
    options.stdoutFile ? `"$0" "$@" > "$MOUNT/${options.stdoutFile}"; code=$?` : '"$0" "$@"; code=$?',
    '(cd "$MOUNT" && find . -type f | sed "s|^./||" | sort) > "$LISTING"',
    'exit $code',
  ].join('\n');
  const r = await run('unshare', ['-rm', 'sh', '-c', script, process.execPath, BIN, ...args.map((a) => a.replaceAll('MOUNT', mount))], ['ignore', 'pipe', 'pipe'], {
    MOUNT: mount,
    LISTING: listing,
    ...Object.fromEntries(Object.entries(options.env ?? {}).map(([k, v]) => [k, v?.replaceAll('MOUNT', mount)])),
  });
  const left = existsSync(listing) ? readFileSync(listing, 'utf8').split('\n').filter(Boolean) : [];
  return { ...r, mount, left };
}

describe.runIf(process.platform === 'linux' && namespacesWork())('a full or read-only disk (tmpfs in a user namespace)', () => {
  it.each([
    ['.npy (the short write that was taken as complete)', ['-o', 'MOUNT/out.npy'], 'MOUNT/out.npy'],
    ['.npy streamed in bands (exited 70)', ['-o', 'MOUNT/out.npy', '--band-rows', '8'], 'MOUNT/out.npy'],
    ['.png', ['-o', 'MOUNT/out.png'], 'MOUNT/out.png'],
    ['.safetensors', ['-o', 'MOUNT/out.safetensors', '--layer', 'all'], 'MOUNT/out.safetensors'],
    ['--format report', ['-o', 'MOUNT/report/', '--format', 'report', '--layer', 'all'], 'MOUNT/report/index.html'],
    ['--format embeddings', ['-o', 'MOUNT/emb/', '--format', 'embeddings'], 'MOUNT/emb/part-00000.npy'],
  ])('%s: one line naming the output, exit 1, nothing left on the disk', async (_, args, named) => {
    const r = await onSmallDisk(['apply', SEED, CAT, ...args]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe(`cnnx: ${named.replace('MOUNT', r.mount)}: cannot write: no space left on device\n`);
    expect(r.left).toEqual([]);
  });

  it("--format embeddings: a row reported 'ok' is in a part on the disk, whichever write fails", async () => {
    // Parts of 2 rows, one input at a time: part k holds inputs 2k and 2k + 1. Disks of 4 to 7 pages
    // fail at a part's .npy or at its .parquet, after a row of it was computed and counted.
    const photos = tempDir();
    const names = Array.from({ length: 12 }, (_, i) => `p${String(i).padStart(2, '0')}.png`);
    for (const name of names) copyFileSync(CAT, path.join(photos, name));
    const failedAt = new Set<string>();
    for (const size of ['16k', '20k', '24k', '28k']) {
      const report = path.join(tempDir(), 'run.jsonl');
      const r = await onSmallDisk(['apply', GEM, photos, '-o', 'MOUNT/emb/', '--format', 'embeddings', '--part-rows', '2', '-j', '1', '--report', report], { size });
      expect(r.code, r.stderr).toBe(1);
      const parts = r.left.filter((f) => f.endsWith('.parquet'));
      const records = readFileSync(report, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { path: string; status: string; error: string | null });
      const ok = records.filter((x) => x.status === 'ok').map((x) => path.basename(x.path)).sort();
      expect(ok, `${size}: ${r.stderr}`).toEqual(names.slice(0, 2 * parts.length));
      expect(records).toHaveLength(names.length);
      const failed = records.filter((x) => x.status === 'failed');
      expect(r.stderr).toContain(`cnnx: ${ok.length} processed, 0 skipped, ${failed.length} failed`);
      for (const x of failed) failedAt.add(x.error!.replace(/^.*\.(npy|parquet): .*$/, '$1'));
    }
    expect([...failedAt].sort()).toEqual(['npy', 'parquet']);
  });

  it('-o - redirected to a file on a small disk: the short write is not taken as complete (one line, exit 1)', async () => {
    const r = await onSmallDisk(['apply', SEED, CAT, '-o', '-'], { stdoutFile: 'out.npy' });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe('cnnx: stdout: cannot write: no space left on device\n');
  });

  it('--report on a full disk: one line, exit 1, no truncated log and no temp; the output is written', async () => {
    const out = path.join(tempDir(), 'out.npy');
    const r = await onSmallDisk(['apply', SEED, CAT, '-o', out, '--report', 'MOUNT/run.jsonl'], { fill: true });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe(`cnnx: --report ${r.mount}/run.jsonl: cannot write: no space left on device\n`);
    expect(r.left).toEqual(['filler']);
    expect(existsSync(out)).toBe(true);
  });

  it("a full temp folder for a streamed image's decoded copy: one line naming the input and the folder, exit 1, nothing left", async () => {
    const outDir = tempDir();
    const r = await onSmallDisk(['apply', SEED, CAT, '-o', path.join(outDir, 'out.npy'), '--band-rows', '8'], { size: '200k', env: { TMPDIR: 'MOUNT' } });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe(`cnnx: ${CAT}: the temp folder ${r.mount} (TMPDIR): cannot write: no space left on device\n`);
    expect(r.left).toEqual([]);
    expect(filesIn(outDir)).toEqual([]);
  });

  it('a read-only folder: one line naming the output, exit 1', async () => {
    for (const out of ['MOUNT/o.png', 'MOUNT/sub/o.npy']) {
      const r = await onSmallDisk(['apply', SEED, CAT, '-o', out], { readOnly: true });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toBe(`cnnx: ${out.replace('MOUNT', r.mount)}: cannot write: read-only file system\n`);
    }
  });
});
