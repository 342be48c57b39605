// `cnnx serve` in headless Chromium (puppeteer-core, the system browser): the page renders, follows spec edits from the page and the file, uploads, controls, comparison.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Frame, Page } from 'puppeteer-core';
import { haveBrowser, launchBrowser, openPage, type PageLog } from '../browser/helpers.js';
import { ROOT } from '../helpers.js';
import { seedFolder, startServe, type ServeChild } from './serve-helpers.js';

describe.skipIf(!haveBrowser())('cnnx serve in a browser', () => {
  let server: ServeChild;
  let browser: Browser;
  let page: Page;
  let log: PageLog;
  let photo: string;

  beforeAll(async () => {
    const folder = await seedFolder(240, 160);
    photo = path.basename(folder.photo);
    server = await startServe(folder.dir, folder.spec, [photo, '--threads', '1']);
    browser = await launchBrowser();
    // Requests anywhere but the server are refused and logged: the page and the report need nothing remote.
    ({ page, log } = await openPage(browser, server.url, { height: 860, allow: (u) => u.startsWith(server.url) }));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (server && server.child.exitCode === null) await server.stop();
  });

  /** Waits for the page to show a report newer than `after`, and returns its generation. */
  async function nextReport(after: number): Promise<number> {
    await page.waitForFunction((g) => Number(document.body.dataset.generation) > g && document.getElementById('status')!.textContent === 'ready', { timeout: 60_000 }, after);
    const generation = await page.evaluate(() => Number(document.body.dataset.generation));
    await reportLoaded(generation);
    return generation;
  }

  /** The report frame once it shows `generation` with every map drawn (the report's ready hook), and no error. */
  async function reportLoaded(generation: number): Promise<Frame> {
    const frame = await waitForFrame(generation);
    await frame.waitForFunction(() => document.documentElement.dataset.ready === 'true' || document.documentElement.dataset.error !== undefined, { timeout: 60_000 });
    expect(await frame.evaluate(() => document.documentElement.dataset.error ?? null)).toBeNull();
    return frame;
  }

  /** The frame's input photo size and, per layer figure, its title and tile count (one canvas per channel). */
  const drawn = (frame: Frame) =>
    frame.evaluate(() => {
      const photo = document.getElementById('photo') as HTMLImageElement;
      const layers = [...document.querySelectorAll('figure')].filter((f) => f.querySelector('.maps')).map((f) => [f.querySelector('h2')!.firstChild!.textContent, f.querySelectorAll('.maps .tile canvas').length]);
      return { photo: [photo.naturalWidth, photo.naturalHeight], layers };
    });

  async function waitForFrame(generation: number): Promise<Frame> {
    const handle = await page.waitForSelector(`#report[src="/report/${generation}/index.html"]`);
    for (;;) {
      const frame = await handle!.contentFrame();
      if (frame && frame.url().endsWith(`/report/${generation}/index.html`)) return frame;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const generation = () => page.evaluate(() => Number(document.body.dataset.generation));
  const frameText = async () => (await waitForFrame(await generation())).evaluate(() => document.body.innerText);

  test('the page renders the report with a figure per layer, the layer table and no error', async () => {
    const g = await nextReport(0);
    const frame = await reportLoaded(g);
    const named = JSON.parse(readFileSync(server.spec, 'utf8')).layers.map((l: { name: string }) => l.name);
    expect(await drawn(frame)).toEqual({ photo: [240, 160], layers: named.map((name: string, i: number) => [name, [32, 32, 32, 64, 64, 64][i]]) });
    expect([log.errors, log.outside]).toEqual([[], []]);
    expect(await page.$eval('#error', (e) => (e as HTMLElement).hidden)).toBe(true);
    expect(await page.$eval('#layers', (e) => e.textContent)).toContain('32x160x240');
    expect(await page.$eval('#image', (e) => (e as HTMLSelectElement).options[0].text)).toBe(photo);
    expect(await page.$$eval('#convs tbody tr', (rows) => rows.map((r) => r.cells[0].textContent))).toEqual(['conv1', 'conv2']);
  });

  test('a spec edited in the page re-renders; a bad one shows its error and keeps the report', async () => {
    const before = await generation();
    const spec = JSON.parse(await page.$eval('#spec', (e) => (e as HTMLTextAreaElement).value));
    spec.layers[0].out_channels = 8;
    await page.$eval('#spec', (e, text) => ((e as HTMLTextAreaElement).value = text), JSON.stringify(spec, null, 2));
    await page.click('#apply');
    const g = await nextReport(before);
    expect(await frameText()).toContain('8x160x240');
    expect(await page.$eval('#saved', (e) => e.textContent)).toMatch(/not saved/);
    await page.$eval('#spec', (e) => ((e as HTMLTextAreaElement).value = '{"input": '));
    await page.click('#apply');
    await page.waitForFunction(() => !document.getElementById('error')!.hidden, { timeout: 60_000 });
    expect(await page.$eval('#error', (e) => e.textContent)).toMatch(/net\.json:1:\d+: invalid JSON: unexpected end/);
    expect(await generation()).toBe(g);
    expect((await reportLoaded(g)).url()).toContain(`/report/${g}/`);
  });

  test('an uploaded photo re-renders the report on it', async () => {
    const before = await generation();
    const upload = path.join(server.dir, 'red.png');
    await sharp({ create: { width: 40, height: 24, channels: 3, background: { r: 200, g: 40, b: 90 } } }).png().toFile(upload);
    const input = await page.$('#file');
    await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(upload);
    const g = await nextReport(before);
    const frame = await reportLoaded(g);
    // Still a figure per layer, with conv1's 8 channels from the edit above.
    expect(await drawn(frame)).toEqual({ photo: [40, 24], layers: [['conv1', 8], ['relu1', 8], ['pool1', 8], ['conv2', 64], ['relu2', 64], ['pool2', 64]] });
    expect(await page.$$eval('#image option', (o) => o.map((x) => x.textContent))).toEqual([photo, 'upload 1: red.png']);
    expect(await page.$eval('#error', (e) => (e as HTMLElement).hidden)).toBe(true);
  });

  test('a conv control changes shapes and maps; the padding comparison shows both modes and their difference', async () => {
    const before = await generation();
    await page.$eval('#convs input[name="stride"][data-layer="conv1"]', (e) => {
      (e as HTMLInputElement).value = '2';
      e.dispatchEvent(new Event('change'));
    });
    await nextReport(before);
    // 40x24 photo, stride 2, padding 1: (24 + 2 - 3)/2 + 1 = 12, (40 + 2 - 3)/2 + 1 = 20.
    expect(await frameText()).toContain('8x12x20');
    expect(await page.$eval('#layers', (e) => e.textContent)).toContain('8x12x20');
    await page.click('#compare');
    await page.waitForFunction(() => document.querySelectorAll('#compare-out img').length === 3 && [...document.querySelectorAll<HTMLImageElement>('#compare-out img')].every((i) => i.complete && i.naturalWidth > 0), { timeout: 60_000 });
    const captions = await page.$$eval('#compare-out figcaption', (c) => c.map((x) => x.textContent));
    expect(captions[0]).toBe('conv1, padding_mode zeros');
    expect(captions[1]).toBe('conv1, padding_mode reflect');
    expect(captions[2]).toMatch(/^zeros − reflect: [1-9]\d* of 1920 values differ$/);
  });

  test('the page follows the spec file when it changes on disk', async () => {
    const before = await generation();
    const spec = JSON.parse(readFileSync(server.spec, 'utf8'));
    spec.layers[0].out_channels = 4;
    writeFileSync(server.spec, JSON.stringify(spec, null, 2));
    await nextReport(before);
    expect(await frameText()).toContain('4x24x40');
    expect(await page.$eval('#spec', (e) => (e as HTMLTextAreaElement).value)).toContain('"out_channels": 4');
    expect(await page.$eval('#saved', (e) => e.textContent)).toBe('the spec file holds this spec');
    // The picture for docs/serve.md (CNNX_UPDATE_DOCS=1 writes it): the photo, conv1 compared.
    const shown = await generation();
    await page.select('#image', '0');
    await nextReport(shown);
    await page.click('#compare');
    await page.waitForFunction(() => document.getElementById('status')!.textContent === 'ready' && document.querySelectorAll('#compare-out img').length === 3 && [...document.querySelectorAll<HTMLImageElement>('#compare-out img')].every((i) => i.complete && i.naturalWidth > 0), { timeout: 60_000 });
    const shot = Buffer.from(await page.screenshot({ type: 'png' }));
    const { data, info } = await sharp(shot).raw().toBuffer({ resolveWithObject: true });
    const colours = new Set<number>();
    for (let i = 0; i < data.length; i += info.channels) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    expect(colours.size).toBeGreaterThan(100);
    if (process.env.CNNX_UPDATE_DOCS) writeFileSync(path.join(ROOT, 'docs', 'img', 'serve.png'), await sharp(shot).resize(960).png({ palette: true, quality: 90 }).toBuffer());
  });
});
