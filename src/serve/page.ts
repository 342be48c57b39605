// The page `cnnx serve` answers at /: images, conv controls, padding comparison and the spec editor around the report (in a frame), following the server's events.
import { escapeHtml } from '../render/html-page.js';
import { PADDING_MODES } from './spec-edit.js';

// Plain DOM, no library, nothing fetched from elsewhere: the page works offline like the report.
const CSS = String.raw`
*{box-sizing:border-box}
body{margin:0;background:#1e2129;color:#e6e6e6;font:14px/1.45 system-ui,-apple-system,"Segoe UI","DejaVu Sans",sans-serif;display:flex;flex-direction:column;height:100vh}
header{display:flex;gap:16px;align-items:baseline;padding:8px 16px;background:#15171c}
header h1{font-size:16px;margin:0}
#status{color:#9fb4d8}
#error{margin:0;padding:8px 16px;background:#5a1f24;color:#ffd9dc;font-family:"DejaVu Sans Mono",Menlo,monospace;font-size:13px;white-space:pre-wrap}
#error[hidden]{display:none}
main{flex:1;display:flex;min-height:0}
aside{width:460px;flex:none;overflow:auto;padding:12px 16px;border-right:1px solid #333844}
aside h2{font-size:14px;margin:14px 0 6px;color:#b8bcc6;text-transform:uppercase;letter-spacing:.04em}
#report{flex:1;border:0;background:#1e2129;min-width:0}
#drop{border:2px dashed #4a5366;border-radius:6px;padding:10px;text-align:center;color:#b8bcc6;margin-top:6px}
body.dragging #drop{border-color:#9fb4d8;background:#262a33}
select,input,textarea,button{font:inherit;color:inherit;background:#262a33;border:1px solid #4a5366;border-radius:4px;padding:2px 6px}
button{cursor:pointer}
button:hover{background:#333844}
table{border-collapse:collapse;width:100%}
td,th{padding:2px 3px;text-align:left;font-weight:normal;font-size:12px}
th{color:#b8bcc6}
td input{width:52px}
textarea{width:100%;height:320px;font:12px/1.4 "DejaVu Sans Mono",Menlo,monospace;white-space:pre}
pre{background:#15171c;padding:8px;border-radius:6px;overflow:auto;font:11px/1.35 "DejaVu Sans Mono",Menlo,monospace}
.row{display:flex;gap:6px;align-items:center;flex-wrap:wrap;margin:4px 0}
.muted{color:#8c92a0;font-size:12px}
#compare-out{display:grid;grid-template-columns:1fr 1fr;gap:6px}
#compare-out figure{margin:0}
#compare-out img{width:100%;image-rendering:pixelated;background:#242832}
#compare-out figcaption{font-size:12px;color:#b8bcc6}
`;

const SCRIPT = String.raw`
'use strict';
const token = document.querySelector('meta[name="cnnx-token"]').content;
const maxUpload = Number(document.querySelector('meta[name="cnnx-max-upload"]').content);
const $ = (id) => document.getElementById(id);
let shown = { generation: -1, text: null, convs: '', images: '' };
let lastState = null;
/** Requests under way: the status says rendering until they and the server's render are done. */
let inFlight = 0;

function showStatus() {
  $('status').textContent = inFlight > 0 || (lastState && lastState.busy) ? 'rendering…' : 'ready';
}

function showError(message) {
  $('error').textContent = message || '';
  $('error').hidden = !message;
}

async function post(url, body, headers) {
  inFlight++;
  showStatus();
  try {
    const res = await fetch(url, { method: 'POST', body, headers: Object.assign({ 'x-cnnx-token': token }, headers || {}) });
    const reply = await res.json();
    if (reply.generation !== undefined) show(reply);
    else if (reply.error) showError(reply.error);
    return reply;
  } catch (e) {
    showError('cannot reach the server: ' + e.message);
    return null;
  } finally {
    inFlight--;
    showStatus();
  }
}
const postJson = (url, value) => post(url, JSON.stringify(value), { 'content-type': 'application/json' });

function show(state) {
  lastState = state;
  showError(state.error);
  showStatus();
  document.body.dataset.generation = String(state.generation);
  if (state.generation !== shown.generation) {
    shown.generation = state.generation;
    $('report').src = state.generation > 0 ? '/report/' + state.generation + '/index.html' : 'about:blank';
    if ($('compare-out').childElementCount > 0) comparePadding();
  }
  $('none').hidden = state.images.length > 0;
  const images = JSON.stringify(state.images) + state.selected;
  if (images !== shown.images) {
    shown.images = images;
    const select = $('image');
    select.replaceChildren(...state.images.map((name, i) => new Option(name, String(i), false, i === state.selected)));
  }
  if (state.spec.text !== shown.text) {
    shown.text = state.spec.text;
    $('spec').value = state.spec.text;
  }
  $('spec-file').textContent = state.spec.file;
  $('saved').textContent = state.spec.saved ? 'the spec file holds this spec' : 'edited in the page: not saved to ' + state.spec.file;
  $('layers').textContent = (state.inputShape ? 'input ' + state.inputShape + '\n' : 'input 224x224 (no image yet)\n') + state.layers.join('\n');
  const convs = JSON.stringify(state.convs);
  if (convs !== shown.convs && !document.activeElement.closest('#convs')) {
    shown.convs = convs;
    drawConvs(state.convs);
  }
}

function drawConvs(convs) {
  const body = $('convs').tBodies[0];
  body.replaceChildren();
  const pick = $('compare-layer');
  const picked = pick.value;
  pick.replaceChildren(...convs.map((c, i) => new Option(c.label, String(i))));
  if (picked && Number(picked) < convs.length) pick.value = picked;
  convs.forEach((conv) => {
    const tr = body.insertRow();
    tr.insertCell().textContent = conv.label;
    for (const field of ['kernel_size', 'stride', 'padding', 'dilation']) {
      const input = document.createElement('input');
      const v = conv.values[field];
      input.value = v === null ? '' : Array.isArray(v) ? v.join(',') : String(v);
      input.name = field;
      input.dataset.layer = conv.label;
      input.title = field + (field === 'kernel_size' && conv.fixedKernel ? ': fixed by the weights' : '');
      input.disabled = field === 'kernel_size' && conv.fixedKernel;
      input.addEventListener('change', () => postJson('/conv', { path: conv.path, field, value: input.value }));
      tr.insertCell().append(input);
    }
    const mode = document.createElement('select');
    mode.name = 'padding_mode';
    mode.dataset.layer = conv.label;
    mode.append(...MODES.map((m) => new Option(m, m, false, m === conv.values.padding_mode)));
    mode.addEventListener('change', () => postJson('/conv', { path: conv.path, field: 'padding_mode', value: mode.value }));
    tr.insertCell().append(mode);
  });
}

async function comparePadding() {
  const conv = lastState && lastState.convs[Number($('compare-layer').value)];
  if (!conv) return;
  const modes = [$('mode-a').value, $('mode-b').value];
  const reply = await postJson('/compare', { path: conv.path, modes });
  const out = $('compare-out');
  out.replaceChildren();
  if (!reply || reply.error) return;
  showError(lastState.error);
  const fig = (src, caption) => {
    const f = document.createElement('figure');
    const img = new Image();
    img.src = src;
    img.alt = caption;
    const c = document.createElement('figcaption');
    c.textContent = caption;
    f.append(img, c);
    return f;
  };
  reply.pictures.forEach((src, i) => out.append(fig(src, reply.label + ', padding_mode ' + reply.modes[i])));
  if (reply.difference) out.append(fig(reply.difference, reply.modes[0] + ' − ' + reply.modes[1] + ': ' + reply.differing + ' of ' + reply.cells + ' values differ'));
}

function upload(file) {
  if (!file) return;
  if (file.size > maxUpload) return showError(file.name + ': ' + file.size + ' bytes is over the upload limit of ' + maxUpload + ' bytes');
  post('/upload', file, { 'content-type': 'application/octet-stream', 'x-cnnx-name': encodeURIComponent(file.name) });
}

$('image').addEventListener('change', (e) => postJson('/select', { image: Number(e.target.value) }));
$('file').addEventListener('change', (e) => {
  upload(e.target.files[0]);
  // The same file chosen again is a new upload.
  e.target.value = '';
});
$('apply').addEventListener('click', () => post('/spec', $('spec').value, { 'content-type': 'application/json' }));
$('save').addEventListener('click', () => post('/save', ''));
$('compare').addEventListener('click', comparePadding);
$('spec').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); $('apply').click(); }
});
document.addEventListener('dragover', (e) => { e.preventDefault(); document.body.classList.add('dragging'); });
document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
document.addEventListener('drop', (e) => {
  e.preventDefault();
  document.body.classList.remove('dragging');
  upload(e.dataTransfer.files[0]);
});
const events = new EventSource('/events');
events.onmessage = (e) => show(JSON.parse(e.data));
events.onerror = () => { $('status').textContent = 'reconnecting…'; };
`;

/** The page, with this run's POST token and upload limit. */
export function servePage(token: string, maxUpload: number): string {
  const modes = PADDING_MODES.map((m) => `<option${m === 'zeros' ? ' selected' : ''}>${m}</option>`).join('');
  const modesB = PADDING_MODES.map((m) => `<option${m === 'reflect' ? ' selected' : ''}>${m}</option>`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="cnnx-token" content="${escapeHtml(token)}">
<meta name="cnnx-max-upload" content="${maxUpload}">
<title>cnnx serve</title>
<style>${CSS}</style>
</head>
<body data-generation="-1">
<header><h1>cnnx serve</h1><span id="spec-file"></span><span id="status">connecting…</span></header>
<p id="error" role="alert" hidden></p>
<main>
<aside>
<h2>Image</h2>
<div class="row"><select id="image" aria-label="image"></select><span id="none" class="muted">no image yet</span></div>
<label id="drop">Drop a photo here, or <input type="file" id="file" accept="image/*,.npy"></label>
<h2>Conv layers</h2>
<table id="convs"><thead><tr><th>layer</th><th>kernel</th><th>stride</th><th>padding</th><th>dilation</th><th>padding mode</th></tr></thead><tbody></tbody></table>
<p class="muted">Values as the spec writes them: 3, or 3,5 for height,width (padding also same, valid or top,bottom,left,right). A change re-runs the network on the spec held in the page; Save writes it to the spec file.</p>
<h2>Compare padding modes</h2>
<div class="row"><select id="compare-layer" aria-label="layer"></select><select id="mode-a" aria-label="first mode">${modes}</select>vs<select id="mode-b" aria-label="second mode">${modesB}</select><button id="compare">compare</button></div>
<div id="compare-out"></div>
<h2>Spec</h2>
<textarea id="spec" spellcheck="false" aria-label="spec"></textarea>
<div class="row"><button id="apply" title="Ctrl+Enter">Apply</button><button id="save">Save to file</button><span id="saved" class="muted"></span></div>
<h2>Layers</h2>
<pre id="layers"></pre>
</aside>
<iframe id="report" title="report" src="about:blank"></iframe>
</main>
<script>const MODES = ${JSON.stringify(PADDING_MODES)};${SCRIPT}</script>
</body>
</html>
`;
}
