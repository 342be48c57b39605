// cnnx against onnxruntime-node, onnxruntime-web and TF.js wasm on W1-W5: same weights, same input, outputs checked, ratios printed.
//
//   node run.mjs [--workloads W1,W2,W3,W4,W5] [--contenders cnnx-fast,ort-node,...] [--threads 2]
//                [--runs 10] [--warmup 2] [--max-seconds 20] [--reference-runs 1] [--reuse-outputs] [--json] [--save-models]
//                [--busy-nice N]
//
// Each contender runs in its own child process (its own peak RSS), prepared and warmed up one at a
// time; then the timed runs go in rounds, one run of each contender per round, in an order that
// rotates, with a pause before each run so the previous contender's idle threads (ORT spins) settle.
// The host's slow and fast phases (minutes long, up to 2.5x apart here) then fall on every contender
// alike, so the ratios hold even when the absolute times drift. For the targets against native
// onnxruntime, the f32x4 ceiling (bench/ceiling.mjs) is measured first, and an `arithmetic:` line gives
// the least time cnnx's routines' multiply-adds (bench/arithmetic.mjs) take at it, against cnnx's median
// and against the time the target allows.
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { algorithmMacs, floorMs } from '../arithmetic.mjs';
import { busyPlacement, startBusyLoop } from '../busy-loop.mjs';
import { measureCeilingApart } from '../ceiling.mjs';
import { saveResults } from '../results.mjs';
import { checkWorkloadId, convMacs, inputFor, workloadById } from '../workloads.mjs';
import { CONTENDERS, DIST, exportModel, importDist } from './contenders.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ALL_CONTENDERS = ['cnnx-reference', 'cnnx-fast', 'ort-node', 'ort-web', 'tfjs-wasm'];
const PEERS = ['ort-node', 'ort-web', 'tfjs-wasm'];

/**
 * cnnx's fast engine and the peers. The reference engine (the oracle) is opt-in: its naive
 * loops take ~40 s on W1 and minutes on W2. Without a built fast engine it stands in for cnnx.
 */
function defaultContenders() {
  const fast = existsSync(join(DIST, 'engine', 'fast', 'index.js'));
  return [fast ? 'cnnx-fast' : 'cnnx-reference', ...PEERS];
}

function parseArgs(argv) {
  const opts = {
    workloads: ['W1', 'W2', 'W3', 'W4', 'W5'], contenders: defaultContenders(), threads: 2, runs: 10, warmup: 2,
    maxSeconds: 20, referenceRuns: 1, reuse: false, json: false, saveModels: false, child: null, busyNice: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--workloads') opts.workloads = value().split(',');
    else if (a === '--contenders') opts.contenders = value().split(',');
    else if (a === '--threads') opts.threads = Number(value());
    else if (a === '--runs') opts.runs = Number(value());
    else if (a === '--warmup') opts.warmup = Number(value());
    else if (a === '--max-seconds') opts.maxSeconds = Number(value());
    else if (a === '--reference-runs') opts.referenceRuns = Number(value());
    else if (a === '--reuse-outputs') opts.reuse = true;
    else if (a === '--json') opts.json = true;
    else if (a === '--save-models') opts.saveModels = true;
    else if (a === '--busy-nice') {
      opts.busyNice = Number(value());
      if (!Number.isInteger(opts.busyNice) || opts.busyNice < -20 || opts.busyNice > 19) throw new Error(`--busy-nice needs a nice level, an integer from -20 to 19`);
    }
    else if (a === '--child') opts.child = JSON.parse(value());
    else if (a === '--help' || a === '-h') opts.help = true;
    else throw new Error(`unknown option ${a} (see the header of bench/peers/run.mjs)`);
  }
  for (const c of opts.contenders) if (!CONTENDERS[c]) throw new Error(`unknown contender ${c}; known: ${ALL_CONTENDERS.join(', ')}`);
  return opts;
}

// ---- workloads: the one definition in bench/workloads.mjs (also used by `npm run bench`) ----

/** Builds one workload (VGG's weights take a moment: build only what runs). */
function loadWorkload(id) {
  const w = workloadById(id);
  return { ...w, shape: w.input };
}

/** Output shape from cnnx's shape inference; 2 x conv MACs (direct convolution) from bench/workloads.mjs. */
async function describeWork(workload) {
  const { inferShapes } = await importDist('network/shapes.js');
  const shapes = inferShapes(workload.net, workload.shape, 'bench input');
  return { flop: 2 * convMacs(workload), outShape: shapes[shapes.length - 1], shapes };
}

/**
 * The multiply-adds cnnx's fast engine issues for the workload (the routines it picks, bench/arithmetic.mjs)
 * and the least time they take at this host's f32x4 ceiling on `threads` threads (bench/ceiling.mjs): what a
 * target against native code asks of cnnx in terms of the CPU's 128-bit arithmetic.
 */
async function arithmeticOf(workload, shapes, ceiling) {
  const { routineFor } = await importDist('engine/fast/routines/index.js');
  const { outputRowTile } = await importDist('engine/tiles.js');
  const macs = algorithmMacs(workload, shapes, routineFor, outputRowTile).reduce((a, b) => a + b, 0);
  return { macs, ceilingGflops: ceiling.gflops, fma: ceiling.fma, threads: ceiling.threads, floorMs: floorMs(macs, ceiling.gflops) };
}

/** The f32x4 ceiling cnnx's fast engine runs against: fused multiply-adds where relaxed SIMD validates, as createEngine picks. */
async function ceilingFor(threads, opts) {
  const { relaxedSimdAvailable } = await importDist('wasm/features.js');
  const fma = relaxedSimdAvailable();
  try {
    const c = measureCeilingApart(threads);
    return { fma, threads, gflops: threads === 1 ? (fma ? c.fma : c).single : (fma ? c.fma : c).parallel };
  } catch (error) {
    progress(opts, `the f32x4 ceiling could not be measured (${error.message.split('\n')[0]}): no arithmetic lines`);
    return null;
  }
}

// ---- child: one contender on one workload, driven by the parent ----

/** Prepares and warms up, says 'ready', then times one run per 'run' message; 'finish' returns the output. */
async function runChild(job) {
  const workload = loadWorkload(job.workload);
  const input = inputFor(workload);
  // The ONNX model is made only for the peers that need it, in memory.
  const ctx = { net: workload.net, input, threads: job.threads, reuse: job.reuse, onnx: () => exportModel(workload.net, workload.shape) };
  const prepared = await CONTENDERS[job.contender].prepare(ctx);
  for (let i = 0; i < job.warmup; i++) await prepared.run();
  process.on('message', async (m) => {
    try {
      if (m.type === 'run') {
        const t0 = performance.now();
        await prepared.run();
        process.send({ type: 'time', ms: performance.now() - t0 });
      } else if (m.type === 'finish') {
        const output = prepared.output();
        await prepared.close();
        process.send({ type: 'result', output, note: prepared.note, peakRssMB: process.resourceUsage().maxRSS / 1024 }, () => process.exit(0));
      }
    } catch (error) {
      process.send({ type: 'error', error: errorText(error) }, () => process.exit(1));
    }
  });
  process.send({ type: 'ready' });
}

const errorText = (error) => error?.stack?.split('\n').slice(0, 3).join(' | ') ?? String(error);

/**
 * Starts one contender in a fresh process and waits until it is warmed up. Returns { run() -> ms,
 * finish() -> { output, note, peakRssMB } } (both reject with the child's error), or { error }.
 */
function startContender(job) {
  const child = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(job)], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let waiting = null;
  const fail = (error) => {
    const w = waiting;
    waiting = null;
    w?.reject(new Error(error));
  };
  child.on('message', (m) => {
    const w = waiting;
    waiting = null;
    if (m.type === 'error') w?.reject(new Error(m.error));
    else w?.resolve(m);
  });
  child.on('exit', (code, signal) => fail(`exited with ${signal ?? code}: ${lastLines(stderr)}`));
  const next = () => new Promise((resolve, reject) => (waiting = { resolve, reject }));
  const ask = (type) => {
    const reply = next();
    child.send({ type });
    return reply;
  };
  return next().then(
    () => ({ run: async () => (await ask('run')).ms, finish: () => ask('finish') }),
    (error) => ({ error: error.message }),
  );
}

function lastLines(text) {
  return text.trim().split('\n').slice(-3).join(' | ').slice(0, 400) || 'no message';
}

// ---- parent: orchestration, checks, report ----

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function compare(output, oracle) {
  if (output.length !== oracle.length) return { maxAbsErr: Infinity, relErr: Infinity, mismatch: `${output.length} values vs ${oracle.length}` };
  let err = 0;
  let scale = 0;
  for (let i = 0; i < oracle.length; i++) {
    err = Math.max(err, Math.abs(output[i] - oracle[i]));
    scale = Math.max(scale, Math.abs(oracle[i]));
  }
  return { maxAbsErr: err, relErr: scale > 0 ? err / scale : err };
}

async function benchWorkload(workload, opts, ceiling) {
  const { flop, outShape, shapes } = await describeWork(workload);
  if (opts.saveModels) await saveModel(workload);
  const results = [];
  const live = [];
  for (const id of opts.contenders) {
    const reference = id === 'cnnx-reference';
    const job = { contender: id, workload: workload.id, threads: reference ? 1 : opts.threads, warmup: reference ? 0 : opts.warmup, reuse: opts.reuse };
    progress(opts, `${workload.id}: ${CONTENDERS[id].label}: preparing...`);
    const handle = await startContender(job);
    const r = { contender: id, label: CONTENDERS[id].label, version: CONTENDERS[id].version(), times: [], handle, reference };
    if (handle.error) r.error = handle.error;
    results.push(r);
    if (!handle.error) live.push(r);
  }
  // Rounds: one timed run per contender each, the order rotating; the slow reference engine (opt-in)
  // stops after --reference-runs, the rest once any has spent --max-seconds (after 3 rounds).
  const spent = (r) => r.times.reduce((a, t) => a + t, 0) / 1000;
  for (let round = 0; round < opts.runs; round++) {
    if (round >= 3 && live.some((r) => !r.reference && spent(r) > opts.maxSeconds)) break;
    progress(opts, `${workload.id}: round ${round + 1} of ${opts.runs}`);
    for (let k = 0; k < live.length; k++) {
      const r = live[(round + k) % live.length];
      if (r.error || (r.reference && r.times.length >= opts.referenceRuns)) continue;
      await new Promise((resolve) => setTimeout(resolve, 150));
      try {
        r.times.push(await r.handle.run());
      } catch (error) {
        r.error = error.message;
      }
    }
  }
  for (const r of live) {
    if (r.error) continue;
    try {
      Object.assign(r, await r.handle.finish());
    } catch (error) {
      r.error = error.message;
    }
  }
  for (const r of results) {
    delete r.handle;
    delete r.reference;
    delete r.type;
  }
  // cnnx's reference engine is the definition of correct; without it, the fast engine's output is the
  // yardstick; with no cnnx output at all, the peers are still checked against each other.
  const oracle = ['cnnx-reference', 'cnnx-fast', ...PEERS].map((id) => results.find((r) => r.contender === id && r.output)).find(Boolean);
  for (const r of results) {
    if (r.error) continue;
    r.medianMs = median(r.times);
    r.minMs = Math.min(...r.times);
    r.maxMs = Math.max(...r.times);
    r.gflops = flop / (r.medianMs / 1000) / 1e9;
    if (oracle) Object.assign(r, compare(r.output, oracle.output));
  }
  const cnnx = results.find((r) => r.contender === 'cnnx-fast' && !r.error) ?? results.find((r) => r.contender === 'cnnx-reference' && !r.error);
  const ratios = {};
  if (cnnx) for (const r of results) if (PEERS.includes(r.contender) && !r.error) ratios[r.contender] = r.medianMs / cnnx.medianMs;
  const arithmetic = ceiling && cnnx?.contender === 'cnnx-fast' ? await arithmeticOf(workload, shapes, ceiling) : null;
  return {
    id: workload.id, title: workload.title, input: workload.shape, output: outShape, gflop: flop / 1e9,
    oracle: oracle?.contender ?? null, ratioBase: cnnx?.contender ?? null, results, ratios, targets: TARGETS[workload.id] ?? {}, arithmetic,
  };
}

async function saveModel(workload) {
  const dir = join(here, '..', 'models');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${workload.id}.onnx`), await exportModel(workload.net, workload.shape));
}

function progress(opts, text) {
  if (!opts.json) process.stderr.write(`${text}\n`);
}

const shapeText = (s) => `${s.channels}x${s.height}x${s.width}`;
const fmt = (x, digits = 1) => (x === undefined ? '-' : x.toFixed(digits));
const expo = (x) => (x === undefined ? '-' : x === 0 ? '0' : x.toExponential(1));

/**
 * The speed targets of the fast-engine issues: cnnx's minimum speedup over a peer (below 1: the share of a
 * native peer's speed), and `spread`: the most cnnx's median may exceed its fastest run by.
 */
const TARGETS = {
  W1: { 'ort-web': 2, 'tfjs-wasm': 3, 'ort-node': 0.8 },
  W2: { 'ort-web': 3.5, 'tfjs-wasm': 3, 'ort-node': 0.8 },
  W3: { 'ort-web': 2, spread: 1.25 },
  W4: { 'ort-web': 2, 'tfjs-wasm': 3 },
  W5: { 'ort-web': 2, 'tfjs-wasm': 3 },
};

function targetLine(w) {
  const parts = Object.entries(TARGETS[w.id] ?? {}).map(([peer, min]) => {
    if (peer === 'spread') {
      const cnnx = w.results.find((r) => r.contender === w.ratioBase);
      const got = cnnx?.medianMs / cnnx?.minMs;
      return `median <= ${min}x min: ${Number.isFinite(got) ? `${got.toFixed(2)}x ${got <= min ? 'met' : 'MISSED'}` : 'not measured'}`;
    }
    const got = w.ratios[peer];
    const verdict = got === undefined ? 'not measured' : `${got.toFixed(2)}x ${got >= min ? 'met' : 'MISSED'}`;
    return `>= ${min}x ${CONTENDERS[peer].label}: ${verdict}`;
  });
  return parts.length ? `targets: ${parts.join('; ')}` : '';
}

/**
 * For a target against native onnxruntime: cnnx's multiply-adds at the f32x4 ceiling, the share of that ceiling
 * cnnx ran at, and the share the target needs (native code has wider vectors; cnnx has to make it up in fewer
 * multiplies and in how close to the ceiling it runs).
 */
function arithmeticLine(w) {
  const a = w.arithmetic;
  const min = w.targets['ort-node'];
  const cnnx = w.results.find((r) => r.contender === w.ratioBase);
  const native = w.results.find((r) => r.contender === 'ort-node' && !r.error);
  if (!a || !min || !cnnx || !native) return '';
  const needMs = native.medianMs / min;
  const share = (ms) => `${Math.round((100 * a.floorMs) / ms)}%`;
  return `arithmetic: cnnx's routines do ${(a.macs / 1e9).toFixed(2)} G multiply-adds: ${a.floorMs.toFixed(1)} ms at this host's f32x4 ${a.fma ? 'fused multiply-add' : 'mul + add'} ceiling (${a.ceilingGflops} GFLOP/s on ${a.threads} thread${a.threads > 1 ? 's' : ''}, measured before the rounds), ${share(cnnx.medianMs)} of cnnx's median; ${min}x ${CONTENDERS['ort-node'].label} needs <= ${needMs.toFixed(1)} ms, the whole network at ${share(needMs)} of the ceiling`;
}

function printWorkload(w, opts) {
  console.log(`\n${w.id} ${w.title}: ${shapeText(w.input)} -> ${shapeText(w.output)}, ${w.gflop.toFixed(2)} GFLOP (2 x conv MACs, direct), ${opts.threads} threads`);
  const header = ['contender', 'version', 'median ms', 'min..max ms (runs)', 'GFLOP/s', 'max|err|', 'rel err', 'cnnx speedup', 'peak RSS MB', 'note'];
  const rows = w.results.map((r) => r.error
    ? [r.label, r.version, 'FAILED', '', '', '', '', '', '', r.error]
    : [r.label, r.version, fmt(r.medianMs), `${fmt(r.minMs)}..${fmt(r.maxMs)} (${r.times.length})`, fmt(r.gflops),
      r.contender === w.oracle ? 'yardstick' : expo(r.maxAbsErr), r.contender === w.oracle ? '' : expo(r.relErr),
      w.ratios[r.contender] ? `${w.ratios[r.contender].toFixed(2)}x` : '', fmt(r.peakRssMB, 0), r.note]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === cells.length - 1 ? c : String(c).padEnd(widths[i]))).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  console.log(w.oracle ? `errors: against ${CONTENDERS[w.oracle].label}'s output (rel = max|err| / max|output|)` : 'errors: no cnnx output to check against');
  if (w.ratioBase) console.log(`cnnx speedup: peer median / ${CONTENDERS[w.ratioBase].label} median (above 1: cnnx is faster)`);
  if (w.ratioBase === 'cnnx-fast' && opts.threads === 2) {
    console.log(targetLine(w));
    const arithmetic = arithmeticLine(w);
    if (arithmetic) console.log(arithmetic);
  }
}

function printHelp() {
  console.log(`usage: node run.mjs [options]   (from bench/peers/, after the root's npm run build)
  --workloads W1,...,W5    which workloads (default all)
  --contenders LIST        of ${ALL_CONTENDERS.join(', ')}
                           (default: cnnx-fast, or cnnx-reference if no fast engine is built, and the three peers)
  --threads N              threads for cnnx fast, onnxruntime-node and onnxruntime-web (default 2)
  --runs N --warmup N      rounds of timed runs, one run of each contender per round (median reported),
                           and untimed warm-up runs per contender (default 10, 2)
  --max-seconds S          stop the rounds once a contender has spent S seconds in timed runs, after 3 rounds (default 20)
  --reference-runs N       timed runs of the slow reference engine (default 1, no warm-up)
  --reuse-outputs          each contender hands its output memory back for the next run where its library can
                           (cnnx: engine.recycle; onnxruntime-node: a pre-allocated output tensor;
                           onnxruntime-web and TF.js cannot),
                           as a loop over many inputs would: fresh output pages cost a fault per 4 KiB
  --save-models            also write the generated ONNX models to bench/models/ (git-ignored)
  --busy-nice N            run everything while another process keeps one core busy: a loop at nice N
                           (10: a background job, 0: an equal), pinned to the last core where taskset exists
  --json                   print one JSON report on stdout instead of tables
  CNNX_DIST=dir            use cnnx's built JS from dir instead of ../../dist`);
}

function machine() {
  const cpus = os.cpus();
  return { cpu: cpus[0]?.model ?? '?', cores: cpus.length, node: process.version, platform: `${process.platform}-${process.arch}`, loadStart: os.loadavg()[0] };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) return printHelp();
  if (opts.child) {
    await runChild(opts.child).catch((error) => process.send({ type: 'error', error: errorText(error) }, () => process.exit(1)));
    return;
  }
  opts.workloads.forEach(checkWorkloadId); // fail on a typo before minutes of work
  // Measured before the rounds (and any busy loop), for the targets against native code.
  const nativeTargets = opts.contenders.includes('cnnx-fast') && opts.contenders.includes('ort-node') && opts.workloads.some((id) => TARGETS[id]?.['ort-node']);
  const ceiling = nativeTargets ? await ceilingFor(opts.threads, opts) : null;
  const busy = opts.busyNice === null ? null : { nice: opts.busyNice, placement: busyPlacement };
  const report = { machine: machine(), threads: opts.threads, reuseOutputs: opts.reuse, busy, dist: DIST, workloads: [] };
  const stopBusy = busy === null ? () => {} : await startBusyLoop(busy.nice);
  try {
    for (const id of opts.workloads) {
      const result = await benchWorkload(loadWorkload(id), opts, TARGETS[id]?.['ort-node'] ? ceiling : null);
      report.workloads.push(result);
      if (!opts.json) printWorkload(result, opts);
    }
  } finally {
    stopBusy();
  }
  // Other work skews medians: the load average before the run says how much (after it, it includes our own threads).
  report.machine.loadEnd = os.loadavg()[0];
  for (const w of report.workloads) for (const r of w.results) delete r.output;
  const file = await saveResults('peers', { ...report, runs: opts.runs });
  if (opts.json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    const { cpu, cores, node, loadStart, loadEnd } = report.machine;
    const loaded = loadStart > 0.5 ? ': the machine was busy before the run, medians are skewed' : '';
    console.log(`\n${cpu}, ${cores} cores, Node ${node}; 1-minute load average ${loadStart.toFixed(2)} before, ${loadEnd.toFixed(2)} after${loaded}`);
    if (busy !== null) console.log(`one core busy throughout: a loop at nice ${busy.nice}, ${busy.placement}`);
    console.log(`results: ${file}`);
  }
}

main().catch((error) => {
  console.error(`bench/peers: ${error.message}`);
  process.exit(1);
});
