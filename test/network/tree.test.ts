// Specs with groups (sequential, add, concat): the node list, names, JSON paths in errors, and layer selection.
import { describe, expect, test } from 'vitest';
import { CnnxError, EXIT } from '../../src/errors.js';
import { parseNetwork } from '../../src/network/load.js';
import { selectLayers } from '../../src/network/run.js';
import { inferShapes } from '../../src/network/shapes.js';
import { INPUT } from '../../src/network/types.js';

const origin = { file: 'net.json', dir: process.cwd(), hash: '0' };
const conv = (name: string, out: number, extra: Record<string, unknown> = {}) => ({ type: 'conv2d', name, out_channels: out, kernel_size: 3, padding: 1, weight: { random: { seed: 1 } }, ...extra });
const spec = (layers: unknown[], channels = 3) => ({ input: { channels }, layers });

async function errorOf(raw: unknown): Promise<CnnxError> {
  const error = await parseNetwork(raw, origin).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(CnnxError);
  return error as CnnxError;
}

/** A ResNet basic block: add(body, shortcut) then relu, named like torchvision. */
const block = (name: string, cin: number, cout: number, stride: number) => ({
  type: 'sequential',
  name,
  layers: [
    {
      type: 'add',
      name: `${name}.add`,
      branches: [
        [conv(`${name}.conv1`, cout, { stride }), { type: 'relu' }, conv(`${name}.conv2`, cout)],
        stride === 1 && cin === cout ? [] : [conv(`${name}.downsample.0`, cout, { kernel_size: 1, padding: 0, stride })],
      ],
    },
    { type: 'relu', name: `${name}.relu` },
  ],
});

describe('the node list of a tree', () => {
  test('nodes in spec order, each reading its inputs; a merge reads its branches, an empty branch the group input', async () => {
    const net = await parseNetwork(spec([conv('stem', 4), block('layer1', 4, 4, 1), block('layer2', 4, 8, 2)]), origin);
    expect(net.layers.map((l) => `${l.index}:${l.type}:${l.inputs.join(',')}`)).toEqual([
      '0:conv2d:-1',
      '1:conv2d:0', '2:relu:1', '3:conv2d:2', '4:add:3,0', '5:relu:4',
      '6:conv2d:5', '7:relu:6', '8:conv2d:7', '9:conv2d:5', '10:add:8,9', '11:relu:10',
    ]);
    expect(net.layers[9].path).toBe('layers[2].layers[0].branches[1][0]');
    expect(net.layers[10].path).toBe('layers[2].layers[0]');
    expect(net.names.get('layer1')).toBe(5);
    expect(net.names.get('layer2.add')).toBe(10);
    expect(net.names.get('stem')).toBe(0);
    expect(net.groups.map((g) => [g.type, g.name, g.first, g.last, g.output, g.depth])).toEqual([
      ['add', 'layer1.add', 1, 4, 4, 1],
      ['sequential', 'layer1', 1, 5, 5, 0],
      ['add', 'layer2.add', 6, 10, 10, 1],
      ['sequential', 'layer2', 6, 11, 11, 0],
    ]);
    const shapes = inferShapes(net, { channels: 3, height: 9, width: 7 }, 'x');
    expect(shapes[11]).toEqual({ channels: 8, height: 5, width: 4 });
  });

  test('concat stacks channels in branch order; no-ops make no node and their name names what flows through', async () => {
    const net = await parseNetwork(
      spec([{ type: 'dropout', name: 'first', p: 0.2 }, { type: 'concat', name: 'cat', branches: [[], [conv('a', 2)], [conv('b', 5), { type: 'identity', name: 'b.id' }]] }]),
      origin,
    );
    expect(net.layers.map((l) => l.type)).toEqual(['conv2d', 'conv2d', 'concat']);
    expect(net.layers[2].inputs).toEqual([INPUT, 0, 1]);
    expect(net.names.get('first')).toBe(INPUT);
    expect(net.names.get('b.id')).toBe(1);
    expect(inferShapes(net, { channels: 3, height: 4, width: 4 }, 'x')[2]).toEqual({ channels: 10, height: 4, width: 4 });
  });
});

describe('selecting outputs by name', () => {
  test('group names, layer names and input; all lists every name in node order', async () => {
    const net = await parseNetwork(spec([conv('stem', 4), block('layer1', 4, 4, 1)]), origin);
    expect(selectLayers(net, ['layer1', 'layer1.add', 'input'])).toEqual([
      { label: 'layer1', node: 5 },
      { label: 'layer1.add', node: 4 },
      { label: 'input', node: INPUT },
    ]);
    expect(selectLayers(net, []).map((s) => s.node)).toEqual([5]);
    expect(selectLayers(net, ['all']).map((s) => `${s.label}@${s.node}`)).toEqual(['stem@0', 'layer1.conv1@1', 'layer1.conv2@3', 'layer1.add@4', 'layer1.relu@5', 'layer1@5']);
    const error = (() => {
      try {
        selectLayers(net, ['layer1.ad']);
      } catch (e) {
        return e as CnnxError;
      }
    })();
    expect(error?.code).toBe('usage.layer');
    expect(error?.message).toContain('(did you mean "layer1.add"?)');
  });
});

describe('rejected trees', () => {
  const cases: [string, unknown, string, string][] = [
    ['name used twice in different groups', spec([block('a', 3, 3, 1), { type: 'sequential', layers: [{ type: 'relu', name: 'a.relu' }] }]), 'spec.name', 'net.json: layers[1].layers[0] (relu "a.relu").name: "a.relu" is already the name of layers[0].layers[1]'],
    ['group name reserved', spec([{ type: 'sequential', name: 'input', layers: [{ type: 'relu' }] }]), 'spec.name', 'net.json: layers[0] (sequential "input").name: "input" is reserved; choose another name'],
    ['one branch', spec([{ type: 'add', branches: [[]] }]), 'spec.type', 'net.json: layers[0] (add).branches: expected an array of 2 or more branches, each an array of layers ([] for the add\'s input itself), got [[]]'],
    ['a branch that is not a list', spec([{ type: 'concat', branches: [[], { type: 'relu' }] }]), 'spec.type', 'net.json: layers[0] (concat).branches: expected an array of 2 or more branches'],
    ['sequential without layers', spec([{ type: 'sequential', name: 's' }]), 'spec.missing', 'net.json: layers[0] (sequential "s").layers: is required'],
    ['typo in a group key', spec([{ type: 'add', branchs: [[], []] }]), 'spec.missing', 'net.json: layers[0] (add).branches: is required (is "branchs" a typo?)'],
    ['a bad layer deep inside', spec([{ type: 'add', branches: [[], [{ type: 'sequential', layers: [{ type: 'conv2d', out_channels: 3, kernel_size: 3, padding: 1, weight: { random: { seed: 1 } }, strid: 2 }] }]] }]), 'spec.unknown_key', 'net.json: layers[0].branches[1][0].layers[0] (conv2d).strid: unknown key (did you mean "stride"?)'],
    ['add channels disagree', spec([{ type: 'add', branches: [[conv('a', 4)], [conv('b', 3)]] }]), 'spec.shape', 'net.json: layers[0].branches[1][0] (conv2d "b"): gives 3 channels, branches[0] 4: the branches of an add must agree in channels'],
    ['add with an empty branch that keeps fewer channels', spec([{ type: 'add', branches: [[conv('a', 4)], []] }]), 'spec.shape', 'net.json: layers[0].branches[1] (empty: the group\'s input): gives 3 channels, branches[0] 4'],
    ['concat sizes disagree at every size', spec([{ type: 'concat', branches: [[conv('a', 4, { stride: 2 })], [conv('b', 4)]] }]), 'spec.shape', 'net.json: layers[0].branches[1][0] (conv2d "b"): gives 4x224x224, branches[0] 4x112x112: the branches of a concat must agree in size (at every input size tried, e.g. 224x224)'],
  ];
  test.each(cases)('%s', async (_name, raw, code, message) => {
    const error = await errorOf(raw);
    expect(error.code).toBe(code);
    expect(error.exitCode).toBe(EXIT.usage);
    expect(error.message).toContain(message);
  });

  test('branches that disagree only at some sizes load, and fail for the inputs that hit them, naming the merge', async () => {
    // A 2x2 pool floors odd sizes, a stride-2 3x3 conv with padding 1 rounds them up.
    const net = await parseNetwork(spec([{ type: 'add', name: 'join', branches: [[conv('a', 3, { stride: 2 })], [{ type: 'maxpool2d', kernel_size: 2 }]] }]), origin);
    expect(inferShapes(net, { channels: 3, height: 8, width: 8 }, 'even.png')[1]).toEqual({ channels: 3, height: 4, width: 4 });
    const error = (() => {
      try {
        inferShapes(net, { channels: 3, height: 9, width: 8 }, 'odd.png');
      } catch (e) {
        return e as CnnxError;
      }
    })();
    expect(error?.code).toBe('input.branch_mismatch');
    expect(error?.exitCode).toBe(EXIT.inputFailed);
    expect(error?.message).toBe('odd.png: net.json: layers[0] (add "join"): branches[1] gives 3x4x4, branches[0] 3x5x4: the branches of an add must agree in channels and size (input 3x9x8)');
  });
});
