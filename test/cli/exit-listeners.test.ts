// A program that calls the CLI's main() keeps its own 'exit' listeners: cnnx's last-moment exit (temp sweep, then
// process.exit) runs them first, with the exit code, instead of skipping them.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

const MAIN = pathToFileURL(path.join(ROOT, 'dist', 'cli', 'main.js')).href;
const SEED = path.join(ROOT, 'examples', 'seed-convnet.json');

/** Runs main(args) in a child that registers two exit listeners after it returns; their stderr lines and the exit code. */
function embed(args: readonly string[]): { status: number | null; lines: string[] } {
  const script = `
    import { main } from ${JSON.stringify(MAIN)};
    await main(['node', 'cnnx', ...${JSON.stringify(args)}]);
    process.on('exit', (code) => process.stderr.write('first listener ' + code + '\\n'));
    process.once('exit', (code) => process.stderr.write('second listener ' + code + '\\n'));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, CI: 'true' }, encoding: 'utf8' });
  return { status: r.status, lines: r.stderr.split('\n').filter((l) => l.endsWith('listener ' + r.status)) };
}

describe('exit listeners after main()', () => {
  it('run in order with the exit code, on success and on failure', () => {
    expect(embed(['inspect', SEED, '--size', '32x32'])).toEqual({ status: 0, lines: ['first listener 0', 'second listener 0'] });
    const failed = embed(['inspect', path.join(ROOT, 'no-such-net.json')]);
    expect(failed.status).not.toBe(0);
    expect(failed.lines).toEqual([`first listener ${failed.status}`, `second listener ${failed.status}`]);
  }, 60_000);
});
