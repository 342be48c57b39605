// ONNX import: the structure rebuilt from PyTorch-exported models (names, nesting, weights), op mapping on small hand-built models, and every refusal.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CnnxError } from '../../src/errors.js';
import { readCheckpoint } from '../../src/import/checkpoint.js';
import { importOnnx, type OnnxImportOptions } from '../../src/import/onnx-import.js';
import { decodeOnnxModel } from '../../src/import/onnx-model.js';
import { WeightStore, type SpecItem } from '../../src/import/spec-tree.js';
import { tempDir } from '../helpers.js';
import { fixture, onnxModel, type TestInitializer, type TestNode } from './helpers.js';

function importFile(file: string, options: OnnxImportOptions = {}): { channels: number; layers: SpecItem[]; store: WeightStore } {
  const store = new WeightStore('net.safetensors');
  return { ...importOnnx(decodeOnnxModel(readFileSync(file), path.basename(file)), store, options), store };
}

function importBytes(bytes: Uint8Array, options: OnnxImportOptions = {}, file = 'm.onnx'): { channels: number; layers: SpecItem[]; store: WeightStore } {
  const store = new WeightStore('net.safetensors');
  return { ...importOnnx(decodeOnnxModel(bytes, file), store, options), store };
}

function failure(run: () => unknown): CnnxError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CnnxError);
    expect((error as CnnxError).message).not.toContain('\n');
    expect((error as CnnxError).exitCode).toBe(2);
    return error as CnnxError;
  }
  throw new Error('expected an import error');
}

/** The tree as `name` / `type name [children]` strings, for readable structure assertions. */
function outline(items: readonly SpecItem[]): unknown[] {
  return items.map((item) => {
    const label = item.name === undefined ? item.type : `${item.type} ${item.name}`;
    if (item.type === 'sequential') return { [label as string]: outline(item.layers as SpecItem[]) };
    if (item.branches) return { [label as string]: (item.branches as SpecItem[][]).map(outline) };
    return label;
  });
}

function find(items: readonly SpecItem[], name: string): SpecItem | undefined {
  for (const item of items) {
    if (item.name === name) return item;
    const children = item.type === 'sequential' ? [item.layers as SpecItem[]] : ((item.branches as SpecItem[][] | undefined) ?? []);
    for (const list of children) {
      const hit = find(list, name);
      if (hit) return hit;
    }
  }
  return undefined;
}

const W = (name: string, dims: number[], fill = 0.1): TestInitializer => ({ name, dims, values: new Array(dims.reduce((a, b) => a * b, 1)).fill(fill) });
const conv = (input: string, weight: string, output: string, attrs: TestNode['attrs'] = {}, name?: string): TestNode => ({ op: 'Conv', inputs: [input, weight], outputs: [output], attrs, name });

describe('PyTorch-exported models: structure and names', () => {
  it('rebuilds ResNet-18 blocks as sequential(add(body, shortcut), relu) named by module, up to --until', () => {
    const { channels, layers, store } = importFile(fixture('resnet18', 'model.onnx'), { until: '/avgpool/GlobalAveragePool' });
    expect(channels).toBe(3);
    expect(layers.map((l) => l.name)).toEqual(['conv1', 'relu', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4', 'avgpool']);
    expect(outline([find(layers, 'layer2')!])).toEqual([
      {
        'sequential layer2': [
          {
            'sequential layer2.0': [
              { 'add layer2.0.add': [['conv2d layer2.0.conv1', 'relu layer2.0.relu', 'conv2d layer2.0.conv2'], [{ 'sequential layer2.0.downsample': ['conv2d layer2.0.downsample.0'] }]] },
              'relu layer2.0.relu_1',
            ],
          },
          { 'sequential layer2.1': [{ 'add layer2.1.add': [['conv2d layer2.1.conv1', 'relu layer2.1.relu', 'conv2d layer2.1.conv2'], []] }, 'relu layer2.1.relu_1'] },
        ],
      },
    ]);
    expect(find(layers, 'avgpool')).toMatchObject({ type: 'adaptive_avgpool2d', output_size: 1 });
    expect(find(layers, 'layer2.0.conv1')).toMatchObject({ in_channels: 4, out_channels: 8, kernel_size: 3, stride: 2, padding: 1, weight: { safetensors: 'net.safetensors', tensor: 'layer2.0.conv1.weight' } });
    const tensors = new Map(store.all().map((t) => [t.name, t.shape]));
    expect(tensors.get('conv1.weight')).toEqual([8, 3, 7, 7]);
    expect(tensors.get('layer2.0.downsample.0.weight')).toEqual([8, 4, 1, 1]);
    // The exporter folded each batch norm into its conv: every conv has a bias.
    expect(tensors.get('layer2.0.downsample.0.bias')).toEqual([8]);
  });

  it('stops at the Flatten of a classifier with the --until that keeps the backbone', () => {
    const error = failure(() => importFile(fixture('resnet18', 'model.onnx')));
    expect(error.code).toBe('import.unsupported');
    expect(error.message).toMatch(/^model.onnx: node \d+ "\/Flatten" \(Flatten\): not a conv-network op; cnnx imports feature extractors: add --until \/avgpool\/GlobalAveragePool to keep the graph up to that node$/);
  });

  it('folds BatchNormalization nodes into their convs in float64 (the layer takes the batch norm\'s name)', async () => {
    const { layers, store } = importFile(fixture('resnet50', 'model.onnx'));
    expect(layers.map((l) => l.name)).toEqual(['bn1', 'relu', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4']);
    expect(outline([find(layers, 'layer1.0')!])).toEqual([
      {
        'sequential layer1.0': [
          { 'add layer1.0.add': [['conv2d layer1.0.bn1', 'relu layer1.0.relu', 'conv2d layer1.0.bn2', 'relu layer1.0.relu_1', 'conv2d layer1.0.bn3'], [{ 'sequential layer1.0.downsample': ['conv2d layer1.0.downsample.1'] }]] },
          'relu layer1.0.relu_2',
        ],
      },
    ]);
    const sd = await readCheckpoint(fixture('resnet50', 'model.pth'), 'model.pth', { keep: (n) => !n.endsWith('num_batches_tracked') });
    const got = new Map(store.all().map((t) => [t.name, t.data]));
    for (const [convName, bnName] of [['layer3.1.conv2', 'layer3.1.bn2'], ['conv1', 'bn1']]) {
      const w = sd.tensors.get(`${convName}.weight`)!;
      const [gamma, beta, mean, variance] = ['weight', 'bias', 'running_mean', 'running_var'].map((k) => sd.tensors.get(`${bnName}.${k}`)!.data);
      const out = w.shape[0];
      const per = w.data.length / out;
      const weight = got.get(`${bnName}.weight`)!;
      const bias = got.get(`${bnName}.bias`)!;
      for (let o = 0; o < out; o++) {
        const s = gamma[o] / Math.sqrt(variance[o] + 1e-5);
        expect(bias[o]).toBe(Math.fround(beta[o] - mean[o] * s));
        for (let i = o * per; i < (o + 1) * per; i++) expect(weight[i]).toBe(Math.fround(w.data[i] * s));
      }
    }
  });

  it('names a model exported from model.features as torchvision does (features.N), MobileNetV2 residuals as add([], conv)', () => {
    const { layers, prefix } = importFile(fixture('mobilenet_v2', 'model.onnx'));
    expect(prefix).toBe('features');
    expect(layers.map((l) => l.name)).toEqual(['features']);
    const features = find(layers, 'features')!.layers as SpecItem[];
    expect(features.map((l) => l.name)).toEqual(Array.from({ length: 19 }, (_, i) => `features.${i}`));
    expect(outline([find(layers, 'features.0')!])).toEqual([{ 'sequential features.0': ['conv2d features.0.0', 'relu6 features.0.2'] }]);
    expect(outline([find(layers, 'features.3')!])).toEqual([
      {
        'sequential features.3': [
          {
            'add features.3.add': [
              [],
              [{ 'sequential features.3.conv': [{ 'sequential features.3.conv.0': ['conv2d features.3.conv.0.0', 'relu6 features.3.conv.0.2'] }, { 'sequential features.3.conv.1': ['conv2d features.3.conv.1.0', 'relu6 features.3.conv.1.2'] }, 'conv2d features.3.conv.2'] }],
            ],
          },
        ],
      },
    ]);
    const depthwise = find(layers, 'features.3.conv.1.0')!;
    expect(depthwise.groups).toBe(depthwise.in_channels);
    // No residual where the stride is 2 or the channels change.
    expect(find(layers, 'features.2.add')).toBeUndefined();
  });

  it('infers the features prefix from top-level modules named as in a torchvision features Sequential only', () => {
    const relus = (...names: string[]): Uint8Array => onnxModel({ nodes: names.map((name, i) => ({ op: 'Relu', inputs: [i === 0 ? 'input' : `t${i - 1}`], name })) });
    const prefixOf = (...names: string[]): string => importBytes(relus(...names)).prefix;
    expect(prefixOf('/0/Relu', '/1/conv/conv.0/Relu', '/12/Relu')).toBe('features');
    // DenseNet's features: conv0, norm0, relu0, pool0, denseblockN, transitionN, norm5.
    expect(prefixOf('/relu0/Relu', '/denseblock1/denselayer1/relu1/Relu', '/transition1/relu/Relu', '/norm5/Relu')).toBe('features');
    expect(prefixOf('/0/Relu', '/head/Relu')).toBe('');
    expect(prefixOf('/0/Relu', '/Relu')).toBe('');
    expect(prefixOf('relu_a', 'relu_b')).toBe('');
    expect(importFile(fixture('resnet18', 'model.onnx'), { until: '/avgpool/GlobalAveragePool' }).prefix).toBe('');
    expect(importBytes(relus('/0/Relu', '/1/Relu'), { prefix: '' }).layers.map((l) => l.name)).toEqual(['0', '1']);
  });

  it('rebuilds SqueezeNet fire modules as squeeze then concat(expand1x1, expand3x3), ceil_mode kept', () => {
    const { layers } = importFile(fixture('squeezenet1_1', 'model.onnx'), { prefix: '' });
    expect(outline([find(layers, '3')!])).toEqual([
      { 'sequential 3': ['conv2d 3.squeeze', 'relu 3.squeeze_activation', { 'concat 3.cat': [['conv2d 3.expand1x1', 'relu 3.expand1x1_activation'], ['conv2d 3.expand3x3', 'relu 3.expand3x3_activation']] }] },
    ]);
    expect(find(layers, '2')).toMatchObject({ type: 'maxpool2d', kernel_size: 3, stride: 2, padding: 0, ceil_mode: true });
  });

  it('regroups DenseNet\'s growing concatenations: each dense layer reads the previous concat', () => {
    const { layers } = importFile(fixture('densenet121', 'model.onnx'), { until: '/GlobalAveragePool' });
    expect(layers.map((l) => l.name)).toEqual(['features', 'relu', 'globalaveragepool']);
    const block = find(layers, 'features.denseblock1')!;
    const concats = block.layers as SpecItem[];
    expect(concats).toHaveLength(6);
    // The exporter fused each norm2 into the conv1 before it.
    const layer = ['batchnorm2d', 'relu', 'conv2d', 'relu', 'conv2d'];
    for (const [i, c] of concats.entries()) {
      expect(c.type).toBe('concat');
      expect((c.branches as SpecItem[][])[0]).toEqual([]);
      const body = (c.branches as SpecItem[][])[1];
      // The first layer concatenates one tensor (an identity), so all its ops are in its branch: a whole module.
      if (i === 0) expect(outline(body)).toEqual([{ 'sequential features.denseblock1.denselayer1': layer.map((t, k) => `${t} features.denseblock1.denselayer1.${['norm1', 'relu1', 'conv1', 'relu2', 'conv2'][k]}`) }]);
      else expect(body.map((l) => l.type)).toEqual(layer);
    }
    // Transitions: batch norm, relu, conv, then the exporter's AveragePool.
    expect(outline([find(layers, 'features.transition1')!])).toEqual([
      { 'sequential features.transition1': ['batchnorm2d features.transition1.norm', 'relu features.transition1.relu', 'conv2d features.transition1.conv', 'avgpool2d features.transition1.pool'] },
    ]);
  });

  it('absorbs Pads of every mode into the conv or pool that reads them; Clip becomes relu6 or hardtanh; a + b + c one add', () => {
    const { layers } = importFile(fixture('ops', 'model.onnx'));
    expect(find(layers, 'conv1')).toMatchObject({ padding: 2, padding_mode: 'reflect' });
    // ReplicationPad2d((left 1, right 2, top 0, bottom 1)) -> [top, bottom, left, right]
    expect(find(layers, 'conv2')).toMatchObject({ padding: [0, 1, 1, 2], padding_mode: 'replicate', stride: [2, 1], dilation: [1, 2], groups: 3 });
    // ZeroPad2d((0, 1, 2, 0)) added to the conv's own padding 1.
    expect(find(layers, 'conv3')).toMatchObject({ padding: [3, 1, 1, 2] });
    expect(find(layers, 'conv3')!.padding_mode).toBeUndefined();
    expect(find(layers, 'act2')).toEqual({ type: 'relu6', name: 'act2' });
    expect(find(layers, 'b2.1')).toEqual({ type: 'hardtanh', name: 'b2.1', min_val: -0.5, max_val: 0.75 });
    expect(find(layers, 'act1')).toEqual({ type: 'leaky_relu', name: 'act1', negative_slope: 0.2 });
    // A zero Pad before a max pool that reads a ReLU's output is the pool's own padding.
    expect(find(layers, 'pool2')).toMatchObject({ type: 'maxpool2d', padding: 1 });
    // AvgPool2d(count_include_pad=True) is exported as a zero Pad then AveragePool.
    expect(find(layers, 'pool3')).toMatchObject({ type: 'avgpool2d', padding: 1, count_include_pad: true, ceil_mode: true });
    expect(find(layers, 'pool4')).toMatchObject({ type: 'avgpool2d', padding: 1, count_include_pad: false });
    expect(outline(layers.slice(6, 7))).toEqual([{ 'concat cat': [['conv2d b1'], [{ 'sequential b2': ['conv2d b2.0', 'hardtanh b2.1'] }], []] }]);
    expect(outline([find(layers, 'add_1')!])).toEqual([{ 'add add_1': [['conv2d c1'], ['conv2d c2'], ['conv2d c3']] }]);
    expect(find(layers, 'norm')).toMatchObject({ type: 'batchnorm2d', eps: 1e-5 });
  });

  it('reads the same model whether or not the exporter folded its constant subgraphs (Shape, Gather, Mul...)', () => {
    const folded = importFile(fixture('ops', 'model.onnx')).layers;
    const unfolded = importFile(fixture('ops', 'model_bn.onnx')).layers;
    expect(outline(unfolded)).toEqual(outline(folded));
    expect(find(unfolded, 'conv2')).toMatchObject({ padding: [0, 1, 1, 2], padding_mode: 'replicate' });
  });
});

describe('ONNX initializers', () => {
  const values = [0.5, -1, 2, 0.25];
  const model = (weight: TestInitializer): Uint8Array => onnxModel({ channels: 1, nodes: [conv('input', 'w', 'y')], initializers: [weight] });

  it('reads raw_data, float_data, float16 raw and typed, and external data beside the model', () => {
    const dir = tempDir();
    const ext = new Float32Array([9, 9, ...values]);
    writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array(ext.buffer));
    const forms: TestInitializer[] = [
      { name: 'w', dims: [1, 1, 2, 2], values },
      { name: 'w', dims: [1, 1, 2, 2], values, as: 'float_data' },
      { name: 'w', dims: [1, 1, 2, 2], values, as: 'float16_raw' },
      { name: 'w', dims: [1, 1, 2, 2], values, as: 'float16_typed' },
      { name: 'w', dims: [1, 1, 2, 2], values, as: 'external', location: 'weights.bin', offset: 8 },
    ];
    for (const form of forms) {
      const { store } = importBytes(model(form), {}, path.join(dir, 'm.onnx'));
      expect(Array.from(store.all()[0].data), form.as ?? 'raw').toEqual(values);
    }
  });

  it('refuses external data outside the model\'s folder, missing files and short files', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'short.bin'), new Uint8Array(8));
    const ext = (location: string): Uint8Array => model({ name: 'w', dims: [1, 1, 2, 2], values, as: 'external', location });
    const file = path.join(dir, 'm.onnx');
    expect(failure(() => importBytes(ext('../secret.bin'), {}, file)).message).toMatch(/external data location "..\/secret.bin" is outside the model's folder/);
    expect(failure(() => importBytes(ext('none.bin'), {}, file)).message).toMatch(/cannot read its external data file none.bin \(ENOENT\)/);
    expect(failure(() => importBytes(ext('short.bin'), {}, file)).message).toMatch(/external data short.bin is 8 bytes, too short for offset 0 \+ length 16/);
  });

  it('refuses external data that is a link out of the folder, a folder or a FIFO (which would block the open), and an offset past the end', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'outside.bin'), new Uint8Array(16));
    const folder = path.join(dir, 'model');
    mkdirSync(folder);
    symlinkSync(path.join(dir, 'outside.bin'), path.join(folder, 'link.bin'));
    writeFileSync(path.join(folder, 'w.bin'), new Uint8Array(16));
    symlinkSync('w.bin', path.join(folder, 'inside.bin'));
    mkdirSync(path.join(folder, 'sub'));
    execFileSync('mkfifo', [path.join(folder, 'pipe.bin')]);
    const ext = (location: string, offset = 0): Uint8Array => model({ name: 'w', dims: [1, 1, 2, 2], values, as: 'external', location, offset });
    const file = path.join(folder, 'm.onnx');
    expect(failure(() => importBytes(ext('link.bin'), {}, file)).message).toMatch(/external data location "link.bin" is a link to .*outside.bin, outside the model's folder/);
    expect(failure(() => importBytes(ext('sub'), {}, file)).message).toMatch(/external data sub is not a regular file/);
    expect(failure(() => importBytes(ext('pipe.bin'), {}, file)).message).toMatch(/external data pipe.bin is not a regular file/);
    expect(failure(() => importBytes(ext('w.bin', 100), {}, file)).message).toMatch(/external data w.bin is 16 bytes, too short for offset 100 \+ length 16/);
    // A link that stays inside the folder is read.
    expect(importBytes(ext('inside.bin'), {}, file).store.all()[0].data).toHaveLength(4);
  });

  it('refuses an initializer whose data disagrees with its dims', () => {
    const bad = model({ name: 'w', dims: [1, 1, 3, 3], values });
    expect(failure(() => importBytes(bad)).message).toBe('m.onnx: not a valid ONNX model: tensor "w" holds 4 values but its dims [1, 1, 3, 3] need 9');
  });
});

describe('ONNX op mapping', () => {
  const w = W('w', [2, 2, 4, 4]);
  const convWith = (attrs: TestNode['attrs']): SpecItem => importBytes(onnxModel({ channels: 2, nodes: [conv('input', 'w', 'y', attrs)], initializers: [w] })).layers[0];

  it('auto_pad SAME_UPPER / SAME_LOWER with stride 1 as fixed padding, VALID as none', () => {
    expect(convWith({ auto_pad: 'SAME_UPPER' })).toMatchObject({ padding: [1, 2, 1, 2] });
    expect(convWith({ auto_pad: 'SAME_LOWER' })).toMatchObject({ padding: [2, 1, 2, 1] });
    expect(convWith({ auto_pad: 'SAME_UPPER', dilations: [2, 1] })).toMatchObject({ padding: [3, 3, 1, 2], dilation: [2, 1] });
    expect(convWith({ auto_pad: 'VALID', pads: [1, 1, 1, 1] })).toMatchObject({ padding: 0 });
    expect(convWith({ pads: [1, 2, 3, 4] })).toMatchObject({ padding: [1, 3, 2, 4] });
    expect(failure(() => convWith({ auto_pad: 'SAME_UPPER', strides: [2, 2] })).message).toMatch(/auto_pad SAME_UPPER with stride \[2, 2\] pads by an amount that depends on the input size; re-export the model with explicit pads/);
  });

  it('Clip: bounds from initializers, Constant nodes or attributes (opset < 11)', () => {
    const clip = (inputs: string[], initializers: TestInitializer[], opset = 13, attrs?: TestNode['attrs'], extra: TestNode[] = []): SpecItem =>
      importBytes(onnxModel({ opset, nodes: [...extra, { op: 'Clip', inputs: ['input', ...inputs], attrs, outputs: ['y'] }], initializers, output: 'y' })).layers[0];
    const scalar = (name: string, v: number): TestInitializer => ({ name, dims: [], values: [v] });
    expect(clip(['lo', 'hi'], [scalar('lo', 0), scalar('hi', 6)])).toMatchObject({ type: 'relu6' });
    expect(clip(['lo'], [scalar('lo', 0)])).toMatchObject({ type: 'relu' });
    expect(clip(['lo', 'hi'], [scalar('lo', -1), scalar('hi', 1)])).toMatchObject({ type: 'hardtanh', min_val: -1, max_val: 1 });
    const constant: TestNode[] = [{ op: 'Constant', inputs: [], outputs: ['c0'], attrs: { value_float: { float: 6 } } }, { op: 'Identity', inputs: ['c0'], outputs: ['c'] }];
    expect(clip(['lo', 'c'], [scalar('lo', 0)], 13, undefined, constant)).toMatchObject({ type: 'relu6' });
    expect(clip([], [], 6, { min: { float: 0 }, max: { float: 6 } })).toMatchObject({ type: 'relu6' });
    expect(failure(() => clip(['', 'hi'], [scalar('hi', 3)])).message).toMatch(/clips to \[-Infinity, 3\]: cnnx has relu \(0, inf\), relu6 \(0, 6\) and hardtanh/);
  });

  it('LRN keeps alpha, beta and k (both definitions divide alpha by size); an even size is refused', () => {
    const lrn = (size: number): SpecItem => importBytes(onnxModel({ nodes: [{ op: 'LRN', inputs: ['input'], attrs: { size, alpha: { float: 0.02 }, beta: { float: 0.7 }, bias: { float: 1.5 } } }] })).layers[0];
    expect(lrn(3)).toEqual({ type: 'local_response_norm', name: 'n0', size: 3, alpha: 0.02, beta: 0.7, k: 1.5 });
    expect(failure(() => lrn(4)).message).toMatch(/size 4 is even: ONNX centres an even window one channel later than PyTorch's LocalResponseNorm/);
  });

  it('keeps a batch norm standalone when its conv feeds something else too', () => {
    const bnInit = ['s', 'b', 'm', 'v'].map((n) => W(n, [2], n === 'v' ? 1 : 0.5));
    const { layers } = importBytes(
      onnxModel({
        channels: 2,
        nodes: [conv('input', 'w', 'c', { pads: [0, 0, 0, 0] }, '/conv/Conv'), { op: 'BatchNormalization', inputs: ['c', 's', 'b', 'm', 'v'], outputs: ['n'], name: '/bn/BatchNormalization' }, { op: 'Add', inputs: ['c', 'n'], outputs: ['y'], name: '/Add' }],
        initializers: [w, ...bnInit],
      }),
    );
    expect(outline(layers)).toEqual(['conv2d conv', { 'add add': [[], ['batchnorm2d bn']] }]);
  });

  it('refuses what it cannot map, naming the node, its op and its position', () => {
    const cases: [Uint8Array, RegExp, OnnxImportOptions?][] = [
      [onnxModel({ nodes: [{ op: 'Relu', inputs: ['input'], outputs: ['r'], name: '/relu/Relu' }, { op: 'Gemm', inputs: ['r', 'g'], name: '/fc/Gemm' }], initializers: [W('g', [3, 3])] }), /^m.onnx: node 1 "\/fc\/Gemm" \(Gemm\): not a conv-network op; cnnx imports feature extractors: add --until \/relu\/Relu to keep the graph up to that node$/],
      [onnxModel({ nodes: [{ op: 'QLinearConv', inputs: ['input'] }] }), /node 0 "\/n0\/QLinearConv" \(QLinearConv\): a quantized op: cnnx computes in float32; import the float model/],
      [onnxModel({ nodes: [{ op: 'DequantizeLinear', inputs: ['input'] }] }), /a quantized op/],
      [onnxModel({ nodes: [{ op: 'FusedConv', domain: 'com.microsoft', inputs: ['input'] }] }), /\(com.microsoft.FusedConv\): an op of the custom domain "com.microsoft"/],
      [onnxModel({ inputs: ['input', 'mask'], nodes: [{ op: 'Add', inputs: ['input', 'mask'] }] }), /^m.onnx: the graph reads 2 inputs \(input, mask\): cnnx runs networks with one image input$/],
      [onnxModel({ nodes: [{ op: 'Relu', inputs: ['input'], outputs: ['a'] }, { op: 'Relu', inputs: ['input'], outputs: ['b'] }], output: ['a', 'b'] }), /the graph has 2 outputs \(a, b\): choose the one to import with --until NODE/],
      [onnxModel({ nodes: [{ op: 'Relu', inputs: ['input'], name: 'first' }] }), /--until firts: m.onnx has no node or tensor named "firts" \(did you mean "first"\?\)/, { until: 'firts' }],
      [onnxModel({ nodes: [{ op: 'Concat', inputs: ['input', 'input'], attrs: { axis: 2 } }] }), /concatenates along axis 2; cnnx concatenates channels \(axis 1\)/],
      [onnxModel({ nodes: [{ op: 'Add', inputs: ['input', 'k'] }], initializers: [W('k', [1])] }), /its input 1 \("k"\) is a constant tensor/],
      [onnxModel({ channels: 2, nodes: [{ op: 'Relu', inputs: ['input'], outputs: ['r'] }, conv('input', 'r', 'y')] }), /its weight \(input 1, "r"\) is computed at run time: cnnx needs it as an initializer or Constant/],
      [onnxModel({ nodes: [{ op: 'MaxPool', inputs: ['input'], attrs: { kernel_shape: [3, 3], pads: [0, 0, 1, 1] } }] }), /asymmetric pads \[top 0, bottom 1, left 0, right 1\]: cnnx pools pad both sides alike/],
      [onnxModel({ nodes: [{ op: 'MaxPool', inputs: ['input'], attrs: { kernel_shape: [2, 2], pads: [2, 2, 2, 2] } }] }), /pads \[2, 2\] are more than half of kernel_shape \[2, 2\]/],
      [onnxModel({ nodes: [{ op: 'Pad', inputs: ['input', 'p'], attrs: { mode: 'reflect' }, outputs: ['q'] }, { op: 'Relu', inputs: ['q'] }], initializers: [{ name: 'p', dims: [8], values: [0, 0, 1, 1, 0, 0, 1, 1], as: 'int64' }] }), /reads a Pad: cnnx folds a Pad only into the conv or pool that reads it, not into relu/],
      [onnxModel({ nodes: [{ op: 'Pad', inputs: ['input', 'p'], outputs: ['q'] }, { op: 'MaxPool', inputs: ['q'], attrs: { kernel_shape: [3, 3] } }], initializers: [{ name: 'p', dims: [8], values: [0, 0, 1, 1, 0, 0, 1, 1], as: 'int64' }] }), /reads a zero Pad: max pooling pads with -inf in PyTorch and cnnx, so zeros can win only where the input can be negative; here it can/],
      [onnxModel({ nodes: [{ op: 'Pad', inputs: ['input', 'p'], outputs: ['q'] }, { op: 'MaxPool', inputs: ['q'], attrs: { kernel_shape: [3, 3] } }], initializers: [{ name: 'p', dims: [8], values: [0, 1, 0, 0, 0, 0, 0, 0], as: 'int64' }] }), /pads the batch or channel axis/],
      [onnxModel({ nodes: [{ op: 'Pad', inputs: ['input', 'p'], outputs: ['q'] }] , initializers: [{ name: 'p', dims: [8], values: [0, 0, 1, 1, 0, 0, 1, 1], as: 'int64' }] }), /the output "q" is a Pad \(which cnnx folds into the conv or pool after it\): nothing to compute/],
    ];
    for (const [bytes, message, options] of cases) {
      const error = failure(() => importBytes(bytes, options));
      expect(error.message).toMatch(message);
    }
  });

  it('refuses a graph that is not a nesting of blocks, naming the shared node', () => {
    // a = relu(x), b = relu(x), c = a + b, d = a + relu(c): a is read inside c's block and again by d.
    const bytes = onnxModel({
      nodes: [
        { op: 'Relu', inputs: ['input'], outputs: ['a'], name: 'A' },
        { op: 'Relu', inputs: ['input'], outputs: ['b'], name: 'B' },
        { op: 'Add', inputs: ['a', 'b'], outputs: ['c'], name: 'C' },
        { op: 'Relu', inputs: ['c'], outputs: ['e'], name: 'E' },
        { op: 'Add', inputs: ['a', 'e'], outputs: ['d'], name: 'D' },
      ],
    });
    const error = failure(() => importBytes(bytes));
    expect(error.code).toBe('import.graph');
    expect(error.message).toBe('m.onnx: node 2 "C" (Add): the graph is not a nesting of sequential, add and concat blocks: node 0 "A" (Relu) is used both inside and outside the block this node closes');
  });

  it('refuses truncated and foreign files as invalid ONNX', () => {
    const whole = readFileSync(fixture('resnet50', 'model.onnx'));
    for (const bytes of [whole.subarray(0, whole.length >> 1), new TextEncoder().encode('{"not": "onnx"}'), new Uint8Array(0)]) {
      expect(failure(() => importBytes(bytes)).message).toMatch(/^m.onnx: not a valid ONNX model: /);
    }
  });

  it('takes the input channels from the first conv when the model leaves them symbolic', () => {
    const { channels } = importBytes(onnxModel({ channels: 'C', nodes: [conv('input', 'w', 'y')], initializers: [w] }));
    expect(channels).toBe(2);
  });
});

describe('concats an exporter merged into one', () => {
  /** Concat of `order` (names of relus): a reads the input; b1, b2 read relu b; c reads the input. */
  const merged = (order: string[]): Uint8Array =>
    onnxModel({
      nodes: [
        conv('input', 'wa', 'ca', {}, '/m/a/conv/Conv'), { op: 'Relu', inputs: ['ca'], outputs: ['a'], name: '/m/a/Relu' },
        conv('input', 'wb', 'cb', {}, '/m/b/conv/Conv'), { op: 'Relu', inputs: ['cb'], outputs: ['b'], name: '/m/b/Relu' },
        conv('b', 'wb1', 'cb1', {}, '/m/b1/conv/Conv'), { op: 'Relu', inputs: ['cb1'], outputs: ['b1'], name: '/m/b1/Relu' },
        conv('b', 'wb2', 'cb2', {}, '/m/b2/conv/Conv'), { op: 'Relu', inputs: ['cb2'], outputs: ['b2'], name: '/m/b2/Relu' },
        conv('input', 'wc', 'cc', {}, '/m/c/conv/Conv'), { op: 'Relu', inputs: ['cc'], outputs: ['c'], name: '/m/c/Relu' },
        { op: 'Concat', inputs: order, outputs: ['y'], attrs: { axis: 1 }, name: '/m/Concat' },
      ],
      initializers: [W('wa', [2, 3, 1, 1]), W('wb', [4, 3, 1, 1]), W('wb1', [2, 4, 1, 1]), W('wb2', [3, 4, 1, 1]), W('wc', [2, 3, 1, 1])],
      output: 'y',
    });

  it('splits consecutive inputs that share a branch back out as a concat of their own, named cat', () => {
    const { layers } = importBytes(merged(['a', 'b1', 'b2', 'c']));
    expect(outline(layers)).toEqual([
      { 'sequential m': [{ 'concat m.cat_1': [[{ 'sequential m.a': ['conv2d m.a.conv', 'relu m.a.relu'] }], [{ 'sequential m.b': ['conv2d m.b.conv', 'relu m.b.relu'] }, { 'concat m.cat': [[{ 'sequential m.b1': ['conv2d m.b1.conv', 'relu m.b1.relu'] }], [{ 'sequential m.b2': ['conv2d m.b2.conv', 'relu m.b2.relu'] }]] }], [{ 'sequential m.c': ['conv2d m.c.conv', 'relu m.c.relu'] }]] }] },
    ]);
  });

  it('still refuses a branch whose inputs are not consecutive (the channels would move)', () => {
    expect(failure(() => importBytes(merged(['b1', 'a', 'b2', 'c']))).message).toMatch(/"\/m\/Concat" \(Concat\): the graph is not a nesting of sequential, add and concat blocks/);
  });
});

describe('per-channel affines written as channel slices (torchvision\'s transform_input)', () => {
  const i64 = (name: string, v: number): TestInitializer => ({ name, dims: [], values: [v], as: 'int64' });
  const f32 = (name: string, v: number): TestInitializer => ({ name, dims: [], values: [v] });
  /** For each channel c of `order`: Gather(input, c, axis 1), Unsqueeze(axis 1), Mul(scale c), Add(shift c); then Concat(axis 1) and a conv. */
  const sliced = (order = [0, 1, 2], opts: { axis?: number; unsqueeze?: number } = {}): Uint8Array =>
    onnxModel({
      nodes: [
        ...order.flatMap((c, k): TestNode[] => [
          { op: 'Gather', inputs: ['input', `i${c}`], outputs: [`g${k}`], attrs: { axis: 1 }, name: `/Gather${k ? `_${k}` : ''}` },
          { op: 'Unsqueeze', inputs: [`g${k}`, `ax${opts.unsqueeze ?? 1}`], outputs: [`u${k}`], name: `/Unsqueeze${k ? `_${k}` : ''}` },
          { op: 'Mul', inputs: [`u${k}`, `s${c}`], outputs: [`m${k}`], name: `/Mul${k ? `_${k}` : ''}` },
          { op: 'Add', inputs: [`m${k}`, `b${c}`], outputs: [`a${k}`], name: `/Add${k ? `_${k}` : ''}` },
        ]),
        { op: 'Concat', inputs: order.map((_, k) => `a${k}`), outputs: ['x'], attrs: { axis: opts.axis ?? 1 }, name: '/Concat' },
        conv('x', 'w', 'y', {}, '/conv1/conv/Conv'),
      ],
      initializers: [
        ...[0, 1, 2].flatMap((c) => [i64(`i${c}`, c), f32(`s${c}`, [0.458, 0.448, 0.45][c]), f32(`b${c}`, [-0.03, -0.088, -0.188][c])]),
        { name: 'ax1', dims: [1], values: [1], as: 'int64' },
        { name: 'ax0', dims: [1], values: [0], as: 'int64' },
        W('w', [4, 3, 1, 1]),
      ],
      output: 'y',
    });

  it('maps the slices and their concat to one 1x1 conv named transform_input, a group per channel', () => {
    const { layers, store } = importBytes(sliced());
    expect(outline(layers)).toEqual(['conv2d transform_input', { 'sequential conv1': ['conv2d conv1.conv'] }]);
    expect(find(layers, 'transform_input')).toMatchObject({ type: 'conv2d', in_channels: 3, out_channels: 3, kernel_size: 1, groups: 3 });
    const weight = store.all().find((t) => t.name === 'transform_input.weight')!;
    const bias = store.all().find((t) => t.name === 'transform_input.bias')!;
    expect(weight.shape).toEqual([3, 1, 1, 1]);
    expect(Array.from(weight.data)).toEqual([0.458, 0.448, 0.45].map(Math.fround));
    expect(Array.from(bias.data)).toEqual([-0.03, -0.088, -0.188].map(Math.fround));
  });

  it('refuses slices concatenated out of order, along another axis, or unsqueezed elsewhere, naming the node', () => {
    expect(failure(() => importBytes(sliced([1, 0, 2]))).message).toMatch(/node \d+ "\/Concat" \(Concat\): concatenates channel slices \[1, 0, 2\] of the graph input: cnnx maps slices of every channel, in order, back along axis 1/);
    expect(failure(() => importBytes(sliced([0, 1, 2], { axis: 0 }))).message).toMatch(/concatenates channel slices \[0, 1, 2\]/);
    expect(failure(() => importBytes(sliced([0, 1, 2], { unsqueeze: 0 }))).message).toMatch(/"\/Unsqueeze" \(Unsqueeze\): unsqueezes axes \[0\] of a channel slice/);
  });
});

describe('GeM and normalize heads', () => {
  const scalar = (name: string, v: number): TestInitializer => ({ name, dims: [], values: [v] });
  /** clamp(x, min=1e-6) ^ 3, then `mean` (nodes reading "pw"), then ^ `root`. */
  const gem = (mean: TestNode[], root = 1 / 3, extra: Partial<Parameters<typeof onnxModel>[0]> = {}): Uint8Array =>
    onnxModel({
      nodes: [
        { op: 'Clip', inputs: ['input', 'eps'], outputs: ['cl'], name: '/pool/Clip' },
        { op: 'Pow', inputs: ['cl', 'p'], outputs: ['pw'], name: '/pool/Pow' },
        ...mean,
        { op: 'Pow', inputs: ['mean', 'q'], outputs: ['y'], name: '/pool/Pow_1' },
      ],
      initializers: [scalar('eps', 1e-6), scalar('p', 3), scalar('q', root)],
      output: 'y',
      ...extra,
    });
  const gap: TestNode[] = [{ op: 'GlobalAveragePool', inputs: ['pw'], outputs: ['mean'], name: '/pool/GlobalAveragePool' }];
  /** x / Clip(ReduceL2(x), 1e-12), as F.normalize exports it, with the reduction's attributes `reduce`. */
  const l2n = (reduce: TestNode['attrs'] = { axes: [1] }, divide = 'input'): Uint8Array =>
    onnxModel({
      nodes: [
        { op: 'Relu', inputs: ['input'], outputs: ['r'], name: '/relu/Relu' },
        { op: 'ReduceL2', inputs: ['input'], outputs: ['n'], attrs: reduce, name: '/ReduceL2' },
        { op: 'Clip', inputs: ['n', 'eps'], outputs: ['c'], name: '/Clip' },
        { op: 'Shape', inputs: ['input'], outputs: ['s'], name: '/Shape' },
        { op: 'Expand', inputs: ['c', 's'], outputs: ['e'], name: '/Expand' },
        { op: 'Div', inputs: [divide, 'e'], outputs: ['y'], name: '/Div' },
      ],
      initializers: [scalar('eps', 1e-12)],
      output: 'y',
    });

  it('maps cirtorch\'s GeM (learnable p, a whole-map AveragePool) and F.normalize as PyTorch exports them', () => {
    const { layers } = importFile(fixture('heads', 'retrieval.onnx'));
    expect(outline(layers)).toEqual([{ 'sequential features': ['conv2d features.0', 'relu features.2', 'maxpool2d features.3', 'conv2d features.4', 'relu features.6'] }, 'gem pool', 'normalize normalize']);
    expect(find(layers, 'pool')).toEqual({ type: 'gem', name: 'pool', p: 2.7, eps: 1e-6 });
    expect(find(layers, 'normalize')).toEqual({ type: 'normalize', name: 'normalize', p: 2, eps: 1e-12 });
  });

  it('maps functional heads exported at opset 10 (bounds and axes as attributes): L1 normalize on the map, adaptive GeM, L2 normalize', () => {
    const { layers } = importFile(fixture('heads', 'map_head.onnx'));
    expect(layers.slice(1)).toEqual([
      { type: 'normalize', name: 'normalize', p: 1, eps: 1e-12 },
      { type: 'gem', name: 'gem', p: 4, eps: 1e-4 },
      { type: 'normalize', name: 'normalize_2', p: 2, eps: 1e-12 },
    ]);
  });

  it('takes a global mean as GlobalAveragePool, ReduceMean over height and width, or an AveragePool over the whole map', () => {
    const expected = [{ type: 'gem', name: 'pool', p: 3, eps: 1e-6 }];
    expect(importBytes(gem(gap)).layers).toEqual(expected);
    expect(importBytes(gem([{ op: 'ReduceMean', inputs: ['pw'], outputs: ['mean'], attrs: { axes: [-2, -1] } }])).layers).toEqual(expected);
    const whole: TestNode[] = [{ op: 'AveragePool', inputs: ['pw'], outputs: ['mean'], attrs: { kernel_shape: [5, 7], strides: [5, 7] } }];
    expect(importBytes(gem(whole, 1 / 3, { size: [5, 7] })).layers).toEqual(expected);
    // A learnable p: the root's exponent is Reciprocal(p) * 1, folded at import.
    const learnable = onnxModel({
      nodes: [
        { op: 'Max', inputs: ['eps', 'input'], outputs: ['cl'], name: '/pool/Max' },
        { op: 'Pow', inputs: ['cl', 'p'], outputs: ['pw'], name: '/pool/Pow' },
        { op: 'GlobalAveragePool', inputs: ['pw'], outputs: ['mean'], name: '/pool/GlobalAveragePool' },
        { op: 'Reciprocal', inputs: ['p'], outputs: ['rp'], name: '/pool/Reciprocal' },
        { op: 'Mul', inputs: ['rp', 'one'], outputs: ['q'], name: '/pool/Mul' },
        { op: 'Pow', inputs: ['mean', 'q'], outputs: ['y'], name: '/pool/Pow_1' },
      ],
      initializers: [scalar('eps', 0.01), { name: 'p', dims: [1], values: [2.7] }, scalar('one', 1)],
    });
    expect(importBytes(learnable).layers).toEqual([{ type: 'gem', name: 'pool', p: 2.7, eps: 0.01 }]);
  });

  it('maps LpNormalization over the channels, and ReduceMean / ReduceMax over height and width as global pools', () => {
    const one = (node: TestNode): SpecItem[] => importBytes(onnxModel({ nodes: [node] })).layers;
    expect(one({ op: 'LpNormalization', inputs: ['input'], attrs: { axis: 1, p: 1 }, name: 'l1' })).toEqual([{ type: 'normalize', name: 'l1', p: 1, eps: 1e-12 }]);
    expect(one({ op: 'ReduceMean', inputs: ['input'], attrs: { axes: [2, 3] }, name: 'gap' })).toEqual([{ type: 'adaptive_avgpool2d', name: 'gap', output_size: 1 }]);
    expect(one({ op: 'ReduceMax', inputs: ['input'], attrs: { axes: [3, 2], keepdims: 1 }, name: 'gmp' })).toEqual([{ type: 'adaptive_maxpool2d', name: 'gmp', output_size: 1 }]);
    expect(failure(() => one({ op: 'LpNormalization', inputs: ['input'] })).message).toMatch(/\(LpNormalization\): normalizes along axis -1: cnnx normalizes over the channels \(axis 1\)$/);
    expect(failure(() => one({ op: 'ReduceMean', inputs: ['input'], attrs: { axes: [2, 3], keepdims: 0 } })).message).toMatch(/has keepdims 0, which flattens the map/);
    expect(failure(() => one({ op: 'ReduceMax', inputs: ['input'], attrs: { axes: [1] } })).message).toMatch(/reduces axes \[1\]: cnnx maps a ReduceMax over height and width \(axes 2, 3\) only, as a global pool/);
  });

  it('refuses what almost matches, with one line naming the node', () => {
    const gemChain = 'Clip\\(min=eps\\) -> Pow\\(p\\) -> GlobalAveragePool -> Pow\\(1/p\\)';
    const cases: [Uint8Array, RegExp][] = [
      [
        gem([{ op: 'Relu', inputs: ['pw'], outputs: ['mean'], name: '/pool/Relu' }]),
        new RegExp(`^m.onnx: node 1 "/pool/Pow" \\(Pow\\): computes clamp\\(x, min=0.000001\\)\\^3, which cnnx maps only within a whole gem head \\(${gemChain}\\), but node 2 "/pool/Relu" \\(Relu\\) reads it: add --until NODE to keep the graph up to the node before it$`),
      ],
      [gem(gap, 0.5), /^m.onnx: node 3 "\/pool\/Pow_1" \(Pow\): raises to 0.5 where a gem head with p 3 takes the 1\/3 root$/],
      [gem([{ op: 'AveragePool', inputs: ['pw'], outputs: ['mean'], attrs: { kernel_shape: [4, 4], strides: [4, 4] } }], 1 / 3, { size: [8, 8] }), /node 2 .*\(AveragePool\): averages 4x4 windows of a 8x8 map: a GeM head averages the whole map$/],
      [gem([{ op: 'AveragePool', inputs: ['pw'], outputs: ['mean'], attrs: { kernel_shape: [4, 4], strides: [4, 4] } }]), /\(AveragePool\): averages a fixed 4x4 window and the model's input size is not fixed, so cnnx cannot tell it is the whole map \(a GeM head\)/],
      [gem([{ op: 'ReduceMean', inputs: ['pw'], outputs: ['mean'], attrs: { axes: [1] } }]), /\(ReduceMean\): averages axes \[1\]: a GeM head averages over height and width \(axes 2, 3\)$/],
      [onnxModel({ nodes: [{ op: 'Clip', inputs: ['input', 'eps'], outputs: ['cl'], name: '/Clip' }], initializers: [scalar('eps', 0.5)] }), /^m.onnx: node 0 "\/Clip" \(Clip\): computes clamp\(x, min=0.5\), which cnnx maps only within a whole gem head \(.*\), but the graph ends there/],
      [l2n({ axes: [2, 3] }), /^m.onnx: node 1 "\/ReduceL2" \(ReduceL2\): reduces axes \[2, 3\]: a normalize head reduces over the channels \(axis 1\)$/],
      [l2n({ axes: [1], keepdims: 0 }), /\(ReduceL2\): has keepdims 0: a normalize head keeps the channel axis to divide by it$/],
      [l2n({ axes: [1] }, 'r'), /^m.onnx: node 5 "\/Div" \(Div\): divides node 0 "\/relu\/Relu" \(Relu\) by the norm of the graph input: a normalize head divides a map by its own norm$/],
      [
        onnxModel({ nodes: [{ op: 'ReduceL1', inputs: ['input'], outputs: ['n'], attrs: { axes: [1] }, name: '/ReduceL1' }, { op: 'Max', inputs: ['n', 'z'], outputs: ['y'], name: '/Max' }], initializers: [scalar('z', 0)] }),
        /^m.onnx: node 1 "\/Max" \(Max\): bounds the norm below by 0: cnnx's normalize needs eps > 0$/,
      ],
      [onnxModel({ nodes: [{ op: 'Pow', inputs: ['input', 'p'], name: '/Pow' }], initializers: [scalar('p', 2)] }), /^m.onnx: node 0 "\/Pow" \(Pow\): not a conv-network op; cnnx imports feature extractors/],
    ];
    for (const [bytes, message] of cases) expect(failure(() => importBytes(bytes)).message).toMatch(message);
  });
});
