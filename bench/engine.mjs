// What the engine benchmarks share: the built fast engine (dist/ and build/), a workload's whole-map run, their command-line options, and medians.
import { existsSync } from 'node:fs';
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

/** The value after `name` in argv, or `def`. */
export function option(argv, name, def) {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : def;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
