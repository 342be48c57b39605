// The busy loop of `npm run bench:busy` and `bench/peers --busy-nice`: another process keeping one core busy, at a
// nice level (10: a background job, 0: an equal), pinned with taskset to the last core where taskset exists (Linux).
import { execFileSync, spawn } from 'node:child_process';
import os from 'node:os';

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const lastCore = os.availableParallelism() - 1;

/** Where the loop runs, for reports: `pinned to core N`, or `not pinned (no taskset)`. */
export const busyPlacement = hasTaskset ? `pinned to core ${lastCore}` : 'not pinned (no taskset)';
export const busyPinned = hasTaskset;

/**
 * Starts the loop at `nice`; resolves once it runs (its first message) with a function that stops it. The loop
 * also ends by itself when its parent goes away (a crashed or interrupted benchmark leaves no spinning process).
 */
export function startBusyLoop(nice) {
  const loop = 'const p = process.ppid; process.stdout.write("go\\n"); for (let i = 1; ; i++) if ((i & 0xffffff) === 0 && process.ppid !== p) break;';
  const node = ['nice', '-n', String(nice), process.execPath, '-e', loop];
  const [cmd, ...args] = hasTaskset ? ['taskset', '-c', String(lastCore), ...node] : node;
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  const stop = () => child.kill('SIGKILL');
  return new Promise((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`cannot start the busy loop (${cmd}: ${error.code ?? error.message}); it needs \`nice\` (Linux, macOS)`)));
    child.once('exit', (code) => reject(new Error(`the busy loop ended at once (${cmd} exited with ${code}): is ${nice} a nice level?`)));
    child.stdout.once('data', () => {
      process.once('exit', stop);
      resolve(() => {
        process.off('exit', stop);
        stop();
      });
    });
  });
}
