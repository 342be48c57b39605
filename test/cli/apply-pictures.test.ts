// `cnnx apply` picture options through the CLI: the per-layer HTML report, overlays, colour maps and grids.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { FIXTURES, ROOT, runCli, tempDir } from '../helpers.js';

const SEED = path.join(ROOT, 'examples', 'seed-convnet.json');
const EDGES = path.join(ROOT, 'examples', 'edges.json');
const CAT = path.join(FIXTURES, 'images', 'chelsea.png');

describe('--format report: one image, every layer, to a folder', () => {
  test('writes the input picture, one picture per named layer and an offline index.html, in order', async () => {
    const dir = tempDir();
    const result = await runCli(['apply', SEED, CAT, '--layer', 'all', '--format', 'report', '-o', `${dir}/`]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const layers = ['conv1', 'relu1', 'pool1', 'conv2', 'relu2', 'pool2'];
    expect(readdirSync(dir).sort()).toEqual([...layers.map((l) => `chelsea.${l}.png`), 'chelsea.input.png', 'index.html'].sort());
    const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
    const order = ['chelsea.input.png', ...layers.map((l) => `chelsea.${l}.png`)].map((f) => html.indexOf(`src="${f}"`));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(html).toContain('32x300x451');
    expect(html).toContain('64x75x112');
    expect(html).not.toMatch(/(src|href)="https?:/);
    const input = await sharp(path.join(dir, 'chelsea.input.png')).metadata();
    expect(input.width).toBeGreaterThanOrEqual(451);
  });
});

describe('overlay', () => {
  test('is the size of the input, with the edge response drawn where the edges are', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'overlay.png');
    const result = await runCli(['apply', EDGES, CAT, '--layer', 'edges', '--overlay', '-o', out]);
    expect(result.code).toBe(0);
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([451, 300]);
    // Where the overlay colours the photo, its pixels are no longer grey (r = g = b).
    let coloured = 0;
    for (let i = 0; i < data.length; i += info.channels) if (Math.abs(data[i] - data[i + 1]) > 12) coloured++;
    expect(coloured).toBeGreaterThan(1000);
    expect(coloured).toBeLessThan(info.width * info.height * 0.9);
  });
});

describe('grid options', () => {
  test('--grid 3x gives three columns; --cmap diverging draws zero as white', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'grid.png');
    const result = await runCli(['apply', EDGES, CAT, '--layer', 'edges', '--grid', '3x', '--cmap', 'diverging', '-o', out]);
    expect(result.code).toBe(0);
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    // Six 451-wide tiles in three columns with thin separators, two rows of 300 plus labels and a title.
    expect(info.width).toBeGreaterThanOrEqual(3 * 451);
    expect(info.width).toBeLessThan(4 * 451);
    expect(info.height).toBeGreaterThanOrEqual(2 * 300);
    expect(info.height).toBeLessThan(3 * 300);
    // The top-right corner of the photo is flat background: the gradient there is ~0, drawn near white.
    let white = 0;
    for (let i = 0; i < data.length; i += info.channels) if (data[i] > 240 && data[i + 1] > 240 && data[i + 2] > 240) white++;
    expect(white).toBeGreaterThan((info.width * info.height) / 4);
  });

  test('a bad --grid is a usage error', async () => {
    const result = await runCli(['apply', EDGES, CAT, '--grid', 'lots', '-o', path.join(tempDir(), 'x.png')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('cnnx: --grid lots: expected COLSxROWS, COLSx or xROWS with positive numbers (for example 8x4)\n');
  });
});

describe('streamed runs through the CLI', () => {
  test('--band-rows 7 writes the same bytes as a whole-image run', async () => {
    const dir = tempDir();
    const whole = await runCli(['apply', SEED, CAT, '-o', path.join(dir, 'whole.npy')]);
    const banded = await runCli(['apply', SEED, CAT, '-o', path.join(dir, 'band.npy'), '--band-rows', '7']);
    expect(whole.code).toBe(0);
    expect(banded.code).toBe(0);
    expect(readFileSync(path.join(dir, 'band.npy')).equals(readFileSync(path.join(dir, 'whole.npy')))).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['band.npy', 'whole.npy']);
  });

  test('a streamed run refuses a PNG output and writes nothing', async () => {
    const dir = tempDir();
    const result = await runCli(['apply', SEED, CAT, '-o', path.join(dir, 'x.png'), '--band-rows', '7']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('streamed runs write .npy files only');
    expect(existsSync(path.join(dir, 'x.png'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
