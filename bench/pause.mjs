#!/usr/bin/env node
// `npm run bench:pause`: the fast engine on W1-W5 with a pause before each run (as bench/peers times its rounds, and as a
// server or a library call per image runs), against runs back to back, alternating run by run in one process so that a
// slow phase of the host falls on both: what a pause costs each network.
// Usage: node bench/pause.mjs [--json] [--runs 30] [--threads 2] [--only W1,W5] [--pause-ms 150]
import os from 'node:os';
import { importFastEngine, median, option, timedRun, workloadOptions } from './engine.mjs';
import { saveResults } from './results.mjs';
import { workloadsOf } from './workloads.mjs';

const { FastEngine, fullShapes, relaxedSimdAvailable } = await importFastEngine('bench:pause');

const argv = process.argv.slice(2);
const { json, runs, threads, only } = workloadOptions(argv, 30);
const pauseMs = Number(option(argv, '--pause-ms', '150'));

const engine = await FastEngine.create(threads, 'auto', relaxedSimdAvailable());
if (!json) console.log(`cnnx bench:pause: ${threads} threads, ${os.cpus()[0]?.model ?? 'unknown'} x ${os.availableParallelism()}, Node ${process.version}; ${runs} runs each way, ${pauseMs} ms pauses`);
const results = [];
for (const w of workloadsOf(only)) {
  const once = timedRun(engine, w, fullShapes);
  for (let i = 0; i < 3; i++) await once();
  const backToBack = [];
  const afterPause = [];
  for (let i = 0; i < runs; i++) {
    backToBack.push(await once());
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    afterPause.push(await once());
  }
  const row = { id: w.id, title: w.title, backToBackMs: median(backToBack), afterPauseMs: median(afterPause), ratio: median(afterPause) / median(backToBack) };
  results.push(row);
  if (!json) console.log(`${w.id} ${w.title}: back to back ${row.backToBackMs.toFixed(1)} ms, after a pause ${row.afterPauseMs.toFixed(1)} ms: ${row.ratio.toFixed(2)}x`);
}
await engine.close();
const file = await saveResults('pause', { threads, pauseMs, runs, results });
if (json) console.log(JSON.stringify({ threads, pauseMs, results }, null, 2));
else console.log(`results: ${file}`);
