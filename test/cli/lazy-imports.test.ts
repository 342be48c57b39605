// A command loads only the modules it runs: module loading is most of a small run's start, so `cnnx apply` on one
// photo must not pay for the importers, the server, Parquet or the spinner, and `cnnx inspect` not even for sharp.
// The child runs with a resolve hook that refuses the modules a command must not load: importing one fails the run.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, runCli, tempDir } from '../helpers.js';

const SEED = path.join(ROOT, 'examples', 'seed-convnet.json');
const PHOTO = path.join(FIXTURES, 'images', 'chelsea.png');

/** Node arguments that make resolving any specifier matching `pattern` throw "refused to load <specifier>". */
function refusing(pattern: RegExp): string[] {
  const hooks = `export async function resolve(specifier, context, next) {
    if (${pattern}.test(specifier)) throw new Error('refused to load ' + specifier);
    return next(specifier, context);
  }`;
  const setup = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  return ['--import', `data:text/javascript,${encodeURIComponent(setup)}`];
}

/** What only other commands, or other formats, need. */
const NOT_FOR_APPLY = /^(ora|hyparquet|hyparquet-writer|yauzl)$|\/(import|serve|verify|where|kernels|export-onnx|export-torch)\.js$|embedding-(sink|parts)\.js$/;

describe('lazy imports', () => {
  it('the hook refuses what it is given: an embeddings run needs Parquet and fails without it', async () => {
    const out = tempDir();
    const r = await runCli(['apply', SEED, PHOTO, '-o', `${out}/`, '--format', 'embeddings', '-q'], { nodeArgs: refusing(NOT_FOR_APPLY) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/refused to load .*embedding-(sink|parts)\.js|refused to load hyparquet/);
  }, 60_000);

  it('apply on a photo to .npy loads no importer, server, Parquet or spinner', async () => {
    const out = path.join(tempDir(), 'f.npy');
    const r = await runCli(['apply', SEED, PHOTO, '-o', out, '-q'], { nodeArgs: refusing(NOT_FOR_APPLY) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(out)).toBe(true);
  }, 60_000);

  it('inspect loads neither sharp nor the engine', async () => {
    const r = await runCli(['inspect', SEED, '--size', '32x32'], { nodeArgs: refusing(/^sharp$|\/engine\/(create|fast\/index)\.js$|\/cli\/apply\.js$/) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toMatch(/conv1/);
  }, 60_000);
});
