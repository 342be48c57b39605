#!/usr/bin/env node
// Builds the SIMD module from src/wasm/assembly (AssemblyScript) into build/cnnx.wasm (+ .wat for review). Run by `npm run build:wasm`.
import asc from 'assemblyscript/asc';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(path.join(root, 'build'), { recursive: true });

const args = [
  'src/wasm/assembly/index.ts',
  '--outFile', 'build/cnnx.wasm',
  '--textFile', 'build/cnnx.wat',
  '-O3', '--noAssert',
  '--enable', 'simd', '--enable', 'threads',
  // No allocator or GC: every buffer is placed by the engine (src/engine/fast/memory.ts).
  '--runtime', 'stub',
  // One memory shared by all workers; the module has no static data, so instantiating it in each worker writes nothing.
  '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536',
  // 'Exchange of v128 values' warnings concern exported ukernels' signatures only; they take pointers, not v128.
  '--disableWarning', '112',
];

const { error, stderr } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr, baseDir: root });
if (error) {
  console.error(`build-wasm: ${error.message}`);
  console.error(stderr.toString());
  process.exit(1);
}
console.log('build-wasm: build/cnnx.wasm');
