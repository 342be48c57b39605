// The HTML report's inline script (plain browser JS, no imports): decodes the embedded maps, draws tiles, colour bars, bar charts and filters, shows values on hover and the input pixels a clicked cell depends on.
// It reads only the JSON in <script id="cnnx-data"> (shape: ReportData in report-data.ts), so any server can send the same page.
export const REPORT_SCRIPT = String.raw`
'use strict';
(async function () {
  const D = JSON.parse(document.getElementById('cnnx-data').textContent);
  const $ = (id) => document.getElementById(id);
  const info = $('hover-info');
  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
  const fmt = (v) => (Number.isNaN(v) ? 'NaN' : String(Number(v.toPrecision(4))));

  // Colour maps: 256 colours and the marker for NaN/Inf, from the same tables as the PNG pictures.
  const LUT = {};
  for (const name in D.colormaps) {
    const h = D.colormaps[name], a = new Uint8Array(h.length / 2);
    for (let i = 0; i < a.length; i++) a[i] = parseInt(h.substr(2 * i, 2), 16);
    LUT[name] = a;
  }

  async function inflate(b64) {
    const s = atob(b64), a = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
    const stream = new Blob([a]).stream().pipeThrough(new DecompressionStream('deflate'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }
  function unpaeth(r, w, h) {
    const out = new Uint8Array(r.length), plane = w * h;
    for (let i = 0; i < r.length; i++) {
      const p = i % plane, x = p % w;
      const a = x > 0 ? out[i - 1] : 0, b = p >= w ? out[i - w] : 0, c = x > 0 && p >= w ? out[i - w - 1] : 0;
      const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
      out[i] = (r[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
    }
    return out;
  }

  // Values of every figure (stored codes, or derived from another figure as the layer computes them) and half a code step per channel.
  const V = [], HALF = [], CR = [], LR = [];
  for (const [f, fig] of D.figures.entries()) {
    const [C, H, W] = fig.shape, plane = H * W;
    if (fig.values.stored) {
      const s = fig.values.stored, codes = unpaeth(await inflate(s.data), W, H), v = new Float32Array(codes.length);
      for (let c = 0; c < C; c++) {
        const k = (s.hi[c] - s.lo[c]) / s.maxCode;
        for (let p = 0; p < plane; p++) { const q = codes[c * plane + p]; v[c * plane + p] = q === s.nonFinite ? NaN : s.lo[c] + q * k; }
      }
      V[f] = v;
      HALF[f] = s.hi.map((hi, c) => (hi - s.lo[c]) / s.maxCode / 2);
    } else {
      const from = fig.values.from, src = V[from];
      HALF[f] = HALF[from];
      if (fig.values.derived === 'relu') V[f] = src.map((x) => (x > 0 ? x : x <= 0 ? 0 : x));
      else {
        const g = D.geometry[fig.node], [, sh, sw] = D.figures[from].shape, v = new Float32Array(C * plane);
        for (let c = 0; c < C; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
          let m = -Infinity;
          for (const r of g.rows[y]) for (const q of g.cols[x]) { const u = src[(c * sh + r) * sw + q]; if (u > m || u !== u) m = u; }
          v[(c * H + y) * W + x] = m;
        }
        V[f] = v;
      }
    }
    CR[f] = [];
    let lo = Infinity, hi = -Infinity;
    for (let c = 0; c < C; c++) {
      let a = Infinity, b = -Infinity;
      for (let p = c * plane; p < (c + 1) * plane; p++) { const u = V[f][p]; if (u < a) a = u; if (u > b) b = u; }
      if (a > b) a = b = 0;
      CR[f].push([a, b]);
      lo = Math.min(lo, a); hi = Math.max(hi, b);
    }
    LR[f] = [lo, hi];
  }

  const cmapOf = (f) => ($('cmap').value === 'auto' ? (D.figures[f].signed ? 'diverging' : 'gray') : $('cmap').value);
  /** The value range colour 0..255 spans for channel c: its own or the layer's; symmetric about 0 on the diverging map. */
  function rangeOf(f, c) {
    let [lo, hi] = $('scale').value === 'layer' ? LR[f] : CR[f][c];
    if (cmapOf(f) === 'diverging') { const m = Math.max(Math.abs(lo), Math.abs(hi)); lo = -m; hi = m; }
    return [lo, hi];
  }

  // The clicked cell and what feeds it: per node, rows, columns and channels (node -1: the input).
  let sel = null;
  const chCount = (n) => (n < 0 ? D.input.channels : D.geometry[n].outChannels);
  function walk(node, c, y, x) {
    const rows = new Map([[node, new Set([y])]]), cols = new Map([[node, new Set([x])]]), chans = new Map([[node, new Set([c])]]);
    const add = (map, j, set, table) => { const s = map.get(j) || new Set(); map.set(j, s); for (const o of set) { if (table) for (const v of table[o]) s.add(v); else s.add(o); } };
    for (let i = node; i >= 0; i--) {
      if (!rows.has(i)) continue;
      const g = D.geometry[i], ch = chans.get(i), cm = g.channels;
      g.inputs.forEach((j, k) => {
        add(rows, j, rows.get(i), g.rows);
        add(cols, j, cols.get(i), g.cols);
        const s = chans.get(j) || new Set();
        chans.set(j, s);
        if (cm === 'same') ch.forEach((o) => s.add(o));
        else if (cm === 'all') for (let v = 0; v < chCount(j); v++) s.add(v);
        else if (cm.groups) {
          const ip = chCount(j) / cm.groups, op = chCount(i) / cm.groups;
          ch.forEach((o) => { const gi = Math.floor(o / op); for (let v = gi * ip; v < (gi + 1) * ip; v++) s.add(v); });
        } else if (cm.concat) {
          let off = 0;
          for (let q = 0; q < k; q++) off += cm.concat[q];
          ch.forEach((o) => { if (o >= off && o < off + cm.concat[k]) s.add(o - off); });
        }
      });
    }
    return { rows, cols, chans };
  }
  const ranges = (set) => {
    const a = [...set].sort((p, q) => p - q), out = [];
    for (const v of a) { const l = out[out.length - 1]; if (l && v === l[1] + 1) l[1] = v; else out.push([v, v]); }
    return out;
  };
  const rangeText = (rs) => rs.map(([a, b]) => (a === b ? String(a) : a + '..' + b)).join(', ');
  const count = (rs) => rs.reduce((s, [a, b]) => s + b - a + 1, 0);

  // Tiles: one canvas per channel at the map's own resolution, scaled by CSS.
  const TILES = [];
  function drawTile(f, c) {
    const fig = D.figures[f], [, H, W] = fig.shape, canvas = TILES[f][c], ctx = canvas.getContext('2d');
    const img = ctx.createImageData(W, H), lut = LUT[cmapOf(f)], [lo, hi] = rangeOf(f, c), v = V[f], base = c * H * W;
    const k = hi > lo ? 255 / (hi - lo) : 0;
    for (let p = 0; p < H * W; p++) {
      const u = v[base + p];
      let i = u !== u || !Number.isFinite(u) ? 256 : Math.round((u - lo) * k);
      if (i < 0) i = 0; else if (i > 255 && i !== 256) i = 255;
      img.data[4 * p] = lut[3 * i]; img.data[4 * p + 1] = lut[3 * i + 1]; img.data[4 * p + 2] = lut[3 * i + 2]; img.data[4 * p + 3] = 255;
    }
    if (sel) {
      const w = sel.walk, n = fig.node;
      if (w.chans.has(n) && w.chans.get(n).has(c)) {
        const clicked = n === sel.node && c === sel.c;
        for (const y of w.rows.get(n)) for (const x of w.cols.get(n)) {
          const p = 4 * (y * W + x);
          if (clicked) { img.data[p] = 0; img.data[p + 1] = 220; img.data[p + 2] = 255; continue; }
          img.data[p] = img.data[p] * 0.45 + 255 * 0.55; img.data[p + 1] = img.data[p + 1] * 0.45 + 200 * 0.55; img.data[p + 2] *= 0.45;
        }
      }
    }
    ctx.putImageData(img, 0, 0);
  }

  function colourBar(f, box) {
    const bar = el('div', 'colorbar'), canvas = el('canvas');
    canvas.width = 256; canvas.height = 1;
    const lo = el('span', 'lo'), hi = el('span', 'hi'), zero = el('span', 'zero', '0'), note = el('span', 'note');
    const track = el('div', 'track');
    track.append(canvas, zero);
    bar.append(lo, track, hi, note);
    box.append(bar);
    const draw = (c) => {
      const ctx = canvas.getContext('2d'), img = ctx.createImageData(256, 1), lut = LUT[cmapOf(f)];
      for (let i = 0; i < 256; i++) { img.data[4 * i] = lut[3 * i]; img.data[4 * i + 1] = lut[3 * i + 1]; img.data[4 * i + 2] = lut[3 * i + 2]; img.data[4 * i + 3] = 255; }
      ctx.putImageData(img, 0, 0);
      const perTile = $('scale').value === 'channel' && D.figures[f].shape[0] > 1 && D.figures[f].shape[1] * D.figures[f].shape[2] > 1;
      const [a, b] = c === null ? (perTile ? LR[f] : rangeOf(f, 0)) : rangeOf(f, c);
      lo.textContent = fmt(a); hi.textContent = fmt(b);
      const z = b > a ? (0 - a) / (b - a) : -1;
      zero.style.display = z >= 0 && z <= 1 ? '' : 'none';
      zero.style.left = (100 * z).toFixed(2) + '%';
      note.textContent = c !== null ? 'channel ' + c + (perTile ? ": this tile's range" : '') : perTile ? 'each tile has its own range (hover one); the layer spans these values' : 'the whole layer';
      bar.dataset.lo = a; bar.dataset.hi = b;
    };
    draw(null);
    return draw;
  }

  const BARS = [];
  function cellInfo(f, c, y, x) {
    const fig = D.figures[f], [, H, W] = fig.shape, v = V[f][(c * H + y) * W + x], name = fig.names ? fig.names[c] : null;
    const [lo, hi] = CR[f][c];
    info.dataset.figure = f; info.dataset.channel = c; info.dataset.y = y; info.dataset.x = x; info.dataset.value = v;
    info.textContent = fig.label + ' · channel ' + c + (name ? ' (' + name + ')' : '') + ' · y ' + y + ', x ' + x + ' · value ' + fmt(v) + ' ± ' + fmt(HALF[f][c]) + ' · channel range ' + fmt(lo) + ' … ' + fmt(hi);
  }

  function select(f, c, y, x) {
    const node = D.figures[f].node;
    sel = { f, node, c, y, x, walk: walk(node, c, y, x) };
    redrawAll();
    const rows = ranges(sel.walk.rows.get(-1)), cols = ranges(sel.walk.cols.get(-1));
    const y0 = rows[0][0], y1 = rows[rows.length - 1][1], x0 = cols[0][0], x1 = cols[cols.length - 1][1];
    const rect = $('rf-rect');
    rect.setAttribute('x', x0); rect.setAttribute('y', y0); rect.setAttribute('width', x1 - x0 + 1); rect.setAttribute('height', y1 - y0 + 1);
    rect.style.display = '';
    const g = D.geometry[node], un = $('rf-unclipped');
    if (g.rf) {
      const top = g.start[0] + y * g.jump[0] - (g.rf[0] - 1) / 2, left = g.start[1] + x * g.jump[1] - (g.rf[1] - 1) / 2;
      un.setAttribute('x', left); un.setAttribute('y', top); un.setAttribute('width', g.rf[1]); un.setAttribute('height', g.rf[0]);
      un.style.display = '';
    } else un.style.display = 'none';
    const mask = $('rf-mask'), ctx = mask.getContext('2d'), img = ctx.createImageData(D.input.width, D.input.height);
    for (const r of sel.walk.rows.get(-1)) for (const q of sel.walk.cols.get(-1)) { const p = 4 * (r * D.input.width + q); img.data[p] = 255; img.data[p + 1] = 210; img.data[p + 2] = 0; img.data[p + 3] = 110; }
    ctx.putImageData(img, 0, 0);
    const text = $('rf-text');
    text.dataset.rows = y0 + ',' + y1; text.dataset.cols = x0 + ',' + x1;
    text.textContent = D.figures[f].label + ' cell (channel ' + c + ', y ' + y + ', x ' + x + ') depends on input rows ' + rangeText(rows) + ' × cols ' + rangeText(cols) + ' (' + count(rows) + 'x' + count(cols) + ' pixels' + (count(rows) !== y1 - y0 + 1 || count(cols) !== x1 - x0 + 1 ? ', with holes' : '') + ')' + (g.rf ? '; receptive field ' + g.rf[0] + 'x' + g.rf[1] + ' (dashed, in padded coordinates)' : '') + '. Highlighted: the cells of the layers before it that feed it.';
  }

  function figureBox(f) {
    const fig = D.figures[f], [C, H, W] = fig.shape, box = document.querySelector('.maps[data-figure="' + f + '"]');
    const draw = colourBar(f, box);
    const s = fig.values.stored;
    box.append(el('p', 'codes', s ? 'values: ' + s.bits + ' bits each, one linear range per channel (hover shows the value ± half a step)' : 'values: computed in the page from ' + D.figures[fig.values.from].label + "'s (" + fig.values.derived + ' commutes with their quantisation)'));
    TILES[f] = [];
    if (H === 1 && W === 1) {
      const canvas = el('canvas', 'bars');
      canvas.width = Math.max(256, Math.min(1024, 4 * C)); canvas.height = 140;
      box.append(canvas);
      const paint = () => {
        const ctx = canvas.getContext('2d'), [lo, hi] = LR[f], top = Math.max(hi, 0), bottom = Math.min(lo, 0), k = top > bottom ? (canvas.height - 1) / (top - bottom) : 0;
        const zeroY = top * k, bw = canvas.width / C, lut = LUT[cmapOf(f)];
        ctx.fillStyle = '#15171c'; ctx.fillRect(0, 0, canvas.width, canvas.height);
        for (let c = 0; c < C; c++) {
          const v = V[f][c], [a, b] = rangeOf(f, c), t = $('scale').value === 'layer' || C > 1 ? (cmapOf(f) === 'diverging' ? (v / Math.max(Math.abs(lo), Math.abs(hi)) + 1) / 2 : hi > lo ? (v - lo) / (hi - lo) : 0.5) : b > a ? (v - a) / (b - a) : 0.5;
          const i = Math.max(0, Math.min(255, Math.round(t * 255)));
          ctx.fillStyle = sel && sel.f === f && sel.c === c ? '#00dcff' : 'rgb(' + lut[3 * i] + ',' + lut[3 * i + 1] + ',' + lut[3 * i + 2] + ')';
          const y = zeroY - v * k;
          ctx.fillRect(c * bw, Math.min(y, zeroY), Math.max(1, bw - (bw > 3 ? 1 : 0)), Math.max(1, Math.abs(y - zeroY)));
        }
        ctx.fillStyle = '#888'; ctx.fillRect(0, Math.round(zeroY), canvas.width, 1);
      };
      BARS[f] = paint;
      const at = (e) => Math.min(C - 1, Math.floor((e.offsetX / canvas.clientWidth) * C));
      canvas.addEventListener('mousemove', (e) => { cellInfo(f, at(e), 0, 0); draw(null); });
      canvas.addEventListener('click', (e) => select(f, at(e), 0, 0));
    } else {
      const tiles = el('div', 'tiles');
      let zoom = Math.min(16, Math.max(1 / 8, 2 ** Math.round(Math.log2(160 / Math.max(H, W)))));
      const size = () => TILES[f].forEach((t) => { t.style.width = W * zoom + 'px'; t.style.height = H * zoom + 'px'; });
      const tools = el('span', 'zoom');
      const zin = el('button', null, '+'), zout = el('button', null, '−');
      zin.title = 'larger tiles'; zout.title = 'smaller tiles';
      zin.onclick = () => { zoom = Math.min(16, zoom * 2); size(); };
      zout.onclick = () => { zoom = Math.max(1 / 8, zoom / 2); size(); };
      tools.append('zoom ', zout, zin);
      box.querySelector('.colorbar').append(tools);
      for (let c = 0; c < C; c++) {
        const tile = el('div', 'tile'), canvas = el('canvas');
        canvas.width = W; canvas.height = H; canvas.dataset.channel = c;
        tile.append(canvas, el('div', 'label', fig.names ? fig.names[c] : String(c)));
        tiles.append(tile);
        TILES[f].push(canvas);
        const at = (e) => [Math.min(H - 1, Math.floor((e.offsetY / canvas.clientHeight) * H)), Math.min(W - 1, Math.floor((e.offsetX / canvas.clientWidth) * W))];
        canvas.addEventListener('mousemove', (e) => { const [y, x] = at(e); cellInfo(f, c, y, x); draw(c); });
        canvas.addEventListener('mouseleave', () => draw(null));
        canvas.addEventListener('click', (e) => { const [y, x] = at(e); select(f, c, y, x); });
      }
      size();
      box.append(tiles);
    }
    if (fig.filters) box.append(filterBox(fig));
    return draw;
  }

  function filterBox(fig) {
    const F = fig.filters, box = el('div', 'filters'), n = F.kh * F.kw;
    const more = F.outShown < F.out || F.inShown < F.in ? ' (the first ' + F.outShown + ' of ' + F.out + ' filters' + (F.rgb ? '' : ', ' + F.inShown + ' of ' + F.in + ' input channels') + ')' : '';
    box.append(el('h5', null, 'filters ' + F.kh + 'x' + F.kw + (F.rgb ? ', as colour patches (red, green, blue weights; grey is 0)' : ', a row per filter, a column per input channel (blue < 0 < red)') + more));
    const grid = el('div', F.rgb ? 'filter-row' : 'filter-grid');
    const px = Math.max(4, Math.round(36 / Math.max(F.kh, F.kw)));
    const lut = LUT.diverging;
    for (let o = 0; o < F.outShown; o++) {
      const w = F.weights.slice(o * F.inShown * n, (o + 1) * F.inShown * n);
      const m = Math.max(1e-12, ...w.map(Math.abs));
      const name = F.names ? F.names[o] : String(o);
      const matrix = (i) => (n <= 25 ? '\n' + Array.from({ length: F.kh }, (_, r) => w.slice(i * n + r * F.kw, i * n + (r + 1) * F.kw).join('  ')).join('\n') : '');
      const patch = (i) => {
        const c = el('canvas');
        c.width = F.kw; c.height = F.kh; c.style.width = F.kw * px + 'px'; c.style.height = F.kh * px + 'px';
        const ctx = c.getContext('2d'), img = ctx.createImageData(F.kw, F.kh);
        for (let p = 0; p < n; p++) {
          if (F.rgb) for (let ch = 0; ch < 3; ch++) img.data[4 * p + ch] = Math.round(128 + (127 * w[ch * n + p]) / m);
          else { const t = Math.max(0, Math.min(255, Math.round(((w[i * n + p] / m + 1) / 2) * 255))); img.data[4 * p] = lut[3 * t]; img.data[4 * p + 1] = lut[3 * t + 1]; img.data[4 * p + 2] = lut[3 * t + 2]; }
          img.data[4 * p + 3] = 255;
        }
        ctx.putImageData(img, 0, 0);
        return c;
      };
      if (F.rgb) {
        const cell = el('div', 'filter'), c = patch(0);
        c.title = 'filter ' + name + ' (R, G, B)' + (n <= 25 ? ['R', 'G', 'B'].map((ch, i) => '\n' + ch + ':' + matrix(i)).join('') : '');
        cell.append(c, el('div', 'label', name));
        grid.append(cell);
      } else {
        const row = el('div', 'filter-line');
        row.append(el('span', 'label', name));
        for (let i = 0; i < F.inShown; i++) { const c = patch(i); c.title = 'filter ' + name + ', input channel ' + i + matrix(i); row.append(c); }
        grid.append(row);
      }
    }
    box.append(grid);
    return box;
  }

  const BAR_DRAW = [];
  function redrawAll() {
    D.figures.forEach((fig, f) => { for (let c = 0; c < TILES[f].length; c++) drawTile(f, c); if (BARS[f]) BARS[f](); if (BAR_DRAW[f]) BAR_DRAW[f](null); });
  }

  // The input photo: hover shows the pixel; the receptive field is drawn over it.
  const photo = $('photo'), mask = $('rf-mask');
  mask.width = D.input.width; mask.height = D.input.height;
  $('rf-svg').setAttribute('viewBox', '0 0 ' + D.input.width + ' ' + D.input.height);
  photo.addEventListener('mousemove', (e) => {
    const y = Math.min(D.input.height - 1, Math.floor((e.offsetY / photo.clientHeight) * D.input.height)), x = Math.min(D.input.width - 1, Math.floor((e.offsetX / photo.clientWidth) * D.input.width));
    info.textContent = 'input · y ' + y + ', x ' + x;
  });
  await photo.decode();
  D.figures.forEach((fig, f) => { BAR_DRAW[f] = figureBox(f); });
  redrawAll();
  $('cmap').addEventListener('change', redrawAll);
  $('scale').addEventListener('change', redrawAll);
  document.documentElement.dataset.ready = 'true';
})().catch((error) => {
  document.documentElement.dataset.error = String(error);
  const p = document.createElement('p');
  p.className = 'error';
  p.textContent = 'cnnx report: cannot draw the maps: ' + error;
  document.body.prepend(p);
});
`;
