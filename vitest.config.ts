// Test settings: every test file under test/, generous timeouts for spawned CLI runs. The fast engine's property
// tests run again against the debug build of the module (build/cnnx-debug.wasm: every routine checks its
// preconditions, and multiplies, then adds), so the random stacks meet both arithmetic builds: the default run
// fuses multiply-adds (build/cnnx-fma.wasm) on every supported Node.js.
import { defineConfig } from 'vitest/config';

/** The fast engine's property tests: random stacks and shapes against the reference engine. */
const fastEngineProperties = ['test/engine/fast*.test.ts', 'test/engine/routine-*.test.ts', 'test/engine/non-finite.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxConcurrency: 4,
    // Removes each test file's tempDir() folders after it.
    setupFiles: ['test/setup.ts'],
    projects: [
      { extends: true, test: { name: 'all', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'debug', include: fastEngineProperties, env: { CNNX_WASM_DEBUG: '1' } } },
    ],
  },
});
