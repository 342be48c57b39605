import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CnnxError } from '../../src/errors.js';
import { escapeHtml, reportHtml, writeReport, type ReportEntry } from '../../src/render/html-page.js';

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
});
