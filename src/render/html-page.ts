// The report page: one self-contained offline HTML file with the maps (in nested sections for the spec's groups), their captions, the input photo and the spec; its script draws from the embedded data.
import type { ReportData } from './report-data.js';
import { REPORT_SCRIPT } from './report-script.js';

export interface ReportEntry {
  readonly title: string;
  /** Its picture: an index into ReportData.figures, or 'input' for the input photo. */
  readonly figure: number | 'input';
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
body{margin:0;padding:24px 24px 64px;background:#1e2129;color:#e6e6e6;font:14px/1.45 system-ui,-apple-system,"Segoe UI","DejaVu Sans",sans-serif}
h1{font-size:20px;margin:0 0 8px}
h2,h3,h4,h5,h6{font-size:16px;margin:0 0 4px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0 0 20px;color:#b8bcc6}
dl.meta dt{font-weight:600}
dl.meta dd{margin:0}
figure{margin:0 0 28px;padding:12px;background:#262a33;border-radius:6px}
figure ul.numbers{margin:2px 0 8px;padding-left:18px;color:#c8cbd2;font-size:13px}
.photo{position:relative;display:inline-block;max-width:100%}
.photo img{display:block;max-width:100%;height:auto;image-rendering:pixelated}
.photo canvas,.photo svg{position:absolute;left:0;top:0;width:100%;height:100%;pointer-events:none;image-rendering:pixelated}
#rf-rect{fill:none;stroke:#00dcff;stroke-width:1.5px;vector-effect:non-scaling-stroke}
#rf-unclipped{fill:none;stroke:#fff;stroke-width:1px;stroke-dasharray:4 3;vector-effect:non-scaling-stroke}
#rf-text{color:#c8cbd2;font-size:13px;min-height:1em}
.toolbar{margin:0 0 20px;color:#b8bcc6}
.toolbar select,.zoom button{background:#15171c;color:#e6e6e6;border:1px solid #4a5366;border-radius:4px;margin:0 12px 0 4px}
.zoom{margin-left:16px}.zoom button{margin:0 2px;min-width:24px}
.colorbar{display:flex;align-items:center;gap:8px;margin:4px 0;font:12px "DejaVu Sans Mono",Menlo,Consolas,monospace;color:#c8cbd2;flex-wrap:wrap}
.colorbar .track{position:relative;width:256px;height:14px}
.colorbar .track canvas{width:256px;height:14px;display:block}
.colorbar .zero{position:absolute;top:14px;transform:translateX(-50%);font-size:11px}
.colorbar .zero::before{content:"";position:absolute;left:50%;top:-16px;height:16px;border-left:1px solid #000}
.colorbar .note{color:#9aa0ab;margin-left:12px}
p.codes{margin:10px 0 6px;color:#8d93a0;font-size:12px}
.tiles{display:flex;flex-wrap:wrap;gap:6px}
.tile canvas,.filters canvas{display:block;image-rendering:pixelated;cursor:crosshair}
.tile .label,.filter .label{font:11px "DejaVu Sans Mono",Menlo,Consolas,monospace;color:#9aa0ab;text-align:center;max-width:100%}
canvas.bars{display:block;width:100%;max-width:1024px;height:140px;cursor:crosshair}
.filters h5{font-size:13px;font-weight:600;margin:12px 0 6px;color:#c8cbd2}
.filter-row{display:flex;flex-wrap:wrap;gap:6px}
.filter-line{display:flex;gap:3px;align-items:center;margin:0 0 3px}
.filter-line .label{font:11px "DejaVu Sans Mono",Menlo,Consolas,monospace;color:#9aa0ab;min-width:9em}
#hover-info{position:fixed;left:0;right:0;bottom:0;padding:6px 24px;background:#15171ce6;border-top:1px solid #4a5366;font:13px "DejaVu Sans Mono",Menlo,Consolas,monospace;min-height:1.4em}
p.error{color:#ff8080}
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

function figure(entry: ReportEntry, index: number, level: number, data: ReportData): string {
  const h = heading(level);
  const description = entry.description ? `<p>${escapeHtml(entry.description)}</p>` : '';
  const head = `<figure id="map-${index}">\n<figcaption><${h}>${escapeHtml(entry.title)}<span class="shape">${escapeHtml(entry.shape)}</span></${h}>${description}`;
  if (entry.figure === 'input') {
    return (
      `${head}<p>Hover the maps for values; click a cell to see the input pixels it depends on.</p></figcaption>\n` +
      `<div class="photo"><img id="photo" src="${data.input.photo}" alt="${escapeHtml(entry.title)}" width="${data.input.width}" height="${data.input.height}">` +
      `<canvas id="rf-mask"></canvas><svg id="rf-svg" preserveAspectRatio="none"><rect id="rf-unclipped" style="display:none"></rect><rect id="rf-rect" style="display:none"></rect></svg></div>\n` +
      `<p id="rf-text"></p>\n</figure>\n`
    );
  }
  const numbers = data.figures[entry.figure].caption.map((line) => `<li>${escapeHtml(line)}</li>`).join('');
  return `${head}<ul class="numbers">${numbers}</ul></figcaption>\n<div class="maps" data-figure="${entry.figure}"></div>\n</figure>\n`;
}

/** The items at nesting `level`, figures numbered in page order from `counter`. */
function items(list: readonly ReportItem[], level: number, counter: { figures: number; sections: number }, data: ReportData): string {
  return list
    .map((item) => {
      if (!('items' in item)) return figure(item, counter.figures++, level, data);
      const h = heading(level);
      const description = item.description ? `<p>${escapeHtml(item.description)}</p>\n` : '';
      return (
        `<section class="group" id="group-${counter.sections++}">\n<details open>\n` +
        `<summary><${h}>${escapeHtml(item.title)}<span class="shape">${escapeHtml(item.shape)}</span></${h}></summary>\n${description}` +
        items(item.items, level + 1, counter, data) +
        `</details>\n</section>\n`
      );
    })
    .join('');
}

/** JSON inside <script>: `<` escaped so no `</script>` or `<!--` can end or bend the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

const COLORMAP_CHOICES = ['auto', 'gray', 'viridis', 'magma', 'diverging'];

/**
 * The page as a string: pictures and sections in the order given, drawn by the inline script from
 * `data` (ReportData's `figures` indexed by the entries). Nothing is fetched: it works from a
 * file:// path, offline, or sent as it is by a server.
 */
export function reportHtml(entries: readonly ReportItem[], specJson: string, meta: ReportMeta, data: ReportData): string {
  const title = meta.title ?? 'cnnx feature maps';
  const { valueBytes: _, ...pageData } = data;
  return (
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<title>${escapeHtml(title)}</title>\n<style>${CSS}</style>\n</head>\n<body>\n` +
    `<h1>${escapeHtml(title)}</h1>\n${metaList(meta)}` +
    `<div class="toolbar">colours <select id="cmap">${COLORMAP_CHOICES.map((c) => `<option value="${c}">${c === 'auto' ? 'auto (diverging for signed maps)' : c}</option>`).join('')}</select>` +
    `scale <select id="scale"><option value="channel">each channel its own range</option><option value="layer">one range per layer</option></select></div>\n` +
    items(entries, 0, { figures: 0, sections: 0 }, data) +
    `<section>\n<h2>Spec</h2>\n<pre>${escapeHtml(prettySpec(specJson))}</pre>\n</section>\n` +
    `<div id="hover-info">hover a map</div>\n` +
    `<script type="application/json" id="cnnx-data">${scriptJson(pageData)}</script>\n` +
    `<script>${REPORT_SCRIPT}</script>\n</body>\n</html>\n`
  );
}
