#!/usr/bin/env node
// 2-D Winograd with 4x4 tiles (F(4x4,3x3)) against 6x6 tiles (F(6x6,3x3)) on single 3x3 conv + ReLU layers, beside the cost
// model the fast engine chooses by (wideTilesPay in src/engine/tiles.ts): whether the model picks the faster one. Both run on
// the same engine, forced by CNNX_WINOGRAD_TILE, in interleaved rounds (order alternating); the conv step's time from the
// engine's profile, medians of the paired ratios.
//
//   node bench/winograd-tiles.mjs [--threads 2] [--rounds 15] [--json]
import { saveResults } from './results.mjs';
import { conv2d, relu, rng } from './workloads.mjs';

const root = new URL('../', import.meta.url);
const { FastEngine } = await import(new URL('dist/engine/fast/index.js', root).href);
const { stackNetwork } = await import(new URL('dist/network/tree.js', root).href);
const { runNetwork } = await import(new URL('dist/network/run.js', root).href);
const { tensor } = await import(new URL('dist/engine/tensor.js', root).href);
const { wideTilesPay, winogradSpeedup } = await import(new URL('dist/engine/tiles.js', root).href);

const argv = process.argv.slice(2);
const opt = (name, def) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : def);
const threads = opt('--threads', 2);
const rounds = opt('--rounds', 15);
const json = argv.includes('--json');

/** [in, out, height, width]: VGG16's stages at 224 (and its layers that widen), ResNet's 3x3 convs at 224 and at 480x640, and maps around the model's margin. */
const SHAPES = [
  [64, 64, 224, 224], [128, 128, 112, 112], [256, 256, 56, 56], [512, 512, 28, 28], [512, 512, 14, 14],
  [64, 64, 56, 56], [128, 128, 28, 28], [64, 64, 120, 160], [128, 128, 60, 80], [256, 256, 30, 40], [512, 512, 15, 20],
  [32, 64, 256, 256], [128, 128, 64, 64], [64, 64, 40, 40], [256, 256, 24, 24],
  [64, 128, 112, 112], [128, 256, 56, 56], [256, 512, 28, 28],
];

const engine = await FastEngine.create(threads, 'auto');
engine.profile = true;
const cases = SHAPES.map(([cin, cout, h, w]) => {
  const r = rng(cin + h);
  const net = stackNetwork({ name: 'tile', file: '<bench>', input: { channels: cin, mean: null, std: null, resize: null } }, [conv2d(0, cin, cout, 3, r, { padding: 1 }), relu(1)]);
  const input = tensor(cin, h, w, Float32Array.from({ length: cin * h * w }, () => r() - 0.5));
  // One network object per tile size: the engine keeps one plan per network and input, so each run plans anew for its tiles.
  return { cin, cout, h, w, nets: { 4: net, 6: { ...net } }, input };
});

/** One run of case c with tiles of `tile`: its milliseconds (the conv step's, from the engine's profile) and its step label. */
async function timed(c, tile) {
  process.env.CNNX_WINOGRAD_TILE = String(tile);
  const out = await runNetwork(engine, c.nets[tile], c.input, [{ label: 'o', node: 1 }], 'x');
  engine.recycle?.(out[0].tensor.data);
  const step = engine.lastTimings[0];
  return { ms: step.ms, label: step.label };
}

const rows = [];
try {
  for (const c of cases) {
    for (let i = 0; i < 2; i++) for (const tile of [4, 6]) await timed(c, tile);
    const ms = { 4: [], 6: [] };
    const ratios = [];
    const labels = {};
    for (let i = 0; i < rounds; i++) {
      const t = {};
      for (const tile of i % 2 ? [4, 6] : [6, 4]) {
        const run = await timed(c, tile);
        t[tile] = run.ms;
        ms[tile].push(run.ms);
        labels[tile] = run.label;
      }
      ratios.push(t[4] / t[6]);
    }
    if (!labels[4].includes('[winograd2d]') || !labels[6].includes('[winograd2d_wide]')) throw new Error(`tiles not forced: ${labels[4]}, ${labels[6]}`);
    const med = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
    const measured = med(ratios);
    const picks = wideTilesPay(c.cin, c.cout, c.h, c.w);
    rows.push({
      shape: `${c.cin}->${c.cout} ${c.h}x${c.w}`, ms4: Number(med(ms[4]).toFixed(2)), ms6: Number(med(ms[6]).toFixed(2)),
      measured: Number(measured.toFixed(3)), modelled: Number(winogradSpeedup(c.cin, c.cout, c.h, c.w).toFixed(3)), picks: picks ? 6 : 4, right: picks === measured > 1,
    });
  }
} finally {
  delete process.env.CNNX_WINOGRAD_TILE;
  await engine.close();
}

const file = await saveResults('winograd-tiles', { threads, rounds, rows });
if (json) console.log(JSON.stringify(rows, null, 2));
else {
  console.log(`3x3 conv + ReLU, ${threads} threads, ${rounds} interleaved rounds: F(4x4) ms / F(6x6) ms (> 1: 6x6 tiles faster)`);
  console.log('layer                     4x4 ms   6x6 ms   measured  modelled  picks');
  for (const r of rows) console.log(`${r.shape.padEnd(24)} ${r.ms4.toFixed(2).padStart(7)}  ${r.ms6.toFixed(2).padStart(7)}   ${r.measured.toFixed(3).padStart(7)}   ${r.modelled.toFixed(3).padStart(7)}   ${r.picks}x${r.picks}${r.right ? '' : '  (the slower)'}`);
  console.log(`the model picks the faster tiles on ${rows.filter((r) => r.right).length} of ${rows.length}`);
  console.log(`results: ${file}`);
}
