// The fuzz suite: seeded hostile specs, .npy and safetensors headers and images through the real CLI; every run keeps cnnx's promises.
// `npm test` runs a fixed count of a fixed seed; `npm run fuzz -- --seed N --minutes M` runs longer (test/fuzz/run.mjs).
import { expect, test } from 'vitest';
import { fuzz } from './harness.js';

const seed = Number(process.env.CNNX_FUZZ_SEED ?? 21);
const minutes = process.env.CNNX_FUZZ_MINUTES ? Number(process.env.CNNX_FUZZ_MINUTES) : null;
/** Sized to take about a minute on a busy 2-core machine: bounded by count, never by time. */
const DEFAULT_COUNT = 40;

test(
  `fuzz seed ${seed}: exit codes, one cnnx: line, nothing half-written, no temp files, no hang`,
  async () => {
    const { ran, failures } = await fuzz({
      seed,
      count: minutes === null ? DEFAULT_COUNT : undefined,
      deadline: minutes === null ? undefined : Date.now() + minutes * 60_000,
      timeoutMs: Number(process.env.CNNX_FUZZ_TIMEOUT_MS ?? 60_000),
      signals: process.env.CNNX_FUZZ_SIGNALS === '1',
      onCase: process.env.CNNX_FUZZ_VERBOSE ? (c, broken, o) => console.log(`${c.index} ${broken.length ? 'FAIL' : 'ok'} exit ${o.code ?? o.signal} ${c.what}`) : undefined,
    });
    const report = failures.map((f) => `case ${f.index} (${f.what}): ${f.broken.join('; ')}\n  stderr: ${f.stderr.trim()}\n  replay: ${f.dir}/REPLAY.txt`).join('\n');
    expect(report, `${failures.length} of ${ran} cases broke an invariant (seed ${seed})`).toBe('');
    expect(ran).toBeGreaterThan(0);
  },
  minutes === null ? 15 * 60_000 : minutes * 60_000 + 5 * 60_000,
);
