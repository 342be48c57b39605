// The machine's ceiling for the fast engine: a WebAssembly f32x4 multiply-add loop on operands in registers and L1
// (no other memory traffic), on 1 and on N worker threads at once, in both of the module's arithmetics: a multiply then an
// add (build/cnnx.wasm) and a fused multiply-add (relaxed SIMD, build/cnnx-fma.wasm, the default). Its 1 -> N ratio is
// the best any thread split can scale on this host (a VM's vCPUs may share a physical core's ports or lose time to
// the hypervisor), and its GFLOP/s the most a micro-kernel of that arithmetic can reach. Used by bench/run.mjs and
// bench/kernels.mjs; `node bench/ceiling.mjs [threads]` alone too.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';

// Node 20's V8 validates relaxed SIMD only under this flag (src/wasm/features.ts sets it the same way for the engine).
if (/^11\.3\./.test(process.versions.v8)) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

/** acc + a * b in AssemblyScript: fused, or a multiply then an add. */
const MADD = {
  fma: (acc, a, b) => `f32x4.relaxed_madd(${a}, ${b}, ${acc})`,
  'mul+add': (acc, a, b) => `f32x4.add(${acc}, f32x4.mul(${a}, ${b}))`,
};

/**
 * 8 independent accumulators (more than the latency needs), 8 multiply-adds (64 flop) per iteration, each of
 * a vector loaded from L1 and one kept in a register: the shape of a micro-kernel step without its address
 * arithmetic. The loads keep the products inside the loop: with operands in registers only, TurboFan hoists
 * the loop-invariant multiplies (or re-splats a constant at every use) and the loop no longer measures them.
 */
export function ceilingSource(kind) {
  const madd = MADD[kind];
  const steps = Array.from({ length: 8 }, (_, i) => `a${i} = ${madd(`a${i}`, `v128.load(p, ${16 * i})`, 'b')};`);
  return `
export function run(n: i32, x: f32): f32 {
  const p: usize = 0;
  for (let i = 0; i < 32; i++) store<f32>(p + 4 * i, x * <f32>(i + 1) * 0.0001);
  let a0 = f32x4.splat(1), a1 = f32x4.splat(1), a2 = f32x4.splat(1), a3 = f32x4.splat(1);
  let a4 = f32x4.splat(1), a5 = f32x4.splat(1), a6 = f32x4.splat(1), a7 = f32x4.splat(1);
  const b = f32x4.splat(x);
  for (let i = 0; i < n; i++) {
    ${steps.join('\n    ')}
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  return f32x4.extract_lane(s, 0);
}`;
}
export const FLOP_PER_ITERATION = 8 * 8;
const ITERATIONS = 5e7;

// Each worker compiles once, warms up (so TurboFan has tiered the loop up), then times `run` on request.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const instance = new WebAssembly.Instance(new WebAssembly.Module(workerData), { env: { abort() {} } });
for (let i = 0; i < 3000; i++) instance.exports.run(1000, 0.5);
parentPort.on('message', (n) => {
  const t0 = performance.now();
  instance.exports.run(n, 0.5);
  parentPort.postMessage(performance.now() - t0);
});
parentPort.postMessage(0);
`;

/** The register loop of `kind` ('fma' or 'mul+add') as wasm bytes. */
export async function compileCeiling(kind) {
  // Loaded here, not at the top: bench/run.mjs imports this file and must not carry the compiler.
  const { default: asc } = await import('assemblyscript/asc');
  const { binary, error, stderr } = await asc.compileString(ceilingSource(kind), { optimizeLevel: 3, initialMemory: 1, enable: kind === 'fma' ? ['simd', 'relaxed-simd'] : ['simd'], runtime: 'stub' });
  if (error) throw new Error(`bench/ceiling: ${error.message} ${stderr}`);
  return binary;
}

function start(binary) {
  const w = new Worker(WORKER, { eval: true, workerData: binary });
  let waiting = null;
  w.on('message', (ms) => waiting?.resolve(ms));
  w.on('error', (err) => waiting?.reject(err));
  const next = () => new Promise((resolve, reject) => (waiting = { resolve, reject }));
  const ready = next();
  return ready.then(() => ({
    time: (n) => {
      const reply = next();
      w.postMessage(n);
      return reply;
    },
    close: () => w.terminate(),
  }));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * GFLOP/s of the register loop on 1 thread and on `threads` threads at once (medians of `rounds`
 * alternating rounds), and their ratio, for the multiply-then-add loop and (under `fma`) the fused one.
 */
export async function measureCeiling(threads = 2, rounds = 7) {
  const plain = await measureKind('mul+add', threads, rounds);
  return { ...plain, fma: await measureKind('fma', threads, rounds) };
}

async function measureKind(kind, threads, rounds) {
  const binary = await compileCeiling(kind);
  const workers = await Promise.all(Array.from({ length: threads }, () => start(binary)));
  const one = [];
  const all = [];
  for (let r = 0; r < rounds; r++) {
    one.push(await workers[0].time(ITERATIONS));
    const t0 = performance.now();
    await Promise.all(workers.map((w) => w.time(ITERATIONS)));
    all.push(performance.now() - t0);
  }
  await Promise.all(workers.map((w) => w.close()));
  const gflops = (ms, n) => (n * ITERATIONS * FLOP_PER_ITERATION) / ms / 1e6;
  const single = gflops(median(one), 1);
  const parallel = gflops(median(all), threads);
  return { threads, single: Number(single.toFixed(1)), parallel: Number(parallel.toFixed(1)), ratio: Number((parallel / single).toFixed(2)) };
}

/** The same, in a child process: the AssemblyScript compiler stays out of the caller's peak RSS. */
export function measureCeilingApart(threads = 2) {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), String(threads), '--json'], { encoding: 'utf8' });
  return JSON.parse(out);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const c = await measureCeiling(Number(process.argv[2] ?? 2));
  if (process.argv.includes('--json')) console.log(JSON.stringify(c));
  else {
    console.log(`f32x4 mul + add, registers and L1: ${c.single} GFLOP/s on 1 thread, ${c.parallel} on ${c.threads} (${c.ratio}x)`);
    console.log(`f32x4 fused multiply-add, registers and L1: ${c.fma.single} GFLOP/s on 1 thread, ${c.fma.parallel} on ${c.threads} (${c.fma.ratio}x)`);
  }
}
