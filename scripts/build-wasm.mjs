#!/usr/bin/env node
// Builds the SIMD module from src/wasm/assembly (AssemblyScript) twice: build/cnnx.wasm (SIMD128: the
// micro-kernels multiply, then add) and build/cnnx-fma.wasm (relaxed SIMD: fused multiply-adds), each
// with a .wat for review, after writing the layout files from src/wasm/layout.json (gen-layout.mjs).
// Run by `npm run build:wasm`; src/wasm/loader.ts picks the build the runtime validates.
import asc from 'assemblyscript/asc';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateLayout } from './gen-layout.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
generateLayout(root);
mkdirSync(path.join(root, 'build'), { recursive: true });

const common = [
  'src/wasm/assembly/index.ts',
  '-O3', '--noAssert',
  '--enable', 'simd', '--enable', 'threads',
  // No allocator or GC: every buffer is placed by the engine (src/engine/fast/memory.ts).
  '--runtime', 'stub',
  // One memory shared by all workers; the module has no static data, so instantiating it in each worker writes nothing.
  '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536',
  // 'Exchange of v128 values' warnings concern exported ukernels' signatures only; they take pointers, not v128.
  '--disableWarning', '112',
];

for (const [name, extra] of [['cnnx', []], ['cnnx-fma', ['--enable', 'relaxed-simd']]]) {
  const args = [...common, ...extra, '--outFile', `build/${name}.wasm`, '--textFile', `build/${name}.wat`];
  const { error, stderr } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr, baseDir: root });
  if (error) {
    console.error(`build-wasm: ${error.message}`);
    console.error(stderr.toString());
    process.exit(1);
  }
  console.log(`build-wasm: build/${name}.wasm`);
}
