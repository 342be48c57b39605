#!/usr/bin/env node
// Builds the SIMD module from src/wasm/assembly (AssemblyScript) three times, each with a .wat for review:
// build/cnnx.wasm (SIMD128: the micro-kernels multiply, then add), build/cnnx-fma.wasm (relaxed SIMD: fused
// multiply-adds) and build/cnnx-debug.wasm (cnnx.wasm with its asserts compiled in: every routine checks its
// descriptor and arguments first). It first writes the layout files from src/wasm/layout.json (gen-layout.mjs).
// Run by `npm run build:wasm`; src/wasm/loader.ts picks the build.
import asc from 'assemblyscript/asc';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateLayout } from './gen-layout.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
generateLayout(root);
const STATIC_END = JSON.parse(readFileSync(path.join(root, 'src/wasm/layout.json'), 'utf8')).memory.values.find(([key]) => key === 'STATIC_END')[1];
mkdirSync(path.join(root, 'build'), { recursive: true });

const common = [
  'src/wasm/assembly/index.ts',
  '-O3',
  '--enable', 'simd', '--enable', 'threads',
  // No allocator or GC: every buffer is placed by the engine (src/engine/fast/memory.ts).
  '--runtime', 'stub',
  // One memory shared by all workers. The release builds have no static data, so instantiating them in each worker
  // writes nothing; the debug build's assert messages land below MEMORY.STATIC_END, the same bytes at each instantiation.
  '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536',
  // 'Exchange of v128 values' warnings concern exported ukernels' signatures only; they take pointers, not v128.
  '--disableWarning', '112',
];

const builds = [
  ['cnnx', ['--noAssert']],
  ['cnnx-fma', ['--noAssert', '--enable', 'relaxed-simd']],
  ['cnnx-debug', []],
];
for (const [name, extra] of builds) {
  const args = [...common, ...extra, '--outFile', `build/${name}.wasm`, '--textFile', `build/${name}.wat`];
  const { error, stderr } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr, baseDir: root });
  if (error) {
    console.error(`build-wasm: ${error.message}`);
    console.error(stderr.toString());
    process.exit(1);
  }
  // Static data must end below MEMORY.STATIC_END: the workers' barrier and counters follow.
  const dataEnd = staticDataEnd(readFileSync(path.join(root, `build/${name}.wat`), 'utf8'));
  if (dataEnd > STATIC_END) {
    console.error(`build-wasm: build/${name}.wasm: static data ends at ${dataEnd}, past MEMORY.STATIC_END ${STATIC_END} (src/wasm/layout.json)`);
    process.exit(1);
  }
  console.log(`build-wasm: build/${name}.wasm`);
}

/** The end of the module's static data: the last byte of its data segments (`(data $n (i32.const at) "...")` in the .wat). */
function staticDataEnd(wat) {
  let end = 0;
  for (const [, at, text] of wat.matchAll(/\(data \$\d+ \(i32\.const (\d+)\) "((?:[^"\\]|\\.)*)"/g)) {
    // A byte per plain character, per \xx escape and per other escape (\\, \").
    end = Math.max(end, Number(at) + (text.match(/\\[0-9a-fA-F]{2}|\\.|[^\\]/g) ?? []).length);
  }
  return end;
}
