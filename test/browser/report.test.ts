// The HTML report in headless Chromium, as a student uses it: the seed network on the cat photo, every map drawn, a pool2 cell clicked (its receptive field where `cnnx where` puts it), a hover showing the .npy value.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { whereQuery, type CellAnswer } from '../../src/inspect/where-query.js';
import { readNpyFile } from '../../src/io/npy.js';
import { loadNetwork } from '../../src/network/load.js';
import { FIXTURES, ROOT, runCli, tempDir } from '../helpers.js';
import { cellPoint, haveBrowser, launchBrowser, openPage, type PageLog } from './helpers.js';

const SEED = path.join(ROOT, 'examples', 'seed-convnet.json');
const CAT = path.join(FIXTURES, 'images', 'chelsea.png');
const READY = 'document.documentElement.dataset.ready === "true" || document.documentElement.dataset.error !== undefined';

describe.skipIf(!haveBrowser())('the report in a browser', () => {
  let browser: Browser;
  let page: Page;
  let log: PageLog;
  let dir: string;
  let html: string;

  beforeAll(async () => {
    dir = tempDir();
    const report = await runCli(['apply', SEED, CAT, '--layer', 'all', '--format', 'report', '-o', `${dir}/report/`]);
    expect(report.code, report.stderr).toBe(0);
    const npy = await runCli(['apply', SEED, CAT, '--layer', 'conv2,pool2', '-o', `${dir}/npy/`]);
    expect(npy.code, npy.stderr).toBe(0);
    html = readFileSync(path.join(dir, 'report', 'index.html'), 'utf8');
    browser = await launchBrowser();
    ({ page, log } = await openPage(browser, `file://${path.join(dir, 'report', 'index.html')}`, { ready: READY }));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
  });

  test('is one file under 3 MB', () => {
    const bytes = statSync(path.join(dir, 'report', 'index.html')).size;
    console.log(`seed-convnet report of chelsea.png (451x300): ${(bytes / 1e6).toFixed(2)} MB`);
    expect(bytes).toBeLessThan(3_000_000);
  });

  test('loads offline with every picture decoded and no error', async () => {
    expect(await page.evaluate(() => document.documentElement.dataset.error ?? null)).toBeNull();
    expect(log.errors).toEqual([]);
    expect(log.outside).toEqual([]);
    const state = await page.evaluate(() => {
      const photo = document.getElementById('photo') as HTMLImageElement;
      const maps = [...document.querySelectorAll<HTMLElement>('.maps')].map((box) => {
        const canvases = [...box.querySelectorAll<HTMLCanvasElement>('.tile canvas')];
        // A drawn tile is opaque everywhere (an undrawn canvas is transparent) and the maps of a photo have many colours (a dead channel may have one).
        let transparent = 0;
        const colours = canvases.map((c) => {
          const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          const seen = new Set<number>();
          for (let i = 0; i < d.length; i += 4) {
            if (d[i + 3] !== 255) transparent++;
            seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
          }
          return seen.size;
        });
        return { tiles: canvases.length, transparent, mostColours: Math.max(...colours), filters: box.querySelectorAll('.filters canvas').length };
      });
      return { photo: [photo.complete, photo.naturalWidth, photo.naturalHeight], maps };
    });
    expect(state.photo).toEqual([true, 451, 300]);
    expect(state.maps.map((m) => m.tiles)).toEqual([32, 32, 32, 64, 64, 64]);
    for (const m of state.maps) expect([m.transparent, m.mostColours > 16]).toEqual([0, true]);
    // conv1: 32 colour patches; conv2: 16 filters x 16 input channels drawn.
    expect(state.maps.map((m) => m.filters)).toEqual([32, 0, 0, 256, 0, 0]);
    expect(html).toContain('height (300 + 2*1 - 3)/1 + 1 = 300; width (451 + 2*1 - 3)/1 + 1 = 451');
  });

  test('a click on a pool2 cell draws the input region `cnnx where` computes', async () => {
    const net = await loadNetwork(SEED);
    const pool2 = net.layers.findIndex((l) => l.name === 'pool2');
    const figure = await page.evaluate(() => [...document.querySelectorAll('figure')].findIndex((f) => f.querySelector('h2')?.firstChild?.textContent === 'pool2') - 1);
    for (const [y, x] of [[10, 20], [0, 0], [74, 111]] as const) {
      const at = await cellPoint(page, `.maps[data-figure="${figure}"] canvas[data-channel="3"]`, 75, 112, y, x);
      await page.mouse.click(at.x, at.y);
      const drawn = await page.evaluate(() => {
        const rect = document.getElementById('rf-rect')!;
        const n = (name: string) => Number(rect.getAttribute(name));
        return { rows: [n('y'), n('y') + n('height') - 1], cols: [n('x'), n('x') + n('width') - 1], text: document.getElementById('rf-text')!.textContent };
      });
      const where = whereQuery(net, { channels: 3, height: 300, width: 451 }, pool2, { pixel: [y, x] }) as CellAnswer;
      expect(where.clipped).not.toBeNull();
      expect(drawn.rows, `cell ${y},${x}`).toEqual(where.clipped!.rows);
      expect(drawn.cols, `cell ${y},${x}`).toEqual(where.clipped!.cols);
      // The mask covers exactly the pixels read: inside the rectangle and just outside it.
      const [r0, r1] = where.clipped!.rows;
      const [c0, c1] = where.clipped!.cols;
      const alpha = await page.evaluate((points: number[][]) => {
        const ctx = (document.getElementById('rf-mask') as HTMLCanvasElement).getContext('2d')!;
        return points.map(([py, px]) => ctx.getImageData(px, py, 1, 1).data[3]);
      }, [[r0, c0], [r1, c1], [r0 - 1, c0], [r1 + 1, c1], [r0, c1 + 1]]);
      const inside = (py: number, px: number) => py >= 0 && py < 300 && px >= 0 && px < 451;
      expect(alpha.slice(0, 2).every((a) => a > 0)).toBe(true);
      const outside = [[r0 - 1, c0], [r1 + 1, c1], [r0, c1 + 1]].map(([py, px], i) => (inside(py, px) ? alpha[2 + i] : 0));
      expect(outside).toEqual([0, 0, 0]);
      expect(drawn.text).toContain(`pool2 cell (channel 3, y ${y}, x ${x})`);
    }
  });

  test('hovering a pool2 cell shows its .npy value, to within half a code step', async () => {
    const pool2 = readNpyFile(path.join(dir, 'npy', 'chelsea.pool2.npy'));
    const conv2 = readNpyFile(path.join(dir, 'npy', 'chelsea.conv2.npy'));
    const [pool2Array, conv2Array] = await Promise.all([pool2, conv2]);
    const figure = await page.evaluate(() => [...document.querySelectorAll('figure')].findIndex((f) => f.querySelector('h2')?.firstChild?.textContent === 'pool2') - 1);
    const bits = Number(/"bits":(\d)/.exec(html.slice(html.indexOf('"label":"conv2"')))![1]);
    for (const [c, y, x] of [[3, 10, 20], [0, 40, 60], [63, 74, 111]] as const) {
      const at = await cellPoint(page, `.maps[data-figure="${figure}"] canvas[data-channel="${c}"]`, 75, 112, y, x);
      await page.mouse.move(at.x, at.y);
      const shown = await page.evaluate(() => ({ ...document.getElementById('hover-info')!.dataset, text: document.getElementById('hover-info')!.textContent }));
      expect([shown.channel, shown.y, shown.x].map(Number)).toEqual([c, y, x]);
      const expected = pool2Array.data[(c * 75 + y) * 112 + x];
      // pool2 is computed in the page from conv2's codes: conv2's channel range over its code count.
      const plane = conv2Array.data.subarray(c * 150 * 225, (c + 1) * 150 * 225);
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of plane) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      const half = (hi - lo) / ((1 << bits) - 1) / 2;
      expect(Math.abs(Number(shown.value) - expected), `channel ${c} cell ${y},${x}`).toBeLessThanOrEqual(half * 1.0001);
      expect(shown.text).toContain(`pool2 · channel ${c} · y ${y}, x ${x} · value `);
    }
  });
});
