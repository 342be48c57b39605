#!/usr/bin/env node
// Prints the sha256 of each bench workload's output from the fast engine, so a change that must not alter results can be checked byte for byte.
// Usage: node bench/digest.mjs [--threads N] [--only W1,W3] [--no-fma]
import { createHash } from 'node:crypto';
import { importFastEngine, option, wholeMapRun } from './engine.mjs';
import { workloadsOf } from './workloads.mjs';

const { FastEngine, fullShapes } = await importFastEngine('digest');

const argv = process.argv.slice(2);
const opt = (name, def) => option(argv, name, def);
const threads = Number(opt('--threads', '2'));
const only = opt('--only', 'W1,W2,W3,W4,W5').split(',');
const engine = await FastEngine.create(threads, 'auto', argv.includes('--no-fma') ? false : undefined);
try {
  for (const w of workloadsOf(only)) {
    const { rows, band, outputs } = wholeMapRun(w, fullShapes);
    const [out] = await engine.run(w.net, band, rows, outputs);
    const d = out.tensor.data;
    const sha = createHash('sha256').update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)).digest('hex');
    console.log(`${w.id} ${engine.fma ? 'fma' : 'plain'} ${out.tensor.channels}x${out.tensor.height}x${out.tensor.width} ${sha}`);
  }
} finally {
  await engine.close();
}
