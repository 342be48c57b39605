// Test settings: every test file under test/, generous timeouts for spawned CLI runs. The fast engine's property
// tests run again against the debug build of the module (build/cnnx-debug.wasm: every routine checks its
// preconditions), and, where relaxed SIMD needs a V8 flag (Node 20, V8 < 11.4), under that flag, so the
// fused-multiply-add build (build/cnnx-fma.wasm) meets the same random stacks; from Node 22 the default run uses it.
import { defineConfig } from 'vitest/config';

const [v8Major, v8Minor] = process.versions.v8.split('.').map(Number);
const relaxedSimdByDefault = v8Major > 11 || (v8Major === 11 && v8Minor >= 4);
/** The fast engine's property tests: random stacks and shapes against the reference engine. */
const fastEngineProperties = ['test/engine/fast*.test.ts', 'test/engine/routine-*.test.ts', 'test/engine/non-finite.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxConcurrency: 4,
    projects: [
      { extends: true, test: { name: 'all', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'debug', include: fastEngineProperties, env: { CNNX_WASM_DEBUG: '1' } } },
      ...(relaxedSimdByDefault
        ? []
        : [{ extends: true, test: { name: 'fma', include: fastEngineProperties, execArgv: ['--experimental-wasm-relaxed-simd'] } }]),
    ],
  },
});
