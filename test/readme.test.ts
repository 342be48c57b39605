// The README's examples run as written, in the order written, in a copy of the repository: the guide cannot rot.
//
// The convention: a ```sh block is run line by line (bash, in the copy's root, with `cnnx` on the PATH
// as `npm link` puts it there); a ```json block is a spec that must be a file in examples/, or one
// layer per line; a ```js block runs as an ES module in the copy's root (so `from 'cnnx'` resolves to
// the package itself). Blocks without a language are synopses or printed output, not run. The
// commands in NOT_RUN are skipped for the reason given; any other command must exit 0.
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { ROOT, tempDir } from './helpers.js';

const run = promisify(execFile);

const NOT_RUN: readonly (readonly [RegExp, string])[] = [
  [/^npm install$/, 'installs from the registry: the checkout under test is installed already'],
  [/^npm link --ignore-scripts$/, "writes npm's global folder: the test puts the same link on its PATH"],
  [/^npm test$/, 'this test is part of it'],
];

interface Block {
  readonly lang: string;
  readonly text: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
}

function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const fence = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (let m = fence.exec(markdown); m; m = fence.exec(markdown)) {
    blocks.push({ lang: m[1], text: m[2], line: markdown.slice(0, m.index).split('\n').length });
  }
  return blocks;
}

/**
 * What the README's examples read from a clone (plus the build), copied: other tests write into the
 * checkout while this one runs, so it is not copied whole. Dependencies are linked.
 */
const CLONE = ['package.json', 'bin', 'dist', 'build', 'examples', 'kernels', 'fixtures/images'];

/** The copy the commands write into. */
function copyOfRepository(): { dir: string; bin: string } {
  const dir = path.join(tempDir('cnnx-readme-'), 'cnnx');
  for (const entry of CLONE) cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  // What `npm link` makes: a `cnnx` on the PATH pointing at bin/cnnx.js.
  const bin = path.join(dir, '..', 'bin');
  mkdirSync(bin);
  chmodSync(path.join(dir, 'bin', 'cnnx.js'), 0o755);
  symlinkSync(path.join(dir, 'bin', 'cnnx.js'), path.join(bin, 'cnnx'));
  return { dir, bin };
}

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const blocks = fencedBlocks(README);
const { dir, bin } = copyOfRepository();
const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}`, CI: 'true' };

async function shell(command: string): Promise<{ stdout: string; stderr: string }> {
  return run('bash', ['-c', command], { cwd: dir, env, maxBuffer: 64 * 1024 * 1024 });
}

/** The examples/*.json file holding exactly this spec, if any. */
function exampleFileOf(spec: unknown): string | undefined {
  const examples = path.join(dir, 'examples');
  return readdirSync(examples)
    .filter((name) => name.endsWith('.json'))
    .find((name) => JSON.stringify(JSON.parse(readFileSync(path.join(examples, name), 'utf8'))) === JSON.stringify(spec));
}

describe('README examples, in order', () => {
  test('the README has runnable blocks of each kind', () => {
    const langs = new Set(blocks.map((b) => b.lang));
    for (const lang of ['sh', 'json', 'js']) expect(langs).toContain(lang);
  });

  for (const block of blocks) {
    if (block.lang === 'sh') {
      const lines = block.text.split('\n').filter((l) => l.trim() !== '');
      for (const line of lines) {
        const command = line.replace(/\s+#.*$/, '').trim();
        const skipped = NOT_RUN.find(([pattern]) => pattern.test(command));
        if (skipped) {
          test.skip(`line ${block.line}: ${command} (${skipped[1]})`, () => {});
          continue;
        }
        test(`line ${block.line}: ${command}`, async () => {
          await shell(command);
          const output = /(?:^|\s)-o (\S+)/.exec(command)?.[1];
          if (output && output !== '-') expect(existsSync(path.join(dir, output))).toBe(true);
        }, 300_000);
      }
    } else if (block.lang === 'json') {
      const whole = (() => {
        try {
          return JSON.parse(block.text) as unknown;
        } catch {
          return undefined;
        }
      })();
      if (whole !== undefined) {
        test(`line ${block.line}: the spec is a file in examples/ and runs`, async () => {
          const file = exampleFileOf(whole);
          expect(file, 'the README shows a spec that is not in examples/: a reader could not run it').toBeDefined();
          await shell(`cnnx apply examples/${file} fixtures/images/chelsea.png -o readme-spec.npy`);
        }, 300_000);
      } else {
        const layers = block.text.split('\n').filter((l) => l.trim() !== '');
        test.each(layers.map((l, i) => [i, l]))(`line ${block.line}: layer %i runs on a gray image`, async (i, layer) => {
          writeFileSync(path.join(dir, `readme-layer-${i}.json`), JSON.stringify({ name: 'readme', input: { channels: 1 }, layers: [JSON.parse(layer)] }));
          await shell(`cnnx apply readme-layer-${i}.json fixtures/images/chelsea.png -o readme-layer-${i}.npy`);
        }, 300_000);
      }
    } else if (block.lang === 'js') {
      test(`line ${block.line}: the library example runs, importing cnnx by name`, async () => {
        writeFileSync(path.join(dir, 'readme-example.mjs'), block.text);
        const { stdout } = await run(process.execPath, ['readme-example.mjs'], { cwd: dir, env });
        // seed-convnet's conv1 on the 451x300 cat: 32 channels, padding 1 keeps the size.
        expect(stdout).toBe('32 300 451\n');
      }, 300_000);
    }
  }
});
