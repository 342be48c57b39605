#!/usr/bin/env node
// Prints the sha256 of each bench workload's output from the fast engine, so a change that must not alter results can be checked byte for byte.
// Usage: node bench/digest.mjs [--threads N] [--only W1,W3] [--no-fma]
import { createHash } from 'node:crypto';
import { inputFor, workloads } from './workloads.mjs';

const root = new URL('../', import.meta.url);
const { FastEngine } = await import(new URL('dist/engine/fast/index.js', root).href);
const { fullShapes } = await import(new URL('dist/engine/fast/plan.js', root).href);

const argv = process.argv.slice(2);
const opt = (name, def) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : def);
const threads = Number(opt('--threads', '2'));
const only = opt('--only', 'W1,W2,W3,W4,W5').split(',');
const engine = await FastEngine.create(threads, 'auto', argv.includes('--no-fma') ? false : undefined);
try {
  for (const w of workloads().filter((w) => only.includes(w.id))) {
    const input = inputFor(w);
    const shapes = fullShapes(w.net, input);
    const rows = shapes.map((s) => ({ start: 0, end: s.height }));
    const [out] = await engine.run(w.net, { tensor: input, y0: 0, fullHeight: input.height }, rows, [w.net.layers.length - 1]);
    const d = out.tensor.data;
    const sha = createHash('sha256').update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)).digest('hex');
    console.log(`${w.id} ${engine.fma ? 'fma' : 'plain'} ${out.tensor.channels}x${out.tensor.height}x${out.tensor.width} ${sha}`);
  }
} finally {
  await engine.close();
}
