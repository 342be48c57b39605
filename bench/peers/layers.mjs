// Where cnnx's fast engine stands against native onnxruntime layer by layer: each of cnnx's steps (its fused layers) beside
// the onnxruntime-node kernels that compute the same layers, from each side's own profiler, in the same process.
//
//   node layers.mjs [--workloads W1,W2] [--threads 2] [--runs 15]
//
// cnnx: the engine's profiled runs (engine.profile: each step's phases timed by the workers). onnxruntime-node: its
// session profiler (enableProfiling), each kernel's time. A kernel is matched to cnnx's step by the layer its node is
// named after (cnnx's ONNX export names each node by the layer's path, layers[i]; onnxruntime keeps that name through
// its fusions, with a suffix); kernels of no layer (layout reorders) are listed apart. Runs alternate between the two,
// each after a pause as in run.mjs; medians per step. Profiling costs both sides a little: the whole-network ratio of
// run.mjs is the one to quote, this splits it.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { importFastEngine, median, option, wholeMapRun } from '../engine.mjs';
import { saveResults } from '../results.mjs';
import { checkWorkloadId, inputFor, workloadById } from '../workloads.mjs';
import { exportModel } from './contenders.mjs';

/** Before every run, as in bench/peers/run.mjs: onnxruntime's threads spin for a while after a run and would slow cnnx's. */
const PAUSE_MS = 150;
const argv = process.argv.slice(2);
const ids = option(argv, '--workloads', 'W1,W2').split(',');
const threads = Number(option(argv, '--threads', '2'));
const runs = Number(option(argv, '--runs', '15'));
ids.forEach(checkWorkloadId);

const require = createRequire(import.meta.url);
let ort;
try {
  ort = require('onnxruntime-node');
} catch {
  console.error('layers: onnxruntime-node is not installed; run `cd bench/peers && ONNXRUNTIME_NODE_INSTALL=skip npm ci` first');
  process.exit(1);
}
const { FastEngine, fullShapes, relaxedSimdAvailable } = await importFastEngine('layers');
const engine = await FastEngine.create(threads, 'auto', relaxedSimdAvailable());
engine.profile = true;

const pause = () => new Promise((resolve) => setTimeout(resolve, PAUSE_MS));

const results = [];
for (const id of ids) {
  const w = workloadById(id);
  const input = inputFor(w);
  const { band, rows, outputs } = wholeMapRun(w, fullShapes);
  const dir = mkdtempSync(join(os.tmpdir(), 'cnnx-layers-'));
  const session = await ort.InferenceSession.create(await exportModel(w.net, input), {
    executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
    enableProfiling: true, profileFilePrefix: join(dir, 'ort'),
  });
  const feed = { input: new ort.Tensor('float32', input.data, [1, input.channels, input.height, input.width]) };
  const cnnxRuns = [];
  for (let r = 0; r < runs + 2; r++) {
    await pause();
    const [out] = await engine.run(w.net, band, rows, outputs);
    engine.recycle(out.tensor.data);
    if (r >= 2) cnnxRuns.push(engine.lastTimings);
    await pause();
    await session.run(feed);
  }
  session.endProfiling();
  const file = readdirSync(dir).find((f) => f.endsWith('.json'));
  const events = JSON.parse(readFileSync(join(dir, file), 'utf8')).filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
  await session.release();
  rmSync(dir, { recursive: true, force: true });

  // Kernel times per run: a run is one pass over the graph's kernels, in order; the first two are warm-up.
  const paths = new Map(w.net.layers.map((l, i) => [l.path, i]));
  const names = [...new Set(events.map((e) => e.name))];
  const kernels = names.map((name) => {
    const times = events.filter((e) => e.name === name).slice(2).map((e) => e.dur / 1000);
    const node = name.slice(0, -'_kernel_time'.length);
    const layer = [...paths.keys()].filter((p) => node === p || node.startsWith(`${p}_`) || node.startsWith(`${p}.`)).sort((a, b) => b.length - a.length)[0];
    return { node, op: events.find((e) => e.name === name).args?.op_name ?? '?', ms: median(times), layer: layer === undefined ? (node === 'output' || node.startsWith('output_') ? w.net.layers.length - 1 : -1) : paths.get(layer) };
  });
  const steps = cnnxRuns[0].map((s, k) => ({ label: s.label, first: s.first, last: s.last, ms: median(cnnxRuns.map((t) => t[k].ms)) }));
  console.log(`\n${id} ${w.title}, ${threads} threads, medians of ${runs} alternating runs`);
  console.log(`${'cnnx step'.padEnd(52)} ${'cnnx ms'.padStart(8)} ${'native ms'.padStart(10)} ${'cnnx / native'.padStart(14)}  onnxruntime kernels`);
  let cnnxTotal = 0;
  let nativeTotal = 0;
  const rowsOut = [];
  for (const s of steps) {
    const mine = kernels.filter((k) => k.layer >= s.first && k.layer <= s.last);
    const native = mine.reduce((a, k) => a + k.ms, 0);
    cnnxTotal += s.ms;
    nativeTotal += native;
    rowsOut.push({ step: s.label, cnnxMs: s.ms, nativeMs: native, kernels: mine.map((k) => ({ node: k.node, op: k.op, ms: k.ms })) });
    const ratio = native > 0 ? (native / s.ms).toFixed(2) + 'x' : '-';
    console.log(`${s.label.padEnd(52)} ${s.ms.toFixed(2).padStart(8)} ${native.toFixed(2).padStart(10)} ${ratio.padStart(14)}  ${mine.map((k) => k.op).join(', ')}`);
  }
  const apart = kernels.filter((k) => k.layer < 0);
  const apartMs = apart.reduce((a, k) => a + k.ms, 0);
  if (apart.length) console.log(`${'(onnxruntime kernels of no layer)'.padEnd(52)} ${''.padStart(8)} ${apartMs.toFixed(2).padStart(10)} ${''.padStart(14)}  ${apart.map((k) => k.op).join(', ')}`);
  results.push({ workload: id, steps: rowsOut, apart: apart.map((k) => ({ node: k.node, op: k.op, ms: k.ms })), cnnxMs: cnnxTotal, nativeMs: nativeTotal + apartMs });
  console.log(`${'total'.padEnd(52)} ${cnnxTotal.toFixed(2).padStart(8)} ${(nativeTotal + apartMs).toFixed(2).padStart(10)} ${((nativeTotal + apartMs) / cnnxTotal).toFixed(2).padStart(13)}x`);
}
await engine.close();
console.log(`results: ${await saveResults('layers', { threads, runs, pauseMs: PAUSE_MS, results })}`);
