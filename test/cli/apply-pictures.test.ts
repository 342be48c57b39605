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
  test('writes one self-contained index.html: the photo and every named layer, in order, with their numbers', async () => {
    const dir = tempDir();
    const result = await runCli(['apply', SEED, CAT, '--layer', 'all', '--format', 'report', '-o', `${dir}/`]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readdirSync(dir)).toEqual(['index.html']);
    const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
    const layers = ['input', 'conv1', 'relu1', 'pool1', 'conv2', 'relu2', 'pool2'];
    const order = layers.map((l) => html.indexOf(`<h2>${l}<span`));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(html).toContain('32x300x451');
    expect(html).toContain('64x75x112');
    expect(html).toContain('<li>maxpool2d: the maximum of each window, kernel 2, stride 2, padding 0, dilation 1</li><li>height (150 - 2)/2 + 1 = 75; width ⌊(225 - 2)/2⌋ + 1 = 112</li><li>0 parameters, 0 multiply-adds; receptive field 10 px, jump 4 px</li>');
    expect(html).toContain('<li>18,496 parameters, 622,080,000 multiply-adds; receptive field 8 px, jump 2 px</li>');
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).toMatch(/<img id="photo" src="data:image\/(png|jpeg);base64,/);
    // A plain stack has no groups: no sections.
    expect(html).not.toContain('<section class="group"');
  });
});

/** The page's body as indented lines: `[title] shape` for a section, `title shape | caption` for a picture. */
function pageOutline(html: string): string[] {
  const body = html.slice(html.indexOf('</h1>'), html.indexOf('<section>\n<h2>Spec</h2>'));
  const lines: string[] = [];
  let depth = 0;
  const tokens = /<section class="group"|<\/section>|<summary><h\d>([^<]*)<span class="shape">([^<]*)|<figcaption><h\d>([^<]*)<span class="shape">([^<]*)<\/span><\/h\d>(?:<p>([^<]*))?/g;
  for (const m of body.matchAll(tokens)) {
    if (m[0].startsWith('<section')) depth++;
    else if (m[0] === '</section>') depth--;
    else if (m[1] !== undefined) lines.push(`${'  '.repeat(depth - 1)}[${m[1]}] ${m[2]}`);
    else lines.push(`${'  '.repeat(depth)}${m[3]} ${m[4]} | ${m[5] ?? ''}`);
  }
  expect(depth).toBe(0);
  return lines;
}

describe('--format report of a branching network', () => {
  test('groups are nested sections around their pictures, in node order; a node named twice is one picture', async () => {
    const dir = tempDir();
    const caseDir = path.join(FIXTURES, 'branches', 'group_output_layer1');
    const result = await runCli(['apply', path.join(caseDir, 'net.json'), path.join(caseDir, 'input.npy'), '--layer', 'all', '--format', 'report', '--engine', 'reference', '-o', `${dir}/`]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
    const q = (name: string) => `&#34;${name}&#34;`;
    const conv = (place: string, name: string, shape = '4x8x8') => `${name} ${shape} | ${place} (conv2d ${q(name)})`;
    const bn = (place: string, name: string, shape = '4x8x8') => `${name} ${shape} | ${place} (batchnorm2d ${q(name)})`;
    const block = (b: string, at: string) => [
      `  [${b} (sequential)] 4x8x8`,
      `    [${b}.add (add, 2 branches)] 4x8x8`,
      `      ${conv(`${at}.layers[0].branches[0][0]`, `${b}.conv1`)}`,
      `      ${bn(`${at}.layers[0].branches[0][1]`, `${b}.bn1`)}`,
      `      ${conv(`${at}.layers[0].branches[0][3]`, `${b}.conv2`)}`,
      `      ${bn(`${at}.layers[0].branches[0][4]`, `${b}.bn2`)}`,
      `      ${b}.add 4x8x8 | ${at}.layers[0] (add ${q(`${b}.add`)})`,
    ];
    expect(pageOutline(html)).toEqual([
      'input 3x16x16 | the tensor the first layer sees (after resize and mean/std)',
      conv('layers[0]', 'conv1'),
      bn('layers[1]', 'bn1'),
      '[layer1 (sequential)] 4x8x8',
      ...block('layer1.0', 'layers[3].layers[0]'),
      '    layer1.0 4x8x8 | layers[3].layers[0].layers[1] (relu)',
      ...block('layer1.1', 'layers[3].layers[1]'),
      // "layer1" names the same node as "layer1.1": one picture, in the innermost section.
      '    layer1.1 4x8x8 | layers[3].layers[1].layers[1] (relu); the output of layer1',
      '[layer2.0 (sequential)] 8x4x4',
      '  [layer2.0.add (add, 2 branches)] 8x4x4',
      `    ${conv('layers[4].layers[0].branches[0][0]', 'layer2.0.conv1', '8x4x4')}`,
      `    ${bn('layers[4].layers[0].branches[0][1]', 'layer2.0.bn1', '8x4x4')}`,
      `    ${conv('layers[4].layers[0].branches[0][3]', 'layer2.0.conv2', '8x4x4')}`,
      `    ${bn('layers[4].layers[0].branches[0][4]', 'layer2.0.bn2', '8x4x4')}`,
      `    ${conv('layers[4].layers[0].branches[1][0]', 'layer2.0.downsample.0', '8x4x4')}`,
      `    ${bn('layers[4].layers[0].branches[1][1]', 'layer2.0.downsample.1', '8x4x4')}`,
      `    layer2.0.add 8x4x4 | layers[4].layers[0] (add ${q('layer2.0.add')})`,
      '  layer2.0 8x4x4 | layers[4].layers[1] (relu)',
    ]);
    // Every figure has its maps in the page; the spec's JSON stays.
    expect(readdirSync(dir)).toEqual(['index.html']);
    expect(html.match(/<div class="maps" data-figure="\d+">/g)).toHaveLength(pageOutline(html).filter((l) => !l.trim().startsWith('[')).length - 1);
    expect(html).toContain('  &#34;name&#34;: &#34;group_output_layer1&#34;,\n');
  });

  test('a selection of a few names gets only the sections around them', async () => {
    const dir = tempDir();
    const caseDir = path.join(FIXTURES, 'branches', 'group_output_layer1');
    const result = await runCli(['apply', path.join(caseDir, 'net.json'), path.join(caseDir, 'input.npy'), '--layer', 'layer2.0,conv1,layer1.1.conv2', '--format', 'report', '--engine', 'reference', '-o', `${dir}/`]);
    expect(result.code, result.stderr).toBe(0);
    expect(pageOutline(readFileSync(path.join(dir, 'index.html'), 'utf8')).map((l) => l.split(' |')[0])).toEqual([
      'input 3x16x16',
      'conv1 4x8x8',
      '[layer1 (sequential)] 4x8x8',
      '  [layer1.1 (sequential)] 4x8x8',
      '    [layer1.1.add (add, 2 branches)] 4x8x8',
      '      layer1.1.conv2 4x8x8',
      '[layer2.0 (sequential)] 8x4x4',
      '  layer2.0 8x4x4',
    ]);
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
