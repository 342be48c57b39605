// How fast each CPU runs the engine's own work: W1 at 1 thread, in a child process pinned to one CPU at a time (Linux's
// taskset). A VM's vCPUs need not be equal (a neighbour on a vCPU's physical core takes its caches and ports, which the
// register-only ceiling of bench/ceiling.mjs does not feel), and then no thread split scales as the ceiling says: N
// threads do at most the sum of the N fastest CPUs' speeds. Used by bench/run.mjs; `node bench/cores.mjs` alone too.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { importFastEngine, median, wholeMapRun } from './engine.mjs';
import { workloadById } from './workloads.mjs';

// The engine's reading of Linux CPU lists (the same format as sysfs's cache lists).
const { cpuList } = await import(new URL('../dist/engine/fast/machine.js', import.meta.url).href);

/** The workload and runs each CPU's probe times (after two warm-up runs). */
const PROBE = { workload: 'W1', runs: 7 };
/** CPUs probed at most (each takes about a second). */
const MAX_CPUS = 16;

/** The CPUs this process may run on (/proc/self/status), or 0 .. n-1 where the system does not say. */
function allowedCpus() {
  try {
    const m = /^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return cpuList(m[1]);
  } catch {
    // not Linux: fall through
  }
  return Array.from({ length: os.availableParallelism() }, (_, i) => i);
}

/**
 * The most N threads can do for N = 1 .. cpus: the sum of the N fastest CPUs' speeds (1 / ms), in multiples of the
 * fastest CPU alone (`fastest`: what a 1-thread run gets at best) and of the slowest (`slowest`: a 1-thread run that
 * landed there can be beaten by more than the ceiling's ratio).
 */
export function scalingBound(msPerCpu) {
  const speeds = msPerCpu.map((ms) => 1 / ms).sort((a, b) => b - a);
  const fastest = {};
  const slowest = {};
  let sum = 0;
  speeds.forEach((s, i) => {
    sum += s;
    fastest[i + 1] = Number((sum / speeds[0]).toFixed(2));
    slowest[i + 1] = Number((sum / speeds[speeds.length - 1]).toFixed(2));
  });
  return { fastest, slowest };
}

/**
 * Each allowed CPU's median ms for W1 at 1 thread, the CPUs taken in turn, twice (in opposite orders, so a
 * slow minute of the host falls on more than one), and scalingBound of them; null where taskset is missing,
 * { error } where it fails.
 */
export function measureCores() {
  const cpus = allowedCpus().slice(0, MAX_CPUS);
  const times = new Map(cpus.map((c) => [c, []]));
  const self = fileURLToPath(import.meta.url);
  try {
    for (const order of [cpus, [...cpus].reverse()]) {
      for (const cpu of order) {
        const out = execFileSync('taskset', ['-c', String(cpu), process.execPath, self, '--probe'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        times.get(cpu).push(...JSON.parse(out));
      }
    }
  } catch (err) {
    // No taskset (not Linux, or no util-linux), or one that may not pin here (a container's CPU policy): say so, and go on.
    if (err.code === 'ENOENT') return null;
    return { error: String(err.stderr || err.message).trim().split('\n')[0] };
  }
  const perCpu = cpus.map((cpu) => ({ cpu, ms: Number(median(times.get(cpu)).toFixed(2)) }));
  return { workload: PROBE.workload, threads: 1, cpus: perCpu, bound: scalingBound(perCpu.map((c) => c.ms)) };
}

/** One line for a report: each CPU's ms, and the bound at `threads` threads. */
export function coresText(cores, threads) {
  if (!cores) return 'not measured (needs Linux\'s taskset)';
  if (cores.error) return `not measured (${cores.error})`;
  const list = cores.cpus.map((c) => `cpu${c.cpu} ${c.ms} ms`).join(', ');
  const n = Math.min(threads, cores.cpus.length);
  return `${cores.workload} at 1 thread pinned to each CPU: ${list}; ${n} threads can do at most ${cores.bound.fastest[n]}x the fastest alone, ${cores.bound.slowest[n]}x the slowest`;
}

/** In the pinned child: W1's run times at 1 thread, as JSON. */
async function probe() {
  const { FastEngine, fullShapes, relaxedSimdAvailable } = await importFastEngine('bench/cores');
  const w = workloadById(PROBE.workload);
  const { rows, band, outputs } = wholeMapRun(w, fullShapes);
  const engine = await FastEngine.create(1, 'auto', relaxedSimdAvailable());
  const times = [];
  for (let r = 0; r < PROBE.runs + 2; r++) {
    const t0 = performance.now();
    const [out] = await engine.run(w.net, band, rows, outputs);
    if (r >= 2) times.push(performance.now() - t0);
    engine.recycle(out.tensor.data);
  }
  await engine.close();
  console.log(JSON.stringify(times));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--probe')) await probe();
  else {
    const cores = measureCores();
    console.log(process.argv.includes('--json') ? JSON.stringify(cores) : coresText(cores, 2));
  }
}
