import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CnnxError } from '../../src/errors.js';
import { escapeHtml, reportHtml, writeReport, type ReportEntry, type ReportItem } from '../../src/render/html-page.js';

const entries: ReportEntry[] = [
  { title: 'conv1', file: 'cat.conv1.png', shape: '32x256x256', description: 'first conv' },
  { title: 'relu1', file: 'cat.relu1.png', shape: '32x256x256', description: '' },
  { title: 'pool1 <max> & "friends"', file: 'my maps/cat pool1.png', shape: '32x128x128', description: 'a<b' },
];
const spec = '{"name":"seed-convnet","layers":[{"type":"conv2d","out_channels":32}],"note":"</pre><script>alert(1)</script>"}';

describe('report', () => {
  it('lists the pictures in order with titles and shapes', () => {
    const html = reportHtml(entries, spec, { specName: 'seed-convnet', input: 'cat.png' });
    const positions = ['cat.conv1.png', 'cat.relu1.png', 'my%20maps/cat%20pool1.png'].map((f) => html.indexOf(`src="${f}"`));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(html.indexOf('conv1')).toBeLessThan(html.indexOf('relu1'));
    expect(html).toContain('32x128x128');
    expect(html).toContain('<dd>cat.png</dd>');
  });

  it('escapes HTML in titles, descriptions and the spec, and pretty-prints the spec', () => {
    const html = reportHtml(entries, spec);
    expect(html).toContain('pool1 &#60;max&#62; &#38; &#34;friends&#34;');
    expect(html).toContain('a&#60;b');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('</pre><script');
    expect(html).toContain('\n  &#34;layers&#34;: [\n');
    expect(reportHtml([], 'not json <x>')).toContain('<pre>not json &#60;x&#62;</pre>');
    expect(escapeHtml(`&<>"'`)).toBe('&#38;&#60;&#62;&#34;&#39;');
  });

  it('is self-contained: no network references, no scripts, inline CSS only', () => {
    const html = reportHtml(entries, spec, { version: '0.1.0' });
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<script|<link|@import|url\(/i);
    expect(html).toMatch(/<style>[\s\S]+<\/style>/);
  });

  it('refuses picture names that would point outside the report folder', () => {
    for (const file of ['http://example.com/a.png', '/abs/a.png', 'data:image/png;base64,AAAA', '']) {
      expect(() => reportHtml([{ title: 't', file, shape: '1x1x1' }], '{}')).toThrowError(CnnxError);
    }
  });

  it('writes index.html into the folder, creating it, and leaves no temporary file', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cnnx-report-'));
    try {
      const dir = join(root, 'out', 'report');
      const path = await writeReport(dir, entries, spec, { specName: 'seed-convnet' });
      expect(path).toBe(join(dir, 'index.html'));
      expect(await readFile(path, 'utf8')).toBe(reportHtml(entries, spec, { specName: 'seed-convnet' }));
      expect(await readdir(dir)).toEqual(['index.html']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('nests sections for groups, in the order given, with headings a level deeper inside', () => {
    const tree: ReportItem[] = [
      { title: 'input', file: 'x.input.png', shape: '3x8x8' },
      {
        title: 'layer1 (sequential)',
        shape: '8x4x4',
        description: 'layers[1]',
        items: [
          { title: 'block <a> & "b" (add, 2 branches)', shape: '8x4x4', description: 'layers[1].layers[0]', items: [{ title: 'conv1', file: 'x.conv1.png', shape: '8x4x4' }, { title: 'add', file: 'x.add.png', shape: '8x4x4' }] },
          { title: 'relu', file: 'x.relu.png', shape: '8x4x4' },
        ],
      },
      { title: 'pool', file: 'x.pool.png', shape: '8x1x1' },
    ];
    const html = reportHtml(tree, spec);
    const body = html.slice(html.indexOf('</h1>'), html.indexOf('<section>\n<h2>Spec</h2>'));
    // The tags in page order: sections open and close around their figures.
    const tags = [...body.matchAll(/<(\/?)(section|figure|h\d)\b[^>]*>/g)].map((m) => `${m[1]}${m[2]}`).filter((t) => !t.startsWith('/h'));
    expect(tags).toEqual(['figure', 'h2', '/figure', 'section', 'h2', 'section', 'h3', 'figure', 'h4', '/figure', 'figure', 'h4', '/figure', '/section', 'figure', 'h3', '/figure', '/section', 'figure', 'h2', '/figure']);
    expect(body).toContain('<section class="group" id="group-0">\n<details open>\n<summary><h2>layer1 (sequential)<span class="shape">8x4x4</span></h2></summary>\n<p>layers[1]</p>\n');
    expect(body).toContain('<summary><h3>block &#60;a&#62; &#38; &#34;b&#34; (add, 2 branches)<span class="shape">8x4x4</span></h3></summary>');
    // Figures are numbered in page order, through the sections.
    expect([...body.matchAll(/<figure id="map-(\d+)">\n<figcaption><h\d>([^<]+)/g)].map((m) => `${m[1]} ${m[2]}`)).toEqual(['0 input', '1 conv1', '2 add', '3 relu', '4 pool']);
  });
});
