// Starting `cnnx serve` as a child process on a free port, and talking to it as its page does.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import sharp from 'sharp';
import { BIN, FIXTURES, ROOT, tempDir } from '../helpers.js';

export interface ServeChild {
  readonly url: string;
  readonly child: ChildProcess;
  /** The folder holding the spec (and the child's TMPDIR under it). */
  readonly dir: string;
  readonly spec: string;
  readonly tmp: string;
  /** stderr so far. */
  stderr(): string;
  /** Resolves once stderr holds `text` (the terminal line may come after the HTTP reply); rejects after a minute. */
  printed(text: string): Promise<void>;
  /** The page's POST token. */
  token(): Promise<string>;
  /** Sends SIGINT and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** A copy of the seed network in a fresh folder, and a small photo beside it. */
export async function seedFolder(width = 90, height = 60): Promise<{ dir: string; spec: string; photo: string }> {
  const dir = tempDir('cnnx-serve-test-');
  const spec = path.join(dir, 'net.json');
  copyFileSync(path.join(ROOT, 'examples', 'seed-convnet.json'), spec);
  const photo = path.join(dir, 'cat.png');
  await sharp(path.join(FIXTURES, 'images', 'chelsea.png')).resize(width, height).png().toFile(photo);
  return { dir, spec, photo };
}

/** Runs `cnnx serve SPEC ARGS...` with its own TMPDIR; resolves once it prints its URL. */
export function startServe(dir: string, spec: string, args: readonly string[]): Promise<ServeChild> {
  const tmp = path.join(dir, 'tmp');
  mkdirSync(tmp, { recursive: true });
  // The spec as a user names it, from its folder: messages say net.json.
  const child = spawn(process.execPath, [BIN, 'serve', path.relative(dir, spec), ...args], { cwd: dir, env: { ...process.env, CI: 'true', TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`cnnx serve exited with ${code} before serving: ${err}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /cnnx: serving (http:\/\/\S+)\n/.exec(out);
      if (!m) return;
      const url = m[1];
      let token: Promise<string> | null = null;
      resolve({
        url, child, dir, spec, tmp,
        stderr: () => err,
        printed: async (text) => {
          const until = Date.now() + 60_000;
          while (!err.includes(text)) {
            if (Date.now() > until) throw new Error(`stderr never printed ${JSON.stringify(text)}; it has: ${err}`);
            await new Promise((r) => setTimeout(r, 50));
          }
        },
        token: () => (token ??= get(url).then((r) => /name="cnnx-token" content="([0-9a-f]+)"/.exec(r.body.toString())![1])),
        stop: (signal = 'SIGINT') => {
          child.kill(signal);
          return exited;
        },
      });
    });
  });
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** One HTTP request; `path` is sent exactly as given (no normalising of `..`). */
export function send(url: string, method: string, rawPath: string, options: { body?: Uint8Array | string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const base = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, method, path: rawPath, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export const get = (url: string, rawPath = '/'): Promise<Reply> => send(url, 'GET', rawPath);

/** A POST as the page makes it: with the token. */
export async function post(server: ServeChild, rawPath: string, body: Uint8Array | string | object, headers: Record<string, string> = {}): Promise<Reply> {
  const data = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  return send(server.url, 'POST', rawPath, { body: data, headers: { 'x-cnnx-token': await server.token(), ...headers } });
}

/** The state as GET /state gives it. */
export async function state(server: ServeChild): Promise<any> {
  return JSON.parse((await get(server.url, '/state')).body.toString());
}

/** Polls GET /state until `done` holds (renders take a moment on a busy machine). */
export async function waitForState(server: ServeChild, done: (s: any) => boolean, what: string): Promise<any> {
  const until = Date.now() + 60_000;
  for (;;) {
    const s = await state(server);
    if (done(s)) return s;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; state: ${JSON.stringify({ ...s, spec: undefined })}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
