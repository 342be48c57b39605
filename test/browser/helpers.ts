// Shared helpers for tests in a real browser: the system Chromium (CHROME_PATH or /usr/bin/chromium) driven headless by puppeteer-core, offline, or a printed reason to skip.
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** The browser to drive: CHROME_PATH if set, else the first system Chromium or Chrome found; null when none. */
export function chromiumPath(): string | null {
  const fromEnv = process.env.CHROME_PATH;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : null;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** Why browser tests skip here, printed once per file; null when a browser is there. */
export function skipReason(): string | null {
  if (chromiumPath()) return null;
  const wanted = process.env.CHROME_PATH ? `CHROME_PATH=${process.env.CHROME_PATH} does not exist` : `no Chromium at ${CANDIDATES.join(', ')}`;
  return `browser tests skipped: ${wanted} (apt-get install -y chromium, or set CHROME_PATH)`;
}

/** Prints skipReason() once and returns whether the browser tests run. */
export function haveBrowser(): boolean {
  const reason = skipReason();
  if (reason) console.warn(reason);
  return reason === null;
}

/**
 * Starts headless Chromium with a fresh profile and nothing reaching the network (a page that
 * needed anything remote would fail to load it). Close it with `browser.close()`.
 */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error(skipReason()!);
  return puppeteer.launch({
    executablePath,
    headless: true,
    userDataDir: mkdtempSync(path.join(os.tmpdir(), 'cnnx-chromium-')),
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars'],
  });
}

/** Requests a page made, other than for the page itself and data:/blob: URLs. */
export interface PageLog {
  readonly outside: string[];
  readonly errors: string[];
}

/**
 * Opens `url` in a new page of `width` x `height`, recording requests that leave the page (any
 * http(s) URL other than `allow`) and script errors, and waits until `ready` (a JS expression) holds.
 */
export async function openPage(browser: Browser, url: string, options: { width?: number; height?: number; ready?: string; allow?: (url: string) => boolean; timeout?: number } = {}): Promise<{ page: Page; log: PageLog }> {
  const page = await browser.newPage();
  await page.setViewport({ width: options.width ?? 1280, height: options.height ?? 900 });
  const log: PageLog = { outside: [], errors: [] };
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const u = request.url();
    const local = u.startsWith('data:') || u.startsWith('blob:') || u === url || (options.allow?.(u) ?? false);
    if (local) void request.continue();
    else {
      log.outside.push(u);
      void request.abort();
    }
  });
  page.on('pageerror', (error) => log.errors.push(String(error)));
  await page.goto(url, { waitUntil: 'load', timeout: options.timeout ?? 60_000 });
  if (options.ready) await page.waitForFunction(options.ready, { timeout: options.timeout ?? 60_000 });
  return { page, log };
}

/** The page point (CSS pixels, viewport coordinates) of the centre of cell (y, x) of an element showing a `height` x `width` grid, scrolled into view. */
export async function cellPoint(page: Page, selector: string, height: number, width: number, y: number, x: number): Promise<{ x: number; y: number }> {
  const handle = await page.$(selector);
  if (!handle) throw new Error(`no element ${selector}`);
  await handle.scrollIntoView();
  const box = await handle.boundingBox();
  if (!box) throw new Error(`${selector} is not visible`);
  return { x: box.x + ((x + 0.5) / width) * box.width, y: box.y + ((y + 0.5) / height) * box.height };
}
