#!/usr/bin/env node
// The GEMM micro-kernels alone, on data in L1, against the register ceiling of their arithmetic (bench/ceiling.mjs):
// how far each is from what the CPU can issue. One thread; every kernel and both ceilings run in short interleaved
// bursts and the best burst counts, so other work on a shared machine lowers all of them alike and rarely the best.
//
//   node bench/kernels.mjs [--rounds 60] [--json]
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileCeiling, FLOP_PER_ITERATION } from './ceiling.mjs';
import { saveResults } from './results.mjs';

const root = new URL('../', import.meta.url);
const argv = process.argv.slice(2);
const rounds = Number(argv.includes('--rounds') ? argv[argv.indexOf('--rounds') + 1] : 60);
const json = argv.includes('--json');
const BUILDS = { 'mul+add': 'build/cnnx.wasm', fma: 'build/cnnx-fma.wasm' };
for (const file of Object.values(BUILDS)) {
  if (!existsSync(fileURLToPath(new URL(file, root)))) {
    console.error(`bench/kernels: ${file} is missing; run \`npm run build\` first`);
    process.exit(1);
  }
}

/** A timed burst: a function and the flop it does. */
const tests = [];
const CEILING_ITERATIONS = 20000;
for (const kind of Object.keys(BUILDS)) {
  const { run } = new WebAssembly.Instance(new WebAssembly.Module(await compileCeiling(kind)), { env: { abort() {} } }).exports;
  tests.push({ name: `ceiling (${kind})`, kind, ceiling: true, fn: () => run(CEILING_ITERATIONS, 0.5), flop: CEILING_ITERATIONS * FLOP_PER_ITERATION });
}
for (const [kind, file] of Object.entries(BUILDS)) {
  const memory = new WebAssembly.Memory({ initial: 8, maximum: 65536, shared: true });
  const k = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(fileURLToPath(new URL(file, root)))), { env: { memory, abort() {} } }).exports;
  const f = new Float32Array(memory.buffer);
  for (let i = 0; i < f.length; i++) f[i] = ((i % 13) - 6) * 0.01;
  // A: packed weights [K][4]; B: panels [K][8] (gemm) or rows 32 bytes apart through an offset table (igemm); C: 4 rows.
  const A = 65536, B = 2 * 65536, C = 3 * 65536, BIAS = 3 * 65536 + 4096, OFFS = 4 * 65536;
  new Int32Array(memory.buffer, OFFS, 1024).set(Array.from({ length: 1024 }, (_, i) => i * 32));
  for (const K of [64, 256]) {
    const reps = Math.max(1, Math.floor(1.3e6 / (64 * K)));
    const add = (name, call, pixels) => tests.push({ name: `${name} K=${K} (${kind})`, kind, fn: () => { for (let i = 0; i < reps; i++) call(); }, flop: reps * 2 * 4 * pixels * K });
    add('f32_gemm_ukernel_4x8', () => k.f32_gemm_ukernel_4x8(A, K, B, C, 64), 8);
    add('f32_gemm_ukernel_8x4', () => k.f32_gemm_ukernel_8x4(A, K * 16, K, B, C, 64), 8);
    add('f32_gemm_ukernel_4x4', () => k.f32_gemm_ukernel_4x4(A, K, B, C, 64), 4);
    add('f32_igemm_ukernel_4x8', () => k.f32_igemm_ukernel_4x8(A, OFFS, K, B, BIAS, C, 64, 4, 0, 0, 0, 0), 8);
    add('f32_igemm_ukernel_8x4', () => k.f32_igemm_ukernel_8x4(A, A + K * 16, OFFS, K, B, BIAS, BIAS + 16, C, 64, 8, 4, 0, 0, 0, 0), 8);
    add('f32_igemm_ukernel_4x4', () => k.f32_igemm_ukernel_4x4(A, OFFS, K, B, BIAS, C, 64, 4, 4, 0, 0, 0, 0), 4);
  }
}

for (const t of tests) for (let i = 0; i < 30; i++) t.fn(); // TurboFan tiers up
const best = tests.map(() => Infinity);
for (let r = 0; r < rounds; r++) {
  tests.forEach((t, i) => {
    const t0 = performance.now();
    t.fn();
    best[i] = Math.min(best[i], performance.now() - t0);
  });
}
const gflops = tests.map((t, i) => t.flop / best[i] / 1e6);
const ceilingOf = (kind) => gflops[tests.findIndex((t) => t.ceiling && t.kind === kind)];
const rows = tests.map((t, i) => ({ name: t.name, arithmetic: t.kind, gflops: Number(gflops[i].toFixed(1)), ofCeiling: Number((gflops[i] / ceilingOf(t.kind)).toFixed(2)) }));
const file = await saveResults('kernels', { rounds, rows });
if (json) console.log(JSON.stringify(rows, null, 2));
else {
  console.log('micro-kernel (data in L1, 1 thread)        GFLOP/s   of its ceiling');
  for (const r of rows) console.log(`${r.name.padEnd(42)} ${r.gflops.toFixed(1).padStart(7)}   ${Math.round(100 * r.ofCeiling)}%`);
  console.log(`results: ${file}`);
}
