// What the engine benchmarks share: the built fast engine (dist/ and build/), a workload's whole-map run and its timing, their command-line options, and medians.
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { inputFor } from './workloads.mjs';

const root = new URL('../', import.meta.url);

/**
 * FastEngine, fullShapes, relaxedSimdAvailable, and the engine's own choice of routine and Winograd tile
 * (routineFor, outputRowTile) from dist/; exits with a one-line hint when the build is missing.
 */
export async function importFastEngine(bench) {
  if (!existsSync(fileURLToPath(new URL('dist/engine/fast/index.js', root))) || !existsSync(fileURLToPath(new URL('build/cnnx.wasm', root)))) {
    console.error(`${bench}: dist/ or build/cnnx.wasm is missing; run \`npm run build\` first`);
    process.exit(1);
  }
  const { FastEngine } = await import(new URL('dist/engine/fast/index.js', root).href);
  const { fullShapes } = await import(new URL('dist/engine/fast/plan.js', root).href);
  const { relaxedSimdAvailable } = await import(new URL('dist/wasm/features.js', root).href);
  const { routineFor } = await import(new URL('dist/engine/fast/routines/index.js', root).href);
  const { outputRowTile } = await import(new URL('dist/engine/tiles.js', root).href);
  return { FastEngine, fullShapes, relaxedSimdAvailable, routineFor, outputRowTile };
}

/** What engine.run takes to run workload `w` on its whole input: every node's whole rows, the input band, and the last node as the one output. */
export function wholeMapRun(w, fullShapes) {
  const input = inputFor(w);
  const rows = fullShapes(w.net, input).map((s) => ({ start: 0, end: s.height }));
  return { rows, band: { tensor: input, y0: 0, fullHeight: input.height }, outputs: [w.net.layers.length - 1] };
}

/** Times one whole-map run of workload `w` on `engine`, in milliseconds, its output handed back for the next run. */
export function timedRun(engine, w, fullShapes) {
  const { rows, band, outputs } = wholeMapRun(w, fullShapes);
  return async () => {
    const t0 = performance.now();
    const [o] = await engine.run(w.net, band, rows, outputs);
    const ms = performance.now() - t0;
    engine.recycle(o.tensor.data);
    return ms;
  };
}

/** The options of the benches that time W1-W5 on one engine: --json, --runs, --threads (default: up to 2, the cores), --only. */
export function workloadOptions(argv, runs) {
  return {
    json: argv.includes('--json'),
    runs: Number(option(argv, '--runs', String(runs))),
    threads: Number(option(argv, '--threads', String(Math.min(2, os.availableParallelism())))),
    only: option(argv, '--only', 'W1,W2,W3,W4,W5').split(','),
  };
}

/** The value after `name` in argv, or `def`. */
export function option(argv, name, def) {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : def;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
