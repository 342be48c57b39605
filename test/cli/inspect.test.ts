// `cnnx inspect`: parameter counts, multiply-adds and receptive fields, in-process and through the CLI.
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { summarize } from '../../src/inspect/summary.js';
import { loadNetwork } from '../../src/network/load.js';
import { ROOT, runCli, tempDir } from '../helpers.js';

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

  test('a size too small for the network is one clear line, a usage error (exit 2) of inspect and where alike', async () => {
    const result = await runCli(['inspect', SEED, '--size', '3x3']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`cnnx: input size 3x3: ${SEED}: layers[5] (maxpool2d "pool2"): the 2x2 window does not fit the input 1x1 (input 3x3x3)\n`);
    const where = await runCli(['where', SEED, '--size', '3x3', '--pixel', '0,0']);
    expect(where.code).toBe(2);
    expect(where.stderr).toBe(result.stderr);
  });
});

describe('a branching network (two ResNet basic blocks, the first with a stride-2 projection) on 8x12', () => {
  const NET = path.join(ROOT, 'fixtures', 'branches', 'resnet_basic_stride2_projection', 'net.json');
  // By hand: 3x3 convs 4->8 (288) and 8->8 (576), a 1x1 projection 4->8 (32), batch norms of 8 channels
  // (4 x 8 numbers); outputs 8x4x6, so a conv costs out elements x in channels x kernel area, an add 8x4x6.
  const block1 = { params: 288 + 32 + 576 + 32 + 32 + 32, macs: 192 * 4 * 9 + 192 * 8 * 9 + 192 * 4 + 192 };
  const block2 = { params: 576 + 32 + 576 + 32, macs: 2 * 192 * 8 * 9 + 192 };

  test('groups with their place, nodes, output and totals; nodes with their inputs', async () => {
    const s = summarize(await loadNetwork(NET), { channels: 4, height: 8, width: 12 });
    expect(s.groups.map((g) => [g.name, g.type, g.path, g.depth, g.first, g.last, g.outputNode, g.branches])).toEqual([
      ['layer2.0', 'sequential', 'layers[0]', 0, 0, 8, 8, null],
      ['layer2.0.add', 'add', 'layers[0].layers[0]', 1, 0, 7, 7, 2],
      ['layer2.1', 'sequential', 'layers[1]', 0, 9, 15, 15, null],
      ['layer2.1.add', 'add', 'layers[1].layers[0]', 1, 9, 14, 14, 2],
    ]);
    expect(s.groups.map((g) => [g.params, g.macs])).toEqual([[block1.params, block1.macs], [block1.params, block1.macs], [block2.params, block2.macs], [block2.params, block2.macs]]);
    expect(s.totalParams).toBe(block1.params + block2.params);
    expect(s.groups[0].output).toEqual({ channels: 8, height: 4, width: 6 });
    // The projection reads the network's input; the adds read both branch ends; the second shortcut is the first block's output.
    expect(s.layers[5]).toMatchObject({ path: 'layers[0].layers[0].branches[1][0]', name: 'layer2.0.downsample.0', inputs: [-1] });
    expect(s.layers[7].inputs).toEqual([4, 6]);
    expect(s.layers[14].inputs).toEqual([13, 8]);
  });

  test('the table: group rows before their nodes, nodes indented under them, "from" where a node reads elsewhere', async () => {
    const r = await runCli(['inspect', NET, '--size', '8x12']);
    expect(r.code).toBe(0);
    const lines = r.stdout.toString().split('\n');
    expect(lines[0]).toBe('resnet_basic_stride2_projection: input 4x8x12');
    expect(lines[1]).toMatch(/^ +# +name +type +from +output \(CxHxW\) +params +mult-adds +activation +rf +jump +start$/);
    const rows = lines.slice(3, 22);
    // [#, indentation of the name, name]: groups and nodes nest two spaces a level; unnamed nodes have an empty cell.
    const [nameAt, typeAt] = [lines[1].indexOf('name'), lines[1].indexOf('type')];
    expect(rows.map((l) => {
      const cell = l.slice(nameAt, typeAt);
      return [l.slice(0, nameAt).trim(), cell.trim() ? cell.length - cell.trimStart().length : null, cell.trim()];
    })).toEqual([
      ['0..8', 0, 'layer2.0'],
      ['0..7', 2, 'layer2.0.add'],
      ['0', 4, 'layer2.0.conv1'],
      ['1', 4, 'layer2.0.bn1'],
      ['2', null, ''],
      ['3', 4, 'layer2.0.conv2'],
      ['4', 4, 'layer2.0.bn2'],
      ['5', 4, 'layer2.0.downsample.0'],
      ['6', 4, 'layer2.0.downsample.1'],
      ['7', 4, 'layer2.0.add'],
      ['8', null, ''],
      ['9..15', 0, 'layer2.1'],
      ['9..14', 2, 'layer2.1.add'],
      ['9', 4, 'layer2.1.conv1'],
      ['10', 4, 'layer2.1.bn1'],
      ['11', null, ''],
      ['12', 4, 'layer2.1.conv2'],
      ['13', 4, 'layer2.1.bn2'],
      ['14', 4, 'layer2.1.add'],
    ]);
    expect(rows[4]).toMatch(/^ +2 +relu +8x4x6 /);
    expect(rows[0]).toMatch(/^ 0\.\.8  layer2\.0 +sequential +8x4x6 +992 +21,696 +7 +2 +0$/);
    expect(rows[1]).toMatch(/ add, 2 branches +8x4x6 +992 +21,696 /);
    expect(rows[7]).toMatch(/layer2\.0\.downsample\.0 +conv2d +input +8x4x6 +32 +768 +768 B +1 +2 +0$/);
    expect(rows[9]).toMatch(/layer2\.0\.add +add +4,6 +8x4x6 +0 +192 /);
    expect(rows[18]).toMatch(/layer2\.1\.add +add +13,8 +8x4x6 /);
    expect(lines).toContain(`total params: ${(block1.params + block2.params).toLocaleString('en-US')}`);
    expect(lines).toContain('  layers[0].layers[0].branches[1][0] (conv2d "layer2.0.downsample.0"): never reads the bottom 1 row and the right 1 column of its 8x12 input: the kernel 1 stride 2 padding 0 windows stop short of the border [border_unread]');
  });

  test('--depth 0 keeps the top level: each block one row with its totals', async () => {
    const r = await runCli(['inspect', NET, '--size', '8x12', '--depth', '0']);
    expect(r.code).toBe(0);
    const lines = r.stdout.toString().split('\n');
    expect(lines[1]).not.toContain('from');
    expect(lines.slice(3, 6)).toEqual([
      expect.stringMatching(/^ 0\.\.8  layer2\.0 +sequential +8x4x6 +992 +21,696 +7 +2 +0$/),
      expect.stringMatching(/^9\.\.15  layer2\.1 +sequential +8x4x6 +1,216 +27,840 +15 +2 +0$/),
      '',
    ]);
    const bad = await runCli(['inspect', NET, '--depth', '-1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('cnnx: --depth -1: expected an integer >= 0\n');
  });

  test('--json has the groups and each node\'s path and inputs', async () => {
    const r = await runCli(['inspect', NET, '--size', '8x12', '--json']);
    const parsed = JSON.parse(r.stdout.toString());
    expect(parsed.groups[1]).toEqual({ name: 'layer2.0.add', type: 'add', path: 'layers[0].layers[0]', depth: 1, first: 0, last: 7, outputNode: 7, output: { channels: 8, height: 4, width: 6 }, branches: 2, params: block1.params, macs: block1.macs });
    expect(parsed.layers[14]).toMatchObject({ path: 'layers[1].layers[0]', name: 'layer2.1.add', type: 'add', inputs: [13, 8] });
  });
});

describe('an imported ResNet-18', () => {
  test('--depth 1: the stem, each stage and its blocks, the pool', async () => {
    const spec = path.join(tempDir(), 'r18.json');
    expect((await runCli(['import', path.join(ROOT, 'fixtures', 'import', 'resnet18', 'model.pth'), '--arch', 'resnet18', '-o', spec])).code).toBe(0);
    const r = await runCli(['inspect', spec, '--depth', '1']);
    expect(r.code).toBe(0);
    const names = r.stdout.toString().split('\n').slice(3).filter((l) => /^ *\d/.test(l)).map((l) => /^ *\S+ +(\S+)/.exec(l)![1]);
    expect(names).toEqual(['conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer1.0', 'layer1.1', 'layer2', 'layer2.0', 'layer2.1', 'layer3', 'layer3.0', 'layer3.1', 'layer4', 'layer4.0', 'layer4.1', 'avgpool']);
  });
});
