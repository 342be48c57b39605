// `npm run fuzz -- --seed N --minutes M [--signals]`: the fuzz suite for M minutes (default 5) from seed N (default: random), through vitest; --signals also interrupts some runs.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

const args = process.argv.slice(2);
const value = (flag, fallback) => {
  const i = args.indexOf(flag);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const seed = value('--seed', String(Math.floor(Math.random() * 2 ** 31)));
const minutes = value('--minutes', '5');
if (!/^\d+$/.test(seed) || !(Number(minutes) > 0)) {
  console.error('usage: npm run fuzz -- [--seed N] [--minutes M] [--signals] [--verbose]');
  process.exit(2);
}
console.error(`fuzz: seed ${seed}, ${minutes} minute(s); failing cases are kept under the temp folder with a REPLAY.txt`);
const env = { ...process.env, CNNX_FUZZ_SEED: seed, CNNX_FUZZ_MINUTES: minutes, ...(args.includes('--verbose') ? { CNNX_FUZZ_VERBOSE: '1' } : {}), ...(args.includes('--signals') ? { CNNX_FUZZ_SIGNALS: '1' } : {}) };
const result = spawnSync('npx', ['vitest', 'run', '--project', 'all', 'test/fuzz/fuzz.test.ts'], { stdio: 'inherit', env, cwd: root });
process.exit(result.status ?? 1);
