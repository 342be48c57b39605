#!/usr/bin/env node
// `npm run bench`: the fast engine on W1-W5 at 1 and 2 threads: median ms, effective GFLOP/s (2 x direct-conv MACs / wall time),
// from separate profiled runs the per-step split (with each step's share of the ceiling in the multiply-adds its routine
// does), the least time the network's arithmetic takes at the ceiling, and from runs the workers time themselves where
// their time goes (items, barriers, waking), and what bounds the 1 -> 2 scaling on this host at the time (the register ceiling
// on 1 and 2 threads, each CPU's speed at W1), and each engine's first run (planning and packing included). Outputs are
// handed back (engine.recycle), as a batch run does.
// Usage: node bench/run.mjs [--json] [--runs N] [--threads 1,2] [--only W1,W3] [--algorithm auto|direct|winograd|winograd-x] [--no-fma]
import os from 'node:os';
import { algorithmMacs, floorMs } from './arithmetic.mjs';
import { measureCeilingApart } from './ceiling.mjs';
import { coresText, measureCores } from './cores.mjs';
import { importFastEngine, median, option, wholeMapRun } from './engine.mjs';
import { saveResults } from './results.mjs';
import { convMacs, layerMacs, workloadsOf } from './workloads.mjs';

const { FastEngine, fullShapes, relaxedSimdAvailable, routineFor, outputRowTile } = await importFastEngine('bench');

const argv = process.argv.slice(2);
const opt = (name, def) => option(argv, name, def);
const json = argv.includes('--json');
const runs = Number(opt('--runs', '7'));
const threadList = opt('--threads', '1,2').split(',').map(Number);
const only = opt('--only', 'W1,W2,W3,W4,W5').split(',');
const algorithm = opt('--algorithm', 'auto');

const header = {
  machine: `${os.cpus()[0]?.model ?? 'unknown'} x ${os.availableParallelism()}`,
  node: process.version,
  threads: threadList,
  runs,
  loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
  // Fused multiply-adds, the engine's default (on Node 20 by the V8 flag it sets); `--no-fma` measures the multiply-then-add kernels.
  fma: !argv.includes('--no-fma') && relaxedSimdAvailable(),
};
if (!json) {
  console.log(`cnnx bench: fast engine, micro-kernels ${header.fma ? 'fused multiply-add (relaxed SIMD)' : 'multiply, then add'}`);
  console.log(`machine ${header.machine}, Node ${header.node}, threads ${threadList.join(' and ')}, ${runs} runs (median), load average ${header.loadavg.join(' ')}`);
}

// The machine's ceiling (a register-only f32x4 loop, bench/ceiling.mjs), before and after: the most any
// micro-kernel of the arithmetic in use can do here, and the best 1 -> N scaling this host allows at that moment.
const top = Math.max(...threadList);
const ceilings = [measureCeilingApart(top)];
/** The ceiling of the arithmetic the engine runs (fused or multiply-then-add), and its text. */
const inUse = (c) => (header.fma ? c.fma : c);
const ceilingText = (c) => `f32x4 ${header.fma ? 'fused multiply-add' : 'mul + add'} (registers and L1) ${inUse(c).single} GFLOP/s on 1 thread, ${inUse(c).parallel} on ${top} (${inUse(c).ratio}x); ${header.fma ? 'mul + add' : 'fused'} ${(header.fma ? c : c.fma).single} on 1`;
if (!json) console.log(`ceiling before: ${ceilingText(ceilings[0])}`);
// Each CPU's speed at the engine's own work (bench/cores.mjs), before and after: unequal vCPUs bound the 1 -> N scaling
// below the ceiling's ratio, which a loop in registers does not show.
const cores = top > 1 ? [measureCores()] : [];
if (!json && top > 1) console.log(`cores before: ${coresText(cores[0], top)}`);

// Every thread count runs each workload in the same rounds, alternating run by run: this host has slow and fast
// phases lasting minutes, and alternating puts each thread count in the same phases, so the ratios hold.
const engines = [];
for (const threads of threadList) {
  const engine = await FastEngine.create(threads, algorithm, header.fma);
  engines.push({ threads, engine });
}
const results = [];
/** Profiled runs per workload and thread count, after the timed ones: their step times are medians of these. */
const PROFILED_RUNS = 5;
/** Runs whose workers time their share (engine.timeThreads), after the profiled ones: medians of these. */
const THREAD_RUNS = Math.max(5, runs);
for (const w of workloadsOf(only)) {
  const { rows, band, outputs } = wholeMapRun(w, fullShapes);
  const per = engines.map(() => ({ times: [], steps: new Map(), items: [], waits: [], wakes: [] }));
  // The first run plans, packs the weights and touches fresh pages: what one image from the shell pays on top.
  const firstMs = [];
  for (const { engine } of engines) {
    const t0 = performance.now();
    const [out] = await engine.run(w.net, band, rows, outputs);
    firstMs.push(performance.now() - t0);
    engine.recycle(out.tensor.data);
  }
  // Timed runs as `cnnx apply` runs them (all phases in one message to the workers), then profiled runs for the
  // per-step split (a message round trip per phase, which the step times include and the totals above do not).
  for (let r = 0; r < runs + PROFILED_RUNS; r++) {
    for (const [k, { engine }] of engines.entries()) {
      engine.profile = r >= runs;
      const t0 = performance.now();
      const [out] = await engine.run(w.net, band, rows, outputs);
      if (!engine.profile) per[k].times.push(performance.now() - t0);
      engine.recycle(out.tensor.data);
      if (!engine.profile) continue;
      for (const s of engine.lastTimings) {
        if (!per[k].steps.has(s.label)) per[k].steps.set(s.label, { xs: [], first: s.first, last: s.last });
        per[k].steps.get(s.label).xs.push(s.ms);
      }
    }
  }
  // Where the workers' time goes: in items (the routines), at barriers, and waking to the run message.
  for (const { engine } of engines) {
    engine.profile = false;
    engine.timeThreads = true;
  }
  for (let r = 0; r < THREAD_RUNS; r++) {
    for (const [k, { engine }] of engines.entries()) {
      const [out] = await engine.run(w.net, band, rows, outputs);
      engine.recycle(out.tensor.data);
      const t = engine.lastThreadTimes;
      per[k].items.push(t.reduce((a, x) => a + x.busy, 0));
      per[k].waits.push(t.reduce((a, x) => a + x.wait, 0));
      per[k].wakes.push(Math.max(...t.map((x) => x.wake)));
    }
  }
  for (const { engine } of engines) engine.timeThreads = false;
  const macs = layerMacs(w);
  const routineMacs = algorithmMacs(w, fullShapes(w.net, w.input), routineFor, outputRowTile, algorithm);
  const sum = (xs, first, last) => xs.slice(first, last + 1).reduce((a, b) => a + b, 0);
  const totalRoutineMacs = sum(routineMacs, 0, routineMacs.length - 1);
  for (const [k, { threads }] of engines.entries()) {
    const { times, steps } = per[k];
    const ms = median(times);
    const flop = 2 * convMacs(w);
    const ceiling = threads === 1 ? inUse(ceilings[0]).single : (inUse(ceilings[0]).parallel * threads) / top;
    const floor = floorMs(totalRoutineMacs, ceiling);
    const row = {
      workload: w.id, title: w.title, input: `${w.input.channels}x${w.input.height}x${w.input.width}`, threads,
      ms: Number(ms.toFixed(2)), min: Number(Math.min(...times).toFixed(2)), max: Number(Math.max(...times).toFixed(2)), firstMs: Number(firstMs[k].toFixed(2)),
      gflops: Number((flop / ms / 1e6).toFixed(1)),
      floorMs: Number(floor.toFixed(2)),
      steps: [...steps].map(([label, { xs, first, last }]) => {
        const stepMs = median(xs);
        const gflops = (2 * sum(macs, first, last)) / stepMs / 1e6;
        const ofCeiling = floorMs(sum(routineMacs, first, last), ceiling) / stepMs;
        return { label, ms: Number(stepMs.toFixed(2)), gflops: Number(gflops.toFixed(1)), ofCeiling: Number(ofCeiling.toFixed(2)) };
      }),
      workers: { items: round2(median(per[k].items)), waits: round2(median(per[k].waits)), lastWake: round2(median(per[k].wakes)), itemTimes: per[k].items.map(round2) },
      maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      times: times.map((t) => Number(t.toFixed(2))),
    };
    results.push(row);
    if (!json) {
      console.log(`\n${w.id} ${w.title} ${row.input}, ${threads} thread${threads > 1 ? 's' : ''}: ${row.ms} ms median (min ${row.min}, max ${row.max}), ${row.gflops} effective GFLOP/s, peak RSS so far ${row.maxRssMB} MB`);
      console.log(`  first run (plan, pack the weights, fresh pages): ${row.firstMs} ms`);
      console.log(`  arithmetic: the routines' ${(totalRoutineMacs / 1e9).toFixed(2)} G multiply-adds take ${row.floorMs} ms at the ceiling, ${Math.round((100 * row.floorMs) / row.ms)}% of the median`);
      const { items, waits, lastWake } = row.workers;
      console.log(`  workers: ${items} thread-ms in items, ${waits} at barriers; the last took its run message ${lastWake} ms after it was posted (medians of ${THREAD_RUNS} runs)`);
      for (const s of row.steps) console.log(`  ${s.label.padEnd(48)} ${s.ms.toFixed(2).padStart(9)} ms ${s.gflops > 0 ? `${s.gflops.toFixed(1).padStart(7)} effective GFLOP/s, its multiply-adds at ${Math.round(100 * s.ofCeiling)}% of the ceiling` : ''}`);
    }
  }
}
for (const { engine } of engines) await engine.close();
ceilings.push(measureCeilingApart(top));
if (top > 1) cores.push(measureCores());

const file = await saveResults('bench', { ...header, ceilings, cores, results });
if (json) {
  console.log(JSON.stringify({ ...header, ceilings, cores, results }, null, 2));
} else {
  console.log('\nworkload | threads | median ms | effective GFLOP/s');
  console.log('--- | --- | --- | ---');
  for (const r of results) console.log(`${r.workload} | ${r.threads} | ${r.ms} | ${r.gflops}`);
  const ids = [...new Set(results.map((r) => r.workload))];
  for (const id of ids) {
    const a = results.find((r) => r.workload === id && r.threads === 1);
    const b = results.find((r) => r.workload === id && r.threads === 2);
    if (a && b) console.log(`${id}: 1 -> 2 threads ${(a.ms / b.ms).toFixed(2)}x by medians, ${(a.min / b.min).toFixed(2)}x by minima, ${pairedRatio(a.times, b.times).toFixed(2)}x paired; items took ${pairedRatio(b.workers.itemTimes, a.workers.itemTimes).toFixed(2)}x the thread-ms of 1 thread's (paired)${coresBound(2)}`);
  }
  console.log('(paired: the median over rounds of the 1-thread time / the 2-thread time of the same round; a slow phase of the host,');
  console.log(' minutes long, falls on both runs of a round, so this ratio moves least with it; items: the same work, so above 1.00x');
  console.log(' the threads slowed each other down, in caches, memory or the host, rather than waiting at barriers)');
  console.log(`ceiling after: ${ceilingText(ceilings[1])}; scaling above is bounded by these ratios`);
  if (top > 1) console.log(`cores after: ${coresText(cores[1], top)}; and by these`);
  console.log('(effective GFLOP/s count a direct convolution\'s multiply-adds: Winograd steps do fewer, so they can pass the ceiling;');
  console.log(' a step\'s share of the ceiling counts the multiply-adds its routine does (bench/arithmetic.mjs), transforms and');
  console.log(' memory traffic left out; bench/kernels.mjs measures the micro-kernels themselves against it)');
  // Another process on a 2-core machine takes a core from the 2-thread runs first: judge scaling by minima,
  // on a quiet machine (a load average before the run well above 0 means someone else is computing).
  console.log(`load average before ${header.loadavg.join(' ')}, after ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (the bench itself adds up to 2)`);
  console.log(`results: ${file}`);
}

/** What the cores allowed N threads before and after the workloads (bench/cores.mjs), over the fastest CPU alone and the slowest, as a clause of the scaling line. */
function coresBound(n) {
  const bounds = cores.filter((c) => c?.bound).map((c) => `${c.bound.fastest[n]}x (${c.bound.slowest[n]}x over the slowest CPU)`);
  return bounds.length === 0 ? '' : `; the cores allowed at most ${bounds.join(' before, ')}${bounds.length > 1 ? ' after' : ''}`;
}

function round2(x) {
  return Number(x.toFixed(2));
}

/** Median over rounds of one/two (same round, run back to back): the 1 -> 2 scaling least moved by the host's slow phases. */
function pairedRatio(one, two) {
  return median(one.map((t, i) => t / two[i]));
}
