// The CLI's spelling of library options in messages: `options.maxMemory` -> `--max-memory`, and the messages that reach the user that way.
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { inCliWords } from '../../src/cli/option-names.js';
import { FIXTURES, ROOT, runCli, tempDir } from '../helpers.js';

describe('inCliWords', () => {
  test('options become flags; values stay; unknown options and other text are left alone', () => {
    expect(inCliWords('options.maxMemory is 1 GiB')).toBe('--max-memory is 1 GiB');
    expect(inCliWords('options.bandRows: expected an integer >= 1, got 0')).toBe('--band-rows: expected an integer >= 1, got 0');
    expect(inCliWords('use the reference engine (options.kind "reference")')).toBe('use the reference engine (--engine reference)');
    expect(inCliWords('direct convolutions (options.winograd false) keep NaN')).toBe('direct convolutions (--no-winograd) keep NaN');
    expect(inCliWords('options.pixel 16,0 is outside')).toBe('--pixel 16,0 is outside');
    expect(inCliWords('options.inputPixel 0,32 is outside')).toBe('--input-pixel 0,32 is outside');
    expect(inCliWords('options.grid.cols: expected a positive integer')).toBe('--grid.cols: expected a positive integer');
    expect(inCliWords('options.tempDir is not writable')).toBe('options.tempDir is not writable');
    expect(inCliWords('net.json: layers[0] (conv2d).options: unknown key')).toBe('net.json: layers[0] (conv2d).options: unknown key');
  });
});

describe('library errors through the CLI name its flags', () => {
  const SEED = path.join(ROOT, 'examples', 'seed-convnet.json');
  const EDGES = path.join(ROOT, 'examples', 'edges.json');
  const CAT = path.join(FIXTURES, 'images', 'chelsea.png');

  async function expectOneLine(args: string[], code: number, line: string): Promise<void> {
    const r = await runCli(args);
    expect(r.stderr).toBe(`cnnx: ${line}\n`);
    expect(r.code).toBe(code);
  }

  test('export-onnx --opset', async () => {
    const out = path.join(tempDir(), 'net.onnx');
    await expectOneLine(['export-onnx', SEED, '-o', out, '--opset', '5'], 2, '--opset: expected an integer from 11 to 22, got 5');
  });

  test('apply --scale, --grid and --max-memory', async () => {
    const dir = tempDir();
    await expectOneLine(['apply', EDGES, CAT, '-o', path.join(dir, 'x.png'), '--scale', 'bogus'], 2, '--scale: expected channel, global, none or pLOW-pHIGH (for example p1-p99), got "bogus"');
    await expectOneLine(['apply', EDGES, CAT, '-o', path.join(dir, 'x.png'), '--grid', '1x1'], 2, '--grid: 1x1 has 1 cell, the layer has 6 channels');
    await expectOneLine(['apply', EDGES, CAT, '-o', path.join(dir, 'x.npy'), '--max-memory', 'lots'], 2, '--max-memory "lots": expected a size such as 512M, 2G or 1.5G (units K, M, G, T)');
  });

  test('where --input-pixel outside the input', async () => {
    await expectOneLine(['where', SEED, '--input-pixel', '0,32', '--size', '32x32'], 2, '--input-pixel 0,32 is outside the input 3x32x32 (rows 0..31, cols 0..31)');
  });
});
