// `--help` of every command (examples that run, required options marked, no empty defaults) and commander's errors as one cnnx line.
import { symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers.js';

const COMMANDS = ['apply', 'inspect', 'kernels', 'where', 'verify', 'export-onnx', 'export-torch'];

/** The command lines of a help text's Examples block. */
function exampleLines(help: string): string[] {
  const block = help.slice(help.indexOf('Examples:'));
  return block.split('\n').filter((l) => /^ {2}(cnnx|find) /.test(l)).map((l) => l.trim());
}

describe('--help', () => {
  test.each(COMMANDS)('%s: examples, no empty or false defaults', async (command) => {
    const r = await runCli([command, '--help']);
    expect(r.code).toBe(0);
    const help = r.stdout.toString();
    expect(help).toContain('Examples:');
    expect(exampleLines(help).length).toBeGreaterThanOrEqual(2);
    expect(help).not.toContain('(default: [])');
    expect(help).not.toContain('(default: false)');
  });

  test('required options are shown as required', async () => {
    const verify = (await runCli(['verify', '--help'])).stdout.toString();
    expect(verify).toContain('Usage: cnnx verify <net> <input> --against <expected.npy> [options]');
    expect(verify).toMatch(/--against <expected\.npy>\s+expected output, \(C, H, W\), \(1, C, H, W\) or \(H, W\)\s+float\s+\(required\)/);
    const exportOnnx = (await runCli(['export-onnx', '--help'])).stdout.toString();
    expect(exportOnnx).toContain('Usage: cnnx export-onnx <net> -o <file> [options]');
    expect(exportOnnx).toMatch(/-o, --output <file>\s+the \.onnx file to write \(required\)/);
    const apply = (await runCli(['apply', '--help'])).stdout.toString();
    expect(apply).toContain('Usage: cnnx apply <net> [inputs...] -o <path> [options]');
    expect(apply).toContain('Exit codes: 0 ok, 1 some inputs failed, 2 usage, spec or setup error, 70 internal error, 130/143 interrupted, 141 stdout pipe closed.');
  });

  test('the examples that need no photo of yours run as written', async () => {
    const dir = tempDir();
    symlinkSync(path.join(ROOT, 'examples'), path.join(dir, 'examples'));
    const runnable: string[][] = [];
    for (const command of COMMANDS) {
      const help = (await runCli([command, '--help'])).stdout.toString();
      for (const line of exampleLines(help)) {
        if (!/^cnnx /.test(line) || /[|&>]|photo|\snet\.json|input\.npy/.test(line)) continue;
        runnable.push(line.replace(/^cnnx /, '').split(' ').map((a) => a.replace(/^"(.*)"$/, '$1')));
      }
    }
    expect(runnable.length).toBeGreaterThanOrEqual(7);
    for (const args of runnable) {
      const r = await runCli(args, { cwd: dir });
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
    }
  });
});

describe("commander's errors are one cnnx line, exit 2", () => {
  test.each([
    [['aply'], "unknown command 'aply' (did you mean 'apply'?)"],
    [['apply', 'net.json', '--layre', 'x'], "unknown option '--layre' (did you mean '--layer'?)"],
    [['apply', 'net.json', '--engine', 'slow'], '--engine slow: expected one of reference, fast'],
    [['apply', 'net.json', '--threads', '0'], '--threads 0: expected an integer from 1 to 256'],
    [['where', 'net.json', '--pixel', '1x'], '--pixel 1x: expected Y,X (row and column, 0-based)'],
    [['verify', 'net.json', 'photo.png'], "required option '--against <expected.npy>' not specified"],
  ])('%j', async (args, line) => {
    const r = await runCli(args);
    expect(r.stderr).toBe(`cnnx: ${line}\n`);
    expect(r.code).toBe(2);
    expect(r.stdout.length).toBe(0);
  });
});
