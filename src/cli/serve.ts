// `cnnx serve NET [IMAGE...]`: a local page with the report of NET on the images, following edits to the spec, until Ctrl-C.
import { createRequire } from 'node:module';
import { stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createEnginePool } from '../batch/engine-pool.js';
import { CnnxError, EXIT } from '../errors.js';
import { exitCodeFor } from '../batch/signals.js';
import { readFailure } from '../io/read-file.js';
import { createServeServer, isWildcard } from '../serve/http.js';
import { Session } from '../serve/session.js';
import { watchFile } from '../serve/watch.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export interface ServeOptions {
  readonly port: number;
  readonly host: string;
  readonly maxPixels: number;
  readonly maxUpload: number;
  readonly threads?: number;
}

export interface RunningServer {
  readonly url: string;
  /** Listening on more than loopback: other machines may reach it. */
  readonly exposed: boolean;
  /** Settles when the first report is made (or its error is shown). */
  readonly ready: Promise<unknown>;
  /** Stops serving: connections closed, engines and watcher released. */
  close(): Promise<void>;
}

/** Starts serving (the command's work, also used by tests); resolves once listening, before the first render. */
export async function startServe(specFile: string, images: readonly string[], options: ServeOptions, log: (line: string) => void): Promise<RunningServer> {
  for (const [file, what] of [[specFile, 'spec'], ...images.map((i) => [i, 'image'])] as const) {
    const info = await stat(file).catch((error: unknown) => {
      throw new CnnxError(what === 'spec' ? 'spec.read' : 'usage.serve', `${file}: ${readFailure(error).reason}`);
    });
    if (!info.isFile()) throw new CnnxError(what === 'spec' ? 'spec.read' : 'usage.serve', `${file}: not a file (cnnx serve shows the images named on the command line or uploaded in the page)`);
  }
  const engines = await createEnginePool('fast', { threads: options.threads, images: 1, cores: 1 });
  const session = new Session({ specFile, images, settings: { engines, maxPixels: options.maxPixels, version, picture: { scale: 'channel' } }, log });
  const watcher = watchFile(specFile, () => void session.loadFile());
  const { server } = createServeServer(session, { maxUpload: options.maxUpload, host: options.host });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  }).catch(async (error: NodeJS.ErrnoException) => {
    watcher.close();
    await engines.close();
    throw new CnnxError('usage.serve', `cannot listen on ${options.host}:${options.port}: ${error.code ?? error.message}`);
  });
  const { port } = server.address() as AddressInfo;
  // A wildcard address is not one to browse to: this machine reaches it as 127.0.0.1.
  const browsable = isWildcard(options.host) ? '127.0.0.1' : options.host;
  const shownHost = browsable.includes(':') ? `[${browsable}]` : browsable;
  return {
    url: `http://${shownHost}:${port}/`,
    exposed: !LOOPBACK.has(options.host),
    // Listening first: the page opens at once and shows the first render when it comes.
    ready: session.loadFile(),
    async close() {
      session.close();
      watcher.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await engines.close();
    },
  };
}

/** The command: prints the URL, serves until SIGINT or SIGTERM, returns 130 or 143. */
export async function serveCommand(specFile: string, images: readonly string[], options: ServeOptions): Promise<number> {
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const running = await startServe(specFile, images, options, log);
  process.stdout.write(`cnnx: serving ${running.url}${running.exposed ? ` (listening on ${options.host}: other machines can reach it)` : ''}\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  log(`cnnx: ${signal}: stopped serving`);
  await running.close();
  return signal ? exitCodeFor(signal) : EXIT.ok;
}
