// index.html beside the rendered PNGs: one self-contained offline page with the pictures (in nested sections for the spec's groups) and the spec.
import { join } from 'node:path';
import { CnnxError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';

export interface ReportEntry {
  readonly title: string;
  /** PNG file name relative to the report directory. */
  readonly file: string;
  /** Shape text such as `32x256x256`. */
  readonly shape: string;
  readonly description?: string;
}

/** A group of the spec (sequential, add, concat): a collapsible section around its pictures and inner groups. */
export interface ReportSection {
  /** Heading such as `layer1 (sequential)`. */
  readonly title: string;
  /** Shape text of the group's output. */
  readonly shape: string;
  readonly description?: string;
  readonly items: readonly ReportItem[];
}

/** What the page lists, in order: a picture, or a section of them. */
export type ReportItem = ReportEntry | ReportSection;

export interface ReportMeta {
  /** Page heading (default `cnnx feature maps`). */
  readonly title?: string;
  readonly specName?: string;
  /** The input image the maps were computed from. */
  readonly input?: string;
  readonly version?: string;
  /** Timestamp text; left out unless given, so reports are reproducible. */
  readonly generated?: string;
  /** Further key/value lines shown under the heading, in insertion order. */
  readonly extra?: Readonly<Record<string, string>>;
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A relative, scheme-less file name as an href/src value; anything else would make the page depend on the outside. */
function relativeUrl(file: string): string {
  if (file === '' || /^[a-z][a-z0-9+.-]*:/i.test(file) || file.startsWith('/') || file.startsWith('\\') || file.startsWith('//')) {
    throw new CnnxError('render.report', `report: picture file must be a relative name, got ${JSON.stringify(file)}`);
  }
  return file.split('/').map(encodeURIComponent).join('/');
}

/** The spec as indented JSON; text that does not parse is shown as it is. */
function prettySpec(specJson: string): string {
  try {
    return JSON.stringify(JSON.parse(specJson), null, 2);
  } catch {
    return specJson;
  }
}

// No url(), @import or web fonts: the page must render the same offline and from a file:// path.
const CSS = `
body{margin:0;padding:24px;background:#1e2129;color:#e6e6e6;font:14px/1.45 system-ui,-apple-system,"Segoe UI","DejaVu Sans",sans-serif}
h1{font-size:20px;margin:0 0 8px}
h2,h3,h4,h5,h6{font-size:16px;margin:0 0 4px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0 0 20px;color:#b8bcc6}
dl.meta dt{font-weight:600}
dl.meta dd{margin:0}
figure{margin:0 0 28px;padding:12px;background:#262a33;border-radius:6px}
figure img{display:block;max-width:100%;height:auto;background:#242832}
.shape{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;color:#9fb4d8;margin-left:8px;font-size:13px}
figcaption p{margin:4px 0 8px;color:#c8cbd2}
section.group{margin:0 0 16px;padding:0 0 0 12px;border-left:3px solid #4a5366}
section.group>details>summary{cursor:pointer;margin:0 0 12px}
summary>*{display:inline}
section.group>details>p{margin:-8px 0 12px;color:#b8bcc6}
pre{background:#15171c;padding:12px;border-radius:6px;overflow:auto;font:12px/1.4 "DejaVu Sans Mono",Menlo,Consolas,monospace}
`;

function metaList(meta: ReportMeta): string {
  const rows: [string, string][] = [];
  if (meta.specName) rows.push(['spec', meta.specName]);
  if (meta.input) rows.push(['input', meta.input]);
  if (meta.version) rows.push(['cnnx', meta.version]);
  if (meta.generated) rows.push(['generated', meta.generated]);
  for (const [k, v] of Object.entries(meta.extra ?? {})) rows.push([k, v]);
  if (rows.length === 0) return '';
  return `<dl class="meta">${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>\n`;
}

/** The heading element for nesting `level` (0: top level): h2, h3, ... h6 at most. */
const heading = (level: number) => `h${Math.min(2 + level, 6)}`;

function figure(entry: ReportEntry, index: number, level: number): string {
  const h = heading(level);
  const description = entry.description ? `<p>${escapeHtml(entry.description)}</p>` : '';
  return (
    `<figure id="map-${index}">\n` +
    `<figcaption><${h}>${escapeHtml(entry.title)}<span class="shape">${escapeHtml(entry.shape)}</span></${h}>${description}</figcaption>\n` +
    `<img src="${escapeHtml(relativeUrl(entry.file))}" alt="${escapeHtml(`${entry.title} (${entry.shape})`)}">\n` +
    `</figure>\n`
  );
}

/** The items at nesting `level`, figures numbered in page order from `counter`. */
function items(list: readonly ReportItem[], level: number, counter: { figures: number; sections: number }): string {
  return list
    .map((item) => {
      if (!('items' in item)) return figure(item, counter.figures++, level);
      const h = heading(level);
      const description = item.description ? `<p>${escapeHtml(item.description)}</p>\n` : '';
      return (
        `<section class="group" id="group-${counter.sections++}">\n<details open>\n` +
        `<summary><${h}>${escapeHtml(item.title)}<span class="shape">${escapeHtml(item.shape)}</span></${h}></summary>\n${description}` +
        items(item.items, level + 1, counter) +
        `</details>\n</section>\n`
      );
    })
    .join('');
}

/** The page as a string (writeReport writes it); pictures and sections appear in the order given. */
export function reportHtml(entries: readonly ReportItem[], specJson: string, meta: ReportMeta = {}): string {
  const title = meta.title ?? 'cnnx feature maps';
  return (
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<title>${escapeHtml(title)}</title>\n<style>${CSS}</style>\n</head>\n<body>\n` +
    `<h1>${escapeHtml(title)}</h1>\n${metaList(meta)}` +
    items(entries, 0, { figures: 0, sections: 0 }) +
    `<section>\n<h2>Spec</h2>\n<pre>${escapeHtml(prettySpec(specJson))}</pre>\n</section>\n</body>\n</html>\n`
  );
}

/**
 * Writes `dir/index.html` (creating `dir`) and returns its path. The file is written under a
 * temporary name and renamed, so a reader never sees half a page.
 * @example await writeReport('out', [{ title: 'conv1', file: 'conv1.png', shape: '32x64x64', description: '' }], specText, { specName: 'net' })
 */
export async function writeReport(dir: string, entries: readonly ReportItem[], specJson: string, meta: ReportMeta = {}): Promise<string> {
  const path = join(dir, 'index.html');
  await writeFileAtomic(path, new TextEncoder().encode(reportHtml(entries, specJson, meta)));
  return path;
}
