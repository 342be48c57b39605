// `cnnx inspect` warnings and activation bytes: exact messages on small specs, in-process and through the CLI.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { summarize } from '../../src/inspect/summary.js';
import { parseNetwork } from '../../src/network/load.js';
import { ROOT, runCli, tempDir } from '../helpers.js';

const origin = { file: 't.json', dir: ROOT, hash: '' };
const conv = (extra: object) => ({ type: 'conv2d', out_channels: 2, kernel_size: 3, weight: { random: { seed: 1 } }, ...extra });

async function warnings(layers: unknown[], h: number, w: number) {
  const net = await parseNetwork({ input: { channels: 1 }, layers }, origin);
  return summarize(net, { channels: 1, height: h, width: w }).warnings;
}

describe('warnings', () => {
  test('ceil_mode window dropped by the last-window rule', async () => {
    // n=5, k=2, s=2, p=1: ceil gives 4 windows, but the 4th would start at row 5 (padded 6 >= n + p).
    expect(await warnings([{ type: 'maxpool2d', kernel_size: 2, padding: 1, ceil_mode: true }], 5, 6)).toEqual([
      { layer: 0, code: 'ceil_mode_dropped', message: "ceil_mode: the last window along the height would start at row 5, past the input's 5 rows, so PyTorch drops it (3, not 4)" },
    ]);
  });

  test('floor division leaves bottom rows and right columns unread', async () => {
    expect(await warnings([conv({ stride: 2 })], 8, 10)).toEqual([
      { layer: 0, code: 'border_unread', message: 'never reads the bottom 1 row and the right 1 column of its 8x10 input: the kernel 3 stride 2 padding 0 windows stop short of the border' },
    ]);
    expect(await warnings([{ type: 'avgpool2d', kernel_size: [2, 3], stride: [2, 3] }], 7, 8)).toEqual([
      { layer: 0, code: 'border_unread', message: 'never reads the bottom 1 row and the right 2 columns of its 7x8 input: the kernel 2x3 stride 2x3 padding 0 windows stop short of the border' },
    ]);
  });

  test("'same' with an even kernel", async () => {
    expect(await warnings([conv({ kernel_size: [4, 3], padding: 'same' })], 8, 8)).toEqual([
      { layer: 0, code: 'same_even_kernel', message: "'same' padding with the even kernel 4x3 pads top 1, bottom 2 (PyTorch puts the extra one bottom): each output is centred half a pixel down of the input pixel it aligns with" },
    ]);
    expect(await warnings([conv({ kernel_size: 3, padding: 'same' })], 8, 8)).toEqual([]);
  });

  test('a stride that does not divide the input (and no border warning on that axis)', async () => {
    expect(await warnings([conv({ stride: 2, padding: 1 })], 7, 8)).toEqual([
      { layer: 0, code: 'stride_not_dividing', message: 'stride 2 does not divide the input height 7: 4 output rows x 2 = 8, not 7, so scaling the map by the stride does not give back the input size' },
    ]);
  });

  test('uneven adaptive windows', async () => {
    expect(await warnings([{ type: 'adaptive_avgpool2d', output_size: [3, 2] }], 7, 8)).toEqual([
      { layer: 0, code: 'adaptive_uneven', message: 'output_size 3 does not divide the input height 7: windows of 3 rows, neighbours overlapping' },
    ]);
  });

  test('a clean network has none, and activation bytes are float32 output sizes', async () => {
    const net = await parseNetwork({ input: { channels: 1 }, layers: [conv({ padding: 1 }), { type: 'relu' }, { type: 'maxpool2d', kernel_size: 2 }] }, origin);
    const s = summarize(net, { channels: 1, height: 8, width: 8 });
    expect(s.warnings).toEqual([]);
    expect(s.layers.map((l) => l.activationBytes)).toEqual([2 * 8 * 8 * 4, 2 * 8 * 8 * 4, 2 * 4 * 4 * 4]);
    expect(s.peakActivationBytes).toBe(512);
  });
});

describe('CLI', () => {
  const dir = tempDir();
  const spec = path.join(dir, 'net.json');
  writeFileSync(spec, JSON.stringify({ name: 'warn', input: { channels: 1 }, layers: [conv({ name: 'c1', stride: 2 }), { type: 'maxpool2d', kernel_size: 2, padding: 1, ceil_mode: true }] }));

  test('warnings are listed under the table, naming the layer', async () => {
    const r = await runCli(['inspect', spec, '--size', '12x12']);
    expect(r.code).toBe(0);
    const text = r.stdout.toString();
    expect(text).toMatch(/0\s+c1\s+conv2d\s+2x5x5\s+18\s+450\s+200 B\s+3\s+2\s+1\n/);
    expect(text).toContain('largest activation: 200 B (float32)\n');
    expect(text.split('\n').slice(-4)).toEqual([
      'warnings (2):',
      '  layers[0] (conv2d "c1"): never reads the bottom 1 row and the right 1 column of its 12x12 input: the kernel 3 stride 2 padding 0 windows stop short of the border [border_unread]',
      "  layers[1] (maxpool2d): ceil_mode: the last window along the height would start at row 5, past the input's 5 rows, so PyTorch drops it (3, not 4); the last window along the width would start at column 5, past the input's 5 columns, so PyTorch drops it (3, not 4) [ceil_mode_dropped]",
      '',
    ]);
  });

  test('--json carries the warnings and activation bytes', async () => {
    const r = await runCli(['inspect', spec, '--size', '12x12', '--json']);
    const parsed = JSON.parse(r.stdout.toString());
    expect(parsed.warnings.map((w: { layer: number; code: string }) => [w.layer, w.code])).toEqual([[0, 'border_unread'], [1, 'ceil_mode_dropped']]);
    expect(parsed.layers[0].activationBytes).toBe(200);
  });
});
