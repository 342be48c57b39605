// `cnnx serve` over HTTP: the page and the report, uploads, spec edits from the page and from an editor, conv controls, padding comparison, refusals, Ctrl-C.
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encodeNpy } from '../../src/io/npy.js';
import { runCli } from '../helpers.js';
import { get, post, seedFolder, send, startServe, state, waitForState, type ServeChild } from './serve-helpers.js';

/** What a report page draws from: the JSON in its `<script id="cnnx-data">` (ReportData, in part). */
function reportData(html: string): { input: { height: number; width: number }; figures: { label: string; shape: number[] }[] } {
  const m = /<script type="application\/json" id="cnnx-data">([^<]*)<\/script>/.exec(html);
  if (!m) throw new Error('no cnnx-data block in the report');
  return JSON.parse(m[1]);
}

/** The report of generation `g` as the page's frame gets it. */
async function reportPage(server: ServeChild, g: number): Promise<string> {
  const r = await get(server.url, `/report/${g}/index.html`);
  expect(r.status).toBe(200);
  return r.body.toString();
}

/** The `cnnx inspect` row of layer `name` in the state's table: its output shape. */
function outputShape(s: { layers: string[] }, name: string): string {
  const row = s.layers.find((l) => l.split(/\s+/)[1] === name);
  if (!row) throw new Error(`no row for ${name} in\n${s.layers.join('\n')}`);
  return row.split(/\s+/)[3];
}

describe('cnnx serve', () => {
  let server: ServeChild;
  let photo: string;

  beforeAll(async () => {
    const folder = await seedFolder();
    photo = folder.photo;
    server = await startServe(folder.dir, folder.spec, [folder.photo, '--max-upload', '200000', '--threads', '1']);
    await waitForState(server, (s) => s.generation >= 1, 'the first render');
  }, 120_000);

  afterAll(async () => {
    if (server.child.exitCode === null) await server.stop();
  });

  test('binds loopback, serves the page and the report of every named layer as one self-contained page', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get(server.url);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body.toString()).toContain('<iframe id="report"');
    const s = await state(server);
    expect(s.images).toEqual([photo]);
    expect(s.error).toBeNull();
    expect(s.inputShape).toBe('3x60x90');
    const report = await get(server.url, `/report/${s.generation}/index.html`);
    expect(report.status).toBe(200);
    expect(report.headers['content-type']).toBe('text/html; charset=utf-8');
    // Nothing to fetch, and the page may fetch nothing.
    expect(report.headers['content-security-policy']).toMatch(/default-src 'none'/);
    const html = report.body.toString();
    expect([...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].filter((m) => !m[1].startsWith('data:'))).toEqual([]);
    // Every named layer of the spec, in spec order, at the photo's size.
    const named = JSON.parse(readFileSync(server.spec, 'utf8')).layers.map((l: { name: string }) => l.name);
    expect(named).toEqual(['conv1', 'relu1', 'pool1', 'conv2', 'relu2', 'pool2']);
    const data = reportData(html);
    expect(data.figures.map((f) => f.label)).toEqual(named);
    expect(data.figures.map((f) => f.shape.join('x'))).toEqual(['32x60x90', '32x60x90', '32x30x45', '64x30x45', '64x30x45', '64x15x22']);
    expect([data.input.width, data.input.height]).toEqual([90, 60]);
    for (const name of named) expect(html).toContain(`<h2>${name}<span class="shape">`);
    expect(html).toContain(`<dd>${path.basename(photo)}</dd>`);
  });

  test('an uploaded photo joins the list, is shown, and its report re-renders', async () => {
    const before = await state(server);
    const upload = await sharp({ create: { width: 40, height: 24, channels: 3, background: { r: 200, g: 40, b: 90 } } }).png().toBuffer();
    const reply = await post(server, '/upload', upload, { 'x-cnnx-name': encodeURIComponent('my photo.png') });
    expect(reply.status, reply.body.toString()).toBe(200);
    const s = JSON.parse(reply.body.toString());
    expect(s.generation).toBe(before.generation + 1);
    expect(s.images).toEqual([photo, 'upload 1: my photo.png']);
    expect(s.selected).toBe(1);
    expect(s.inputShape).toBe('3x24x40');
    expect(outputShape(s, 'pool2')).toBe('64x6x10');
    const data = reportData(await reportPage(server, s.generation));
    expect([data.input.width, data.input.height]).toEqual([40, 24]);
    expect(data.figures.at(-1)).toMatchObject({ label: 'pool2', shape: [64, 6, 10] });
    // Back to the first image, by index.
    const back = JSON.parse((await post(server, '/select', { image: 0 })).body.toString());
    expect([back.selected, back.inputShape]).toEqual([0, '3x60x90']);
  });

  test('uploads over the size limit are refused with 413, bytes that are no image show their error; the server goes on', async () => {
    const big = await post(server, '/upload', new Uint8Array(300_000));
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body.toString()).error).toMatch(/over the limit of 200000 bytes/);
    const junk = await post(server, '/upload', 'not an image at all', { 'x-cnnx-name': 'junk.png' });
    expect(junk.status).toBe(422);
    const s = JSON.parse(junk.body.toString());
    expect(s.error).toMatch(/junk\.png/);
    expect(s.error).not.toMatch(/\n/);
    await server.printed(`cnnx: ${s.error}\n`);
    // It does not stay in the list: the image shown is the one before.
    expect(s.images).toEqual([photo, 'upload 1: my photo.png']);
    expect(s.selected).toBe(0);
    const ok = await post(server, '/select', { image: 0 });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body.toString()).error).toBeNull();
  });

  test('a bad spec from the page shows its one-line error, keeps the last report, and the server goes on', async () => {
    const before = await state(server);
    const onDisk = readFileSync(server.spec, 'utf8');
    const reply = await post(server, '/spec', '{"input": {"channels": 3}, "layers": [{"type": "conv2d", "kernel_size": 3}]}');
    expect(reply.status).toBe(422);
    const s = JSON.parse(reply.body.toString());
    expect(s.error).toMatch(/net\.json: layers\[0\] \(conv2d\)/);
    expect(s.error).toMatch(/out_channels/);
    expect(s.error).not.toMatch(/\n/);
    await server.printed(`cnnx: ${s.error}\n`);
    expect(s.generation).toBe(before.generation);
    expect(reportData(await reportPage(server, s.generation)).input.width).toBe(90);
    const syntax = JSON.parse((await post(server, '/spec', '{"input": ')).body.toString());
    expect(syntax.error).toMatch(/net\.json:1:\d+: invalid JSON/);
    // Nothing is saved while the page's spec has an error.
    const save = await post(server, '/save', '');
    expect(save.status).toBe(422);
    expect(readFileSync(server.spec, 'utf8')).toBe(onDisk);
    expect((await get(server.url)).status).toBe(200);
  });

  test('a conv control changes the spec in the page: shapes and maps follow, the file is untouched until saved', async () => {
    const onDisk = readFileSync(server.spec, 'utf8');
    await post(server, '/spec', onDisk);
    const s0 = await state(server);
    expect(s0.convs.map((c: { label: string }) => c.label)).toEqual(['conv1', 'conv2']);
    const conv1 = s0.convs[0];
    expect(conv1.values).toEqual({ kernel_size: 3, stride: 1, padding: 1, dilation: 1, padding_mode: 'zeros' });
    expect(conv1.path).toEqual(['layers', 0]);
    const reply = await post(server, '/conv', { path: conv1.path, field: 'stride', value: '2' });
    expect(reply.status, reply.body.toString()).toBe(200);
    const s = JSON.parse(reply.body.toString());
    // (60 + 2*1 - 3)/2 + 1 = 30, (90 + 2 - 3)/2 + 1 = 45
    expect(outputShape(s, 'conv1')).toBe('32x30x45');
    expect(s.generation).toBe(s0.generation + 1);
    expect(JSON.parse(s.spec.text).layers[0].stride).toBe(2);
    expect(s.spec.source).toBe('page');
    expect(s.spec.saved).toBe(false);
    expect(readFileSync(server.spec, 'utf8')).toBe(onDisk);
    const html = await reportPage(server, s.generation);
    expect(html).toContain('<h2>conv1<span class="shape">32x30x45</span>');
    expect(reportData(html).figures[0].shape).toEqual([32, 30, 45]);
    // A control value the spec refuses shows the spec's own message.
    const bad = JSON.parse((await post(server, '/conv', { path: conv1.path, field: 'dilation', value: '0' })).body.toString());
    expect(bad.error).toBe('net.json: layers[0] (conv2d "conv1").dilation: expected an integer or [h, w] of integers >= 1, got 0');
    const badText = JSON.parse((await post(server, '/conv', { path: conv1.path, field: 'padding', value: 'lots' })).body.toString());
    expect(badText.error).toMatch(/padding: expected N, H,W, T,B,L,R, same or valid, got "lots"/);
    await post(server, '/conv', { path: conv1.path, field: 'dilation', value: '1' });
    // Save writes the page's spec to the file.
    const saved = JSON.parse((await post(server, '/save', '')).body.toString());
    expect(saved.spec.saved).toBe(true);
    expect(JSON.parse(readFileSync(server.spec, 'utf8')).layers[0].stride).toBe(2);
  });

  test('two padding modes of a conv side by side: only border cells differ', async () => {
    const s = await state(server);
    const conv1 = s.convs[0];
    const reply = await post(server, '/compare', { path: conv1.path, modes: ['zeros', 'reflect'] });
    expect(reply.status, reply.body.toString()).toBe(200);
    const c = JSON.parse(reply.body.toString());
    expect(c.label).toBe('conv1');
    expect(c.pictures).toHaveLength(2);
    for (const src of [...c.pictures, c.difference]) {
      expect(src).toMatch(/^data:image\/png;base64,/);
      await sharp(Buffer.from(src.split(',')[1], 'base64')).metadata();
    }
    // Stride 2 over 60x90 with padding 1: rows 0 and columns 0 read the padding (the far side does not: (59 + 1 - 3) % 2).
    expect(c.cells).toBe(32 * 30 * 45);
    expect(c.differing).toBeGreaterThan(0);
    expect(c.differing).toBeLessThanOrEqual(32 * (30 + 45 - 1));
    const same = JSON.parse((await post(server, '/compare', { path: conv1.path, modes: ['zeros', 'zeros'] })).body.toString());
    expect(same.differing).toBe(0);
  });

  test('the page follows the spec file when an editor saves it, in place or by renaming a new file over it', async () => {
    const events = await openEvents(server.url);
    try {
      const spec = JSON.parse(readFileSync(server.spec, 'utf8'));
      spec.layers[0].out_channels = 8;
      writeFileSync(server.spec, JSON.stringify(spec, null, 2));
      const s1 = await events.until((s) => !s.busy && s.spec.text.includes('"out_channels": 8'), 'the in-place edit');
      expect(outputShape(s1, 'conv1')).toBe('8x30x45');
      expect(s1.spec.source).toBe('file');
      spec.layers[0].out_channels = 4;
      const tmp = path.join(server.dir, '.net.json.swp');
      writeFileSync(tmp, JSON.stringify(spec, null, 2));
      renameSync(tmp, server.spec);
      const s2 = await events.until((s) => !s.busy && s.spec.text.includes('"out_channels": 4'), 'the renamed-over edit');
      expect(outputShape(s2, 'conv1')).toBe('4x30x45');
      expect(s2.generation).toBeGreaterThan(s1.generation);
      expect(reportData(await reportPage(server, s2.generation)).figures[0].shape).toEqual([4, 30, 45]);
      // A broken save shows its error; the next good one clears it.
      writeFileSync(server.spec, '{"layers": [');
      const s3 = await events.until((s) => s.error !== null, 'the broken save');
      expect(s3.error).toMatch(/net\.json:1:\d+: invalid JSON/);
      writeFileSync(server.spec, JSON.stringify(spec, null, 2));
      await events.until((s) => s.error === null && !s.busy && s.generation > s2.generation, 'the repaired save');
    } finally {
      events.close();
    }
  });

  test('a spec from the page names no file the spec file does not name', async () => {
    const spec = JSON.parse(readFileSync(server.spec, 'utf8'));
    for (const file of ['/etc/passwd', '../../secret.npy', 'w.npy']) {
      spec.layers[0].weight = { npy: file };
      const s = JSON.parse((await post(server, '/spec', JSON.stringify(spec))).body.toString());
      expect(s.error).toContain(`layers[0].weight.npy: ${file}: a spec edited in the page may only name the files the spec file names`);
    }
  });

  test('requests for anything else are refused: paths, methods, hosts, posts without the token', async () => {
    for (const p of ['/../../etc/passwd', '/files?path=/etc/passwd', '/report/1/../../../../etc/passwd', '/report/1/..%2f..%2fetc%2fpasswd', '/report/999/index.html', '/report/1/layer-1.png', '/report/1/index.html/x', '/report/1/', `/report/1/${encodeURIComponent(server.spec)}`, '/net.json', '/cat.png', '//etc/passwd', '/%2e%2e/%2e%2e/etc/passwd']) {
      const r = await get(server.url, p);
      expect(r.status, p).toBe(404);
      expect(r.body.toString()).not.toContain('root:');
    }
    for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const r = await send(server.url, method, '/');
      expect(r.status, method).toBe(405);
      expect(r.headers.allow).toBe('GET, POST');
    }
    const port = new URL(server.url).port;
    expect((await send(server.url, 'GET', '/', { headers: { host: `evil.example:${port}` } })).status).toBe(421);
    expect((await send(server.url, 'GET', '/state', { headers: { host: 'evil.example' } })).status).toBe(421);
    expect((await send(server.url, 'GET', '/', { headers: { host: `localhost:${port}` } })).status).toBe(200);
    expect((await send(server.url, 'POST', '/save', { body: '' })).status).toBe(403);
    expect((await send(server.url, 'POST', '/spec', { body: '{}', headers: { 'x-cnnx-token': 'guess' } })).status).toBe(403);
    expect((await post(server, '/select', { image: 99 })).status).toBe(422);
    expect((await post(server, '/nothing', {})).status).toBe(404);
    expect((await post(server, '/conv', { path: '../etc', field: 'stride', value: '1' })).status).toBe(400);
  });

  test('Ctrl-C stops it with exit 130, leaving no temp files', async () => {
    const code = await server.stop('SIGINT');
    expect(code).toBe(130);
    expect(server.stderr()).toContain('cnnx: SIGINT: stopped serving');
    expect(readdirSync(server.tmp)).toEqual([]);
  });
});

describe('cnnx serve refuses to start', () => {
  test('without a readable spec file or with an image that is not a file: one line, exit 2', async () => {
    const folder = await seedFolder();
    const missing = await runCli(['serve', path.join(folder.dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^cnnx: .*nope\.json: no such file\n$/);
    const dir = await runCli(['serve', folder.spec, folder.dir]);
    expect(dir.code).toBe(2);
    expect(dir.stderr).toMatch(/^cnnx: .*: not a file/);
    const port = await runCli(['serve', folder.spec, '--port', '70000']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port 70000: expected a port number');
  });

  test('--help has runnable examples and no empty defaults', async () => {
    const r = await runCli(['serve', '--help']);
    expect(r.code).toBe(0);
    const help = r.stdout.toString();
    expect(help).toContain('Usage: cnnx serve [options] <net> [images...]');
    expect(help.match(/^ {2}cnnx serve /gm)?.length).toBeGreaterThanOrEqual(3);
    expect(help).not.toMatch(/\(default: (\[\]|false)\)/);
  });

  test('an image over --max-pixels shows the pixel limit error, and the server goes on', async () => {
    const folder = await seedFolder();
    const server = await startServe(folder.dir, folder.spec, [folder.photo, '--max-pixels', '1000']);
    try {
      const s = await waitForState(server, (x) => x.error !== null, 'the error');
      expect(s.error).toBe(`${folder.photo}: image is larger than the pixel limit (--max-pixels): Input image exceeds pixel limit`);
      const small = await sharp({ create: { width: 30, height: 20, channels: 3, background: '#808080' } }).png().toBuffer();
      const ok = JSON.parse((await post(server, '/upload', small)).body.toString());
      expect([ok.error, ok.inputShape]).toEqual([null, '3x20x30']);
    } finally {
      await server.stop();
    }
  });

  test('a spec with an error still serves, showing it', async () => {
    const folder = await seedFolder();
    writeFileSync(folder.spec, '{"input": {"channels": 3}, "layers": []}');
    const server = await startServe(folder.dir, folder.spec, [folder.photo]);
    try {
      const s = await waitForState(server, (x) => x.error !== null, 'the error');
      expect(s.error).toMatch(/net\.json: layers: expected a non-empty array of layers/);
      expect(s.generation).toBe(0);
      await server.printed(`cnnx: ${s.error}\n`);
      // Fixed from the page: a spec without files needs none.
      const fixed = JSON.parse((await post(server, '/spec', '{"input": {"channels": 3}, "layers": [{"type": "maxpool2d", "name": "p", "kernel_size": 2}]}')).body.toString());
      expect(fixed.error).toBeNull();
      expect(fixed.generation).toBe(1);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(143);
    }
  });

  test('a spec whose weights come from a file: the page may name that file, and no other', async () => {
    const folder = await seedFolder();
    writeFileSync(path.join(folder.dir, 'w.npy'), encodeNpy([2, 3, 3, 3], new Float32Array(54).fill(0.1)));
    writeFileSync(folder.spec, JSON.stringify({ input: { channels: 3 }, layers: [{ type: 'conv2d', name: 'c', out_channels: 2, kernel_size: 3, weight: { npy: 'w.npy' } }] }));
    const server = await startServe(folder.dir, folder.spec, [folder.photo]);
    try {
      const s = await waitForState(server, (x) => x.generation >= 1, 'the first render');
      expect(s.convs[0].fixedKernel).toBe(true);
      const spec = JSON.parse(s.spec.text);
      spec.layers[0].padding = 1;
      const ok = JSON.parse((await post(server, '/spec', JSON.stringify(spec))).body.toString());
      expect(ok.error).toBeNull();
      expect(outputShape(ok, 'c')).toBe('2x60x90');
      spec.layers[0].weight = { npy: path.join(folder.dir, 'other.npy') };
      const refused = JSON.parse((await post(server, '/spec', JSON.stringify(spec))).body.toString());
      expect(refused.error).toMatch(/may only name the files the spec file names/);
    } finally {
      await server.stop();
    }
  });
});

/** A reader of GET /events: the states the server pushes. */
async function openEvents(url: string): Promise<{ until(done: (s: any) => boolean, what: string): Promise<any>; close(): void }> {
  const base = new URL(url);
  const seen: any[] = [];
  let wake: (() => void) | null = null;
  const req = request({ host: base.hostname, port: base.port, path: '/events' });
  await new Promise<void>((resolve, reject) => {
    req.on('response', (res) => {
      expect(res.headers['content-type']).toBe('text/event-stream');
      let buffer = '';
      res.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith('data: ')) seen.push(JSON.parse(block.slice(6)));
          wake?.();
        }
      });
      resolve();
    });
    req.on('error', reject);
    req.end();
  });
  return {
    async until(done, what) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const found = seen.find(done);
        if (found) {
          seen.splice(0, seen.indexOf(found) + 1);
          return found;
        }
        if (Date.now() > deadline) throw new Error(`no event for ${what}; last: ${JSON.stringify({ ...seen.at(-1), spec: undefined })}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 500);
        });
      }
    },
    close: () => req.destroy(),
  };
}
