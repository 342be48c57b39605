// Test settings: every test file under test/, generous timeouts for spawned CLI runs. Where relaxed SIMD
// needs a V8 flag (Node 20, V8 < 11.4), the fast engine's property tests run a second time under it, so
// the fused-multiply-add build (build/cnnx-fma.wasm) meets the same random stacks as the plain one;
// from Node 22 the default run already uses it.
import { defineConfig } from 'vitest/config';

const [v8Major, v8Minor] = process.versions.v8.split('.').map(Number);
const relaxedSimdByDefault = v8Major > 11 || (v8Major === 11 && v8Minor >= 4);

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxConcurrency: 4,
    projects: [
      { extends: true, test: { name: 'all', include: ['test/**/*.test.ts'] } },
      ...(relaxedSimdByDefault
        ? []
        : [{ extends: true, test: { name: 'fma', include: ['test/engine/fast*.test.ts', 'test/engine/non-finite.test.ts'], execArgv: ['--experimental-wasm-relaxed-simd'] } }]),
    ],
  },
});
