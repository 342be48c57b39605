// Size limits through the CLI: pixel bombs, endless streams, FIFOs and devices, deep JSON, absurd spec values; one line, the documented exit code, nothing written, no hang.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { encodeNpy } from '../../src/io/npy.js';
import { BIN, FIXTURES, ROOT, tempDir } from '../helpers.js';
import { blackPng, withDeclaredSize } from '../fuzz/craft.js';

const CAT = path.join(FIXTURES, 'images', 'chelsea.png');
const SEED = path.join(ROOT, 'examples', 'seed-convnet.json');
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function dir(): string {
  const d = tempDir('cnnx-limits-');
  made.push(d);
  return d;
}

interface Run {
  readonly code: number | null;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/**
 * Runs the CLI with stdin from `stdin` (bytes, or a file opened as fd 0) and TMPDIR set to a fresh
 * folder, so leftover temp files are seen; a run over `timeoutMs` is killed and reported.
 */
function run(args: readonly string[], options: { stdin?: Uint8Array | string; env?: NodeJS.ProcessEnv; timeoutMs?: number; tmp?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const stdinFd = typeof options.stdin === 'string' ? openSync(options.stdin, 'r') : null;
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, CI: 'true', TMPDIR: options.tmp ?? dir(), ...options.env },
      stdio: [stdinFd ?? 'pipe', 'pipe', 'pipe'],
    });
    if (stdinFd !== null) closeSync(stdinFd);
    const err: Buffer[] = [];
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.stdout.resume();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
    if (child.stdin) {
      child.stdin.on('error', () => {});
      child.stdin.end(options.stdin instanceof Uint8Array ? options.stdin : undefined);
    }
  });
}

/** The invariants of every refused run: in time, the exit code, one `cnnx:` line with `message`, no stack, nothing written. */
function expectRefused(result: Run, code: number, message: string | RegExp, outDir?: string): void {
  expect(result.timedOut).toBe(false);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^cnnx: /);
  if (typeof message === 'string') expect(lines[0]).toContain(message);
  else expect(lines[0]).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at |internal error/);
  expect(result.code).toBe(code);
  if (outDir) expect(readdirSync(outDir)).toEqual([]);
}

function writeSpec(where: string, layers: unknown[], input: Record<string, unknown> = { channels: 3 }): string {
  const file = path.join(where, 'net.json');
  writeFileSync(file, JSON.stringify({ input, layers }));
  return file;
}

const conv = (extra: Record<string, unknown>) => ({ type: 'conv2d', out_channels: 2, kernel_size: 3, weight: { random: { seed: 1 } }, ...extra });

describe('the pixel limit applies to every image before it is decoded', () => {
  test('a 1-bit PNG of 30000x30000 (~110 KB) is refused at the default limit: no temp file, nothing written', async () => {
    const d = dir();
    const bomb = path.join(d, 'bomb.png');
    writeFileSync(bomb, await blackPng(30000, 30000));
    for (const extra of [[], ['--band-rows', '8']]) {
      const out = dir();
      const tmp = dir();
      const result = await run(['apply', SEED, bomb, '-o', path.join(out, 'x.npy'), ...extra], { tmp });
      expectRefused(result, 1, `${bomb}: is 30000x30000 (900,000,000 pixels), over the pixel limit of 268,402,689 (--max-pixels)`, out);
      expect(readdirSync(tmp)).toEqual([]);
    }
  }, 120_000);

  test('a PNG header that declares 100000x100000 is refused the same way, in a folder run too (exit 1)', async () => {
    const d = dir();
    mkdirSync(path.join(d, 'in'));
    writeFileSync(path.join(d, 'in', 'huge.png'), withDeclaredSize(await blackPng(8, 8), 100000, 100000));
    const out = path.join(d, 'out');
    const result = await run(['apply', SEED, path.join(d, 'in'), '-o', `${out}/`, '-q']);
    expectRefused(result, 1, 'huge.png: is 100000x100000 (10,000,000,000 pixels), over the pixel limit');
  });

  test('an empty file as an image is a decode error of that input (exit 1)', async () => {
    const d = dir();
    writeFileSync(path.join(d, 'empty.png'), new Uint8Array());
    expectRefused(await run(['apply', SEED, path.join(d, 'empty.png'), '-o', path.join(d, 'x.npy')]), 1, 'empty.png: cannot decode image: Input Buffer is empty');
  });

  test('--max-pixels lowers the limit, for .npy inputs too', async () => {
    const out = dir();
    const d = dir();
    writeFileSync(path.join(d, 'x.npy'), encodeNpy([3, 40, 30], new Float32Array(3600)));
    expectRefused(await run(['apply', SEED, path.join(d, 'x.npy'), '-o', path.join(out, 'x.npy'), '--max-pixels', '1000']), 1, 'x.npy: is 30x40 (1,200 pixels), over the pixel limit of 1,000 (--max-pixels)', out);
    expectRefused(await run(['apply', SEED, CAT, '-o', path.join(out, 'x.npy'), '--max-pixels', '1000']), 1, 'is 451x300 (135,300 pixels), over the pixel limit of 1,000 (--max-pixels)', out);
  });

  test('an input.resize target larger than the limit for every image is a spec error (exit 2)', async () => {
    const d = dir();
    const spec = writeSpec(d, [{ type: 'relu' }], { channels: 3, resize: { shorter_side: 65536 } });
    const out = dir();
    expectRefused(await run(['apply', spec, CAT, '-o', path.join(out, 'x.npy')]), 2, `${spec}: input.resize: resizes every image to at least 65536x65536 (4,294,967,296 pixels), over the pixel limit of 268,402,689 (--max-pixels)`, out);
    const box = writeSpec(d, [{ type: 'relu' }], { channels: 3, resize: { width: 100000, height: 100000, fit: 'fill' } });
    expectRefused(await run(['apply', box, CAT, '-o', path.join(out, 'x.npy')]), 2, 'resizes every image to at least 100000x100000', out);
  });

  test('an input.resize target larger than the limit for this image fails the image (exit 1)', async () => {
    const d = dir();
    const spec = writeSpec(d, [{ type: 'relu' }], { channels: 3, resize: { shorter_side: 16000 } });
    const out = dir();
    expectRefused(await run(['apply', spec, CAT, '-o', path.join(out, 'x.npy')]), 1, `${CAT}: input.resize makes it 24053x16000 (384,848,000 pixels), over the pixel limit`, out);
  });
});

describe('bytes read are capped; FIFOs and devices are refused, never waited on', () => {
  test('a weight that is /dev/zero or /dev/urandom (npy or safetensors)', async () => {
    const d = dir();
    for (const weight of [{ npy: '/dev/zero' }, { npy: '/dev/urandom' }, { safetensors: '/dev/zero', tensor: 'w' }]) {
      const spec = writeSpec(d, [conv({ weight })]);
      const device = Object.values(weight)[0];
      expectRefused(await run(['apply', spec, CAT, '-o', path.join(d, 'x.npy')]), 2, `${spec}: layers[0] (conv2d).weight: ${device}: is a device, not a regular file`);
    }
  });

  test('a FIFO as a weight, a spec or an input', async () => {
    const d = dir();
    const fifo = path.join(d, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const out = dir();
    const spec = writeSpec(d, [conv({ weight: { npy: 'fifo' } })]);
    expectRefused(await run(['apply', spec, CAT, '-o', path.join(out, 'x.npy')]), 2, `weight: fifo (resolved to ${fifo}): is a FIFO (named pipe), not a regular file`, out);
    expectRefused(await run(['apply', fifo, CAT, '-o', path.join(out, 'x.npy')]), 2, `${fifo}: is a FIFO (named pipe), not a regular file`, out);
    expectRefused(await run(['apply', SEED, fifo, '-o', path.join(out, 'x.npy')]), 1, `${fifo}: is a FIFO (named pipe), not a regular file`, out);
  });

  test('stdin from /dev/zero is refused at once; an endless pipe stops at the read limit', async () => {
    const out = dir();
    expectRefused(await run(['apply', SEED, '-', '-o', path.join(out, 'x.npy')], { stdin: '/dev/zero' }), 1, '-: stdin is a device (such as /dev/zero), not a file or a pipe', out);
    const result = await run(['apply', SEED, '-', '-o', path.join(out, 'x.npy')], { stdin: new Uint8Array(3 * 2 ** 20), env: { CNNX_MAX_READ_BYTES: '1M' } });
    expectRefused(result, 1, '-: is more than 1 MiB, over the read limit of 1 MiB (raise it with CNNX_MAX_READ_BYTES', out);
  });

  test('CNNX_MAX_READ_BYTES caps weight files and inputs, and must parse', async () => {
    const d = dir();
    writeFileSync(path.join(d, 'w.npy'), encodeNpy([2, 3, 3, 3], new Float32Array(54)));
    const spec = writeSpec(d, [conv({ weight: { npy: 'w.npy' } })]);
    const out = dir();
    expectRefused(await run(['apply', spec, CAT, '-o', path.join(out, 'x.npy')], { env: { CNNX_MAX_READ_BYTES: '200' } }), 2, 'w.npy): is 344 B, over the read limit of 200 B', out);
    expectRefused(await run(['apply', SEED, CAT, '-o', path.join(out, 'x.npy')], { env: { CNNX_MAX_READ_BYTES: '100K' } }), 1, `${CAT}: is 234.9 KiB, over the read limit of 100 KiB`, out);
    expectRefused(await run(['apply', SEED, CAT, '-o', path.join(out, 'x.npy')], { env: { CNNX_MAX_READ_BYTES: 'lots' } }), 2, 'CNNX_MAX_READ_BYTES "lots": expected a size such as 512M', out);
  });

  test('a NUL byte in a weight path: one cnnx line with the path escaped, not Node\'s message', async () => {
    const d = dir();
    const spec = writeSpec(d, [conv({ weight: { npy: 'a\u0000b.npy' } })]);
    const result = await run(['apply', spec, CAT, '-o', path.join(d, 'x.npy')]);
    expectRefused(result, 2, `${spec}: layers[0] (conv2d).weight: "a\\u0000b.npy" (resolved to`);
    expect(result.stderr).toContain('no such file (the path holds a NUL byte)');
    expect(result.stderr).not.toContain('\u0000');
  });
});

describe('JSON nesting is limited (exit 2), never a stack overflow', () => {
  test('a spec of sequentials nested 5,000 deep, and a weight array nested 3,000 deep', async () => {
    const d = dir();
    const spec = path.join(d, 'deep.json');
    const open = '{"type": "sequential", "layers": ['.repeat(5000);
    writeFileSync(spec, `{"input": {"channels": 3}, "layers": [${open}{"type": "relu"}${']}'.repeat(5000)}]}`);
    expectRefused(await run(['apply', spec, CAT, '-o', path.join(d, 'x.npy')]), 2, `${spec}:1:`);
    expectRefused(await run(['inspect', spec]), 2, 'JSON nested more than 256 deep');
    const arrays = path.join(d, 'arrays.json');
    writeFileSync(arrays, `{"input": {"channels": 3}, "layers": [{"type": "conv2d", "out_channels": 1, "kernel_size": 1, "weight": ${'['.repeat(3000)}1${']'.repeat(3000)}}]}`);
    expectRefused(await run(['apply', arrays, CAT, '-o', path.join(d, 'x.npy')]), 2, 'JSON nested more than 256 deep');
  });

  test('a safetensors header nested 100,000 deep, and a .npy header of nested tuples', async () => {
    const d = dir();
    const text = `{"w": ${'['.repeat(100000)}${']'.repeat(100000)}}`;
    const st = Buffer.alloc(8 + text.length);
    st.writeBigUInt64LE(BigInt(text.length));
    st.write(text, 8, 'latin1');
    writeFileSync(path.join(d, 'deep.safetensors'), st);
    const spec = writeSpec(d, [conv({ weight: { safetensors: 'deep.safetensors', tensor: 'w' } })]);
    expectRefused(await run(['apply', spec, CAT, '-o', path.join(d, 'x.npy')]), 2, 'not a valid safetensors file: header JSON is nested more than 64 deep');
    const header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${'('.repeat(50000)}${')'.repeat(50000)}, }`;
    const npy = Buffer.concat([Buffer.from('\x93NUMPY\x02\x00', 'latin1'), Buffer.alloc(4), Buffer.from(header, 'latin1')]);
    npy.writeUInt32LE(header.length, 8);
    writeFileSync(path.join(d, 'deep.npy'), npy);
    const npySpec = writeSpec(d, [conv({ weight: { npy: 'deep.npy' } })]);
    expectRefused(await run(['apply', npySpec, CAT, '-o', path.join(d, 'x.npy')]), 2, 'not a valid .npy file: header nests more than 16 deep');
  });
});

describe('spec values are checked against what can be allocated before any work (exit 2)', () => {
  test.each([
    ['padding 1e308', conv({ padding: 1e308 }), 'layers[0] (conv2d).padding: expected an integer >= 0, [h, w], [top, bottom, left, right], "same" or "valid", got 1e+308'],
    ['stride 1e300', conv({ stride: 1e300 }), 'layers[0] (conv2d).stride: expected an integer or [h, w] of integers >= 1, got 1e+300'],
    ['padding 100000', conv({ padding: 100000 }), /feature map of 2 x 199999 x 199999 .* for a 1x1 input/],
    ['padding 1e9', conv({ padding: 1e9 }), /feature map of 2 x 1999999999 x 1999999999/],
    ['out_channels 1e9', conv({ out_channels: 1e9 }), /weight: \[1000000000, 3, 3, 3\] is 27,000,000,000 values .* over the limit of 268,435,456/],
    ['kernel_size 1e5', conv({ kernel_size: 100000 }), /weight: \[2, 3, 100000, 100000\] is 60,000,000,000 values/],
    ['maxpool padding 1e9', { type: 'maxpool2d', kernel_size: 3, padding: 1e9 }, /padding/],
    ['adaptive pool output 1e6', { type: 'adaptive_avgpool2d', output_size: 1000000 }, /feature map of 3 x 1000000 x 1000000/],
  ])('%s', async (_name, layer, message) => {
    const d = dir();
    const spec = writeSpec(d, [layer]);
    const out = dir();
    expectRefused(await run(['apply', spec, CAT, '-o', path.join(out, 'x.npy')], { timeoutMs: 20_000 }), 2, message, out);
  });

  test('--threads over what the engine runs', async () => {
    const out = dir();
    expectRefused(await run(['apply', SEED, CAT, '-o', path.join(out, 'x.npy'), '--threads', '1000']), 2, '--threads 1000: expected an integer from 1 to 256', out);
  });
});

describe('input.resize and .npy inputs', () => {
  test('a .npy input of a spec that resizes: a note says resize does not apply to arrays, and it runs', async () => {
    const d = dir();
    const spec = writeSpec(d, [{ type: 'relu' }], { channels: 3, resize: { width: 8, height: 8, fit: 'fill' } });
    const input = path.join(d, 'x.npy');
    writeFileSync(input, encodeNpy([3, 5, 6], new Float32Array(90)));
    const result = await run(['apply', spec, input, '-o', path.join(d, 'y.npy')]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`cnnx: note: ${input} is a .npy: input.resize does not apply to arrays`);
    const quiet = await run(['apply', spec, input, '-o', path.join(d, 'y.npy'), '-q']);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
  });
});
