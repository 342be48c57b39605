#!/usr/bin/env node
// `npm run bench:busy`: the fast engine on W1-W5 while another process keeps one core busy, against the same runs on a
// quiet machine, alternating round by round: how much of its speed cnnx keeps when it does not have the cores to itself.
// Usage: node bench/busy.mjs [--json] [--rounds 5] [--runs 5] [--threads 2] [--only W4,W5] [--nice 10]
//
// The busy process (bench/busy-loop.mjs) is a JavaScript loop at the given nice level (10: a background job, 0: an equal), pinned with
// taskset to the last core where taskset exists (Linux), so one worker shares its core while the other has its own.
import os from 'node:os';
import { busyPinned, busyPlacement, startBusyLoop } from './busy-loop.mjs';
import { importFastEngine, median, option, timedRun, workloadOptions } from './engine.mjs';
import { saveResults } from './results.mjs';
import { workloadsOf } from './workloads.mjs';

const { FastEngine, fullShapes, relaxedSimdAvailable } = await importFastEngine('bench:busy');

const argv = process.argv.slice(2);
const { json, runs, threads, only } = workloadOptions(argv, 5);
const rounds = Number(option(argv, '--rounds', '5'));
const nice = Number(option(argv, '--nice', '10'));

const fma = relaxedSimdAvailable();
const engine = await FastEngine.create(threads, 'auto', fma);
if (!json) console.log(`cnnx bench:busy: ${threads} threads, ${os.cpus()[0]?.model ?? 'unknown'} x ${os.availableParallelism()}, Node ${process.version}; busy loop at nice ${nice}, ${busyPlacement}; ${rounds} rounds of ${runs} runs each way`);
const results = [];
for (const w of workloadsOf(only)) {
  const once = timedRun(engine, w, fullShapes);
  for (let i = 0; i < 3; i++) await once();
  const quiet = [];
  const busy = [];
  // Round by round, quiet then busy: a slow phase of the host falls on both.
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < runs; i++) quiet.push(await once());
    const stop = await startBusyLoop(nice).catch((error) => {
      console.error(`bench:busy: ${error.message}`);
      process.exit(1);
    });
    try {
      await once();
      for (let i = 0; i < runs; i++) busy.push(await once());
    } finally {
      stop();
    }
  }
  const row = { id: w.id, title: w.title, quietMs: median(quiet), busyMs: median(busy), slowdown: median(busy) / median(quiet) };
  results.push(row);
  if (!json) console.log(`${w.id} ${w.title}: quiet ${row.quietMs.toFixed(1)} ms, one core busy ${row.busyMs.toFixed(1)} ms: ${row.slowdown.toFixed(2)}x`);
}
await engine.close();
if (!json) console.log('(one core busy: the engine keeps at best the share of the cores the busy loop leaves it; with nice 10 about 9 in 10 of that core)');
const file = await saveResults('busy', { threads, nice, pinned: busyPinned, rounds, runs, results });
if (json) console.log(JSON.stringify({ threads, nice, pinned: busyPinned, results }, null, 2));
else console.log(`results: ${file}`);
