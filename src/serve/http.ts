// The HTTP side of `cnnx serve`: a fixed set of routes over a Session; nothing in a request names a file.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { servePage } from './page.js';
import { ShownError, type Session, type SessionState } from './session.js';

export interface HttpOptions {
  /** Largest upload in bytes. */
  readonly maxUpload: number;
  /** The address the server binds: its Host header names are accepted besides loopback's. */
  readonly host: string;
}

/** Largest JSON body (a spec, a control change). */
const MAX_JSON = 4 * 1024 * 1024;
const HEARTBEAT_MS = 15_000;
const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** An address that listens on every interface (`0.0.0.0`, `::`). */
export function isWildcard(host: string): boolean {
  return WILDCARDS.has(host);
}

/** An HTTP status with a one-line message for the page. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const COMMON_HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };
const PAGE_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'";
/** The report is one self-contained page: its inline script and style, its photo as a data: URL, nothing fetched. */
const REPORT_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/** The server, not yet listening; POST requests must carry the page's token (another site's page cannot read it). */
export function createServeServer(session: Session, options: HttpOptions): { server: Server; token: string } {
  const token = randomBytes(16).toString('hex');
  const events = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : error instanceof ShownError ? 422 : 500;
      const message = status !== 500 ? (error as Error).message : `internal error: ${(error as Error)?.message ?? String(error)}`;
      if (!res.headersSent) send(res, status, 'application/json', JSON.stringify({ error: message }));
      else res.destroy();
    });
  });
  const unsubscribe = session.subscribe((state) => {
    const data = `data: ${JSON.stringify(state)}\n\n`;
    for (const res of events) res.write(data);
  });
  const heartbeat = setInterval(() => {
    for (const res of events) res.write(': alive\n\n');
  }, HEARTBEAT_MS).unref();
  server.on('close', () => {
    unsubscribe();
    clearInterval(heartbeat);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req.headers.host, server, options.host)) throw new HttpError(421, 'unexpected Host header (cnnx serve answers only to the address it printed)');
    if (req.method !== 'GET' && req.method !== 'POST') {
      res.setHeader('Allow', 'GET, POST');
      throw new HttpError(405, `${req.method} is not allowed`);
    }
    const url = new URL(req.url ?? '/', 'http://cnnx.invalid');
    const route = `${req.method} ${url.pathname}`;
    if (req.method === 'GET') {
      if (route === 'GET /') return send(res, 200, 'text/html; charset=utf-8', servePage(token, options.maxUpload), { 'Content-Security-Policy': PAGE_CSP });
      if (route === 'GET /state') return sendState(res, session.state());
      if (route === 'GET /events') return openEvents(res);
      const report = /^\/report\/(\d+)\/index\.html$/.exec(url.pathname);
      const html = report ? session.reportPage(Number(report[1])) : null;
      if (html) return send(res, 200, 'text/html; charset=utf-8', html, { 'Content-Security-Policy': REPORT_CSP });
      throw new HttpError(404, `${url.pathname}: not found`);
    }
    if (req.headers['x-cnnx-token'] !== token) throw new HttpError(403, 'missing or wrong token: POST from the cnnx page only');
    switch (url.pathname) {
      case '/spec':
        return sendState(res, await session.setSpecText((await readBody(req, MAX_JSON)).toString('utf8')));
      case '/conv': {
        const body = jsonBody(await readBody(req, MAX_JSON));
        return sendState(res, await session.setConv(keyPath(body.path), String(body.field), String(body.value)));
      }
      case '/select':
        return sendState(res, await session.selectImage(Number(jsonBody(await readBody(req, MAX_JSON)).image)));
      case '/upload': {
        const bytes = await readBody(req, options.maxUpload);
        if (bytes.length === 0) throw new HttpError(400, 'empty upload');
        return sendState(res, await session.addUpload(uploadName(req.headers['x-cnnx-name']), bytes));
      }
      case '/save':
        return sendState(res, await session.save());
      case '/compare': {
        const body = jsonBody(await readBody(req, MAX_JSON));
        const modes = Array.isArray(body.modes) && body.modes.length === 2 ? [String(body.modes[0]), String(body.modes[1])] as const : null;
        if (!modes) throw new HttpError(400, 'modes: expected two padding modes');
        const result = await session.comparePadding(keyPath(body.path), modes);
        const png = (b: Uint8Array | null) => (b ? `data:image/png;base64,${Buffer.from(b).toString('base64')}` : null);
        return send(res, 200, 'application/json', JSON.stringify({ ...result, pictures: result.pictures.map(png), difference: png(result.difference) }));
      }
      default:
        throw new HttpError(404, `${url.pathname}: not found`);
    }
  }

  function openEvents(res: ServerResponse): void {
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
    res.write(`data: ${JSON.stringify(session.state())}\n\n`);
    events.add(res);
    res.on('close', () => events.delete(res));
  }

  return { server, token };
}

/** 200 with the state, or 422 when it carries an error (the page shows it either way). */
function sendState(res: ServerResponse, state: SessionState): void {
  send(res, state.error ? 422 : 200, 'application/json', JSON.stringify(state));
}

function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...COMMON_HEADERS, ...headers, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * The Host header must name this server by a loopback name or the --host address: a page on another
 * site whose name is made to resolve to 127.0.0.1 (DNS rebinding) sends its own name and is refused.
 */
export function hostAllowed(header: string | undefined, server: Server, host: string): boolean {
  if (isWildcard(host)) return true;
  const address = server.address();
  if (header === undefined || address === null || typeof address === 'string') return false;
  const port = address.port;
  const names = ['127.0.0.1', 'localhost', '[::1]', host.includes(':') ? `[${host}]` : host];
  const given = header.toLowerCase();
  // On port 80 a browser sends the bare name (the default port is left out of Host).
  return names.some((name) => given === `${name}:${port}`.toLowerCase() || (port === 80 && given === name.toLowerCase()));
}

/** The body, refused with 413 past `limit` bytes (checked as it arrives, not only by Content-Length). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new HttpError(413, `upload of ${declared} bytes is over the limit of ${limit} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit the rest is read and dropped, so the 413 reaches the client; far past it, the connection is cut.
      if (size <= limit) chunks.push(chunk);
      else if (size > 4 * limit) req.destroy();
    });
    req.on('end', () => (size > limit ? reject(new HttpError(413, `upload over the limit of ${limit} bytes`)) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function jsonBody(bytes: Buffer): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Falls through to the error below.
  }
  throw new HttpError(400, 'expected a JSON object');
}

function keyPath(value: unknown): (string | number)[] {
  if (Array.isArray(value) && value.every((k) => typeof k === 'string' || (Number.isInteger(k) && k >= 0))) return value as (string | number)[];
  throw new HttpError(400, 'path: expected a list of keys');
}

/** The uploaded file's name, for display only: one short line. */
function uploadName(header: string | string[] | undefined): string {
  let name = typeof header === 'string' ? header : 'photo';
  try {
    name = decodeURIComponent(name);
  } catch {
    // Shown as sent.
  }
  return name.replace(/[\x00-\x1f\x7f]/g, '').slice(-80) || 'photo';
}
