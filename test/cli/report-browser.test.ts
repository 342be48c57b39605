// The HTML report opens offline in headless Chromium and shows its pictures (skipped where Debian's chromium is absent).
import { existsSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import sharp from 'sharp';
import { expect, test } from 'vitest';
import { FIXTURES, ROOT, runCli, tempDir } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);

test.skipIf(!haveChromium)('index.html renders offline in headless Chromium with every picture loaded', async () => {
  const dir = tempDir();
  const report = path.join(dir, 'report');
  const result = await runCli(['apply', path.join(ROOT, 'examples', 'edges.json'), path.join(FIXTURES, 'images', 'chelsea.png'), '--layer', 'all', '--format', 'report', '-o', `${report}/`]);
  expect(result.code).toBe(0);
  const shot = path.join(dir, 'shot.png');
  const profile = path.join(dir, 'profile');
  mkdirSync(profile);
  // No network: the flags keep Chromium from reaching out, so a page that needed anything remote would show broken images.
  const run = spawnSync(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--hide-scrollbars',
    '--window-size=1280,2400', `--screenshot=${shot}`, `file://${path.join(report, 'index.html')}`,
  ], { encoding: 'utf8', timeout: 60_000 });
  expect(existsSync(shot), run.stderr).toBe(true);
  const { data, info } = await sharp(shot).raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height]).toEqual([1280, 2400]);
  // The pictures are photos of edges: many distinct grey levels. A page of broken-image icons and text has few.
  const levels = new Set<number>();
  for (let i = 0; i < data.length; i += info.channels) levels.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
  expect(levels.size).toBeGreaterThan(200);
}, 120_000);
