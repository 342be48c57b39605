// `cnnx inspect`: parameter counts, multiply-adds and receptive fields, in-process and through the CLI.
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { summarize } from '../../src/inspect/summary.js';
import { loadNetwork } from '../../src/network/load.js';
import { ROOT, runCli } from '../helpers.js';

const SEED = path.join(ROOT, 'examples', 'seed-convnet.json');

describe('seed network on 32x32', () => {
  test('params, multiply-adds and shapes', async () => {
    const s = summarize(await loadNetwork(SEED), { channels: 3, height: 32, width: 32 });
    expect(s.layers.map((l) => l.params)).toEqual([896, 0, 0, 18496, 0, 0]);
    expect(s.totalParams).toBe(896 + 18496);
    expect(s.layers[0].macs).toBe(32 * 32 * 32 * 27);
    expect(s.layers[3].macs).toBe(64 * 16 * 16 * 32 * 9);
    expect(s.layers.map((l) => `${l.output.channels}x${l.output.height}x${l.output.width}`)).toEqual([
      '32x32x32', '32x32x32', '32x16x16', '64x16x16', '64x16x16', '64x8x8',
    ]);
  });

  test('receptive field, jump and start (torch-scan rules)', async () => {
    const s = summarize(await loadNetwork(SEED), { channels: 3, height: 32, width: 32 });
    expect(s.layers.map((l) => l.receptiveField?.[0])).toEqual([3, 3, 4, 8, 8, 10]);
    expect(s.layers.map((l) => l.jump?.[0])).toEqual([1, 1, 2, 2, 2, 4]);
    expect(s.layers.map((l) => l.start?.[0])).toEqual([0, 0, 0.5, 0.5, 0.5, 1.5]);
  });

  test('the CLI table and --json', async () => {
    const table = await runCli(['inspect', SEED, '--size', '32x32']);
    expect(table.code).toBe(0);
    const text = table.stdout.toString();
    expect(text).toContain('seed-convnet: input 3x32x32');
    expect(text).toMatch(/0\s+conv1\s+conv2d\s+32x32x32\s+896\s+884,736/);
    expect(text).toContain('total params: 19,392');
    const json = await runCli(['inspect', SEED, '--size', '32x32', '--json']);
    const parsed = JSON.parse(json.stdout.toString());
    expect(parsed.totalParams).toBe(19392);
    expect(parsed.layers[5].output).toEqual({ channels: 64, height: 8, width: 8 });
  });

  test('a size too small for the network is one clear line', async () => {
    const result = await runCli(['inspect', SEED, '--size', '3x3']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toBe(`cnnx: input size 3x3: ${SEED}: layers[5] (maxpool2d "pool2"): the 2x2 window does not fit the input 1x1 (input 3x3x3)\n`);
  });
});
