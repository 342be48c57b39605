import { describe, expect, it } from 'vitest';
import { escapeHtml, reportHtml as pageHtml, type ReportEntry, type ReportItem, type ReportMeta } from '../../src/render/html-page.js';
import type { FigureData, ReportData } from '../../src/render/report-data.js';

const figure = (label: string, caption: string[] = []): FigureData => ({ node: 0, label, shape: [1, 1, 1], signed: false, values: { stored: { bits: 8, maxCode: 255, lo: [0], hi: [0], nonFinite: null, data: '' } }, caption });
const DATA: ReportData = {
  input: { channels: 3, height: 1, width: 1, photo: 'data:image/png;base64,AAAA' },
  colormaps: {},
  geometry: [],
  figures: ['conv1', 'relu1', 'pool1', 'add', 'relu', 'pool'].map((l) => figure(l, [`${l} </script> caption`])),
  valueBytes: 0,
};
const reportHtml = (items: readonly ReportItem[], specJson: string, meta: ReportMeta = {}) => pageHtml(items, specJson, meta, DATA);

const entries: ReportEntry[] = [
  { title: 'conv1', figure: 0, shape: '32x256x256', description: 'first conv' },
  { title: 'relu1', figure: 1, shape: '32x256x256', description: '' },
  { title: 'pool1 <max> & "friends"', figure: 2, shape: '32x128x128', description: 'a<b' },
];
const spec = '{"name":"seed-convnet","layers":[{"type":"conv2d","out_channels":32}],"note":"</pre><script>alert(1)</script>"}';

describe('report', () => {
  it('lists the pictures in order with titles, shapes and captions', () => {
    const html = reportHtml(entries, spec, { specName: 'seed-convnet', input: 'cat.png' });
    const positions = [0, 1, 2].map((f) => html.indexOf(`<div class="maps" data-figure="${f}">`));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(html.indexOf('conv1')).toBeLessThan(html.indexOf('relu1'));
    expect(html).toContain('32x128x128');
    expect(html).toContain('<dd>cat.png</dd>');
    expect(html).toContain('<ul class="numbers"><li>conv1 &#60;/script&#62; caption</li></ul>');
  });

  it('escapes HTML in titles, descriptions and the spec, and pretty-prints the spec', () => {
    const html = reportHtml(entries, spec);
    expect(html).toContain('pool1 &#60;max&#62; &#38; &#34;friends&#34;');
    expect(html).toContain('a&#60;b');
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('</pre><script');
    expect(html).toContain('\n  &#34;layers&#34;: [\n');
    expect(reportHtml([], 'not json <x>')).toContain('<pre>not json &#60;x&#62;</pre>');
    expect(escapeHtml(`&<>"'`)).toBe('&#38;&#60;&#62;&#34;&#39;');
  });

  it('is self-contained: no network references, inline CSS and script, the data in one JSON element', () => {
    const html = reportHtml(entries, spec, { version: '0.1.0' });
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<link|@import|url\(|<script src/i);
    expect(html).toMatch(/<style>[\s\S]+<\/style>/);
    const json = /<script type="application\/json" id="cnnx-data">([^<]*)<\/script>/.exec(html);
    expect(json).not.toBeNull();
    // Text from the spec cannot end the data element early.
    expect(JSON.parse(json![1]).figures[0].caption).toEqual(['conv1 </script> caption']);
  });

  it('nests sections for groups, in the order given, with headings a level deeper inside', () => {
    const tree: ReportItem[] = [
      { title: 'input', figure: 'input', shape: '3x8x8' },
      {
        title: 'layer1 (sequential)',
        shape: '8x4x4',
        description: 'layers[1]',
        items: [
          { title: 'block <a> & "b" (add, 2 branches)', shape: '8x4x4', description: 'layers[1].layers[0]', items: [{ title: 'conv1', figure: 0, shape: '8x4x4' }, { title: 'add', figure: 3, shape: '8x4x4' }] },
          { title: 'relu', figure: 4, shape: '8x4x4' },
        ],
      },
      { title: 'pool', figure: 5, shape: '8x1x1' },
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
