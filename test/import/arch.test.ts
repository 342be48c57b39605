// Checkpoint import with --arch: torchvision's module paths as names, the nesting of each family, and the checks on tensors.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CnnxError } from '../../src/errors.js';
import { archByName, importCheckpoint } from '../../src/import/arch-import.js';
import { listArchs } from '../../src/import/archs/index.js';
import { WeightStore, type SpecItem } from '../../src/import/spec-tree.js';
import { encodeSafetensors, parseSafetensors } from '../../src/io/safetensors.js';
import { tempDir } from '../helpers.js';
import { fixture, specItems } from './helpers.js';

async function importArch(arch: string, file = fixture(arch, 'model.pth'), transformInput = true): Promise<{ layers: SpecItem[]; store: WeightStore }> {
  const store = new WeightStore('net.safetensors');
  const { layers } = await importCheckpoint(file, path.basename(file), archByName(arch), store, { transformInput });
  return { layers, store };
}

async function failure(run: () => Promise<unknown>): Promise<CnnxError> {
  const error = await run().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CnnxError);
  expect((error as CnnxError).message).not.toContain('\n');
  expect((error as CnnxError).exitCode).toBe(2);
  return error as CnnxError;
}

/** Every name in the tree, depth first. */
function names(items: readonly SpecItem[]): string[] {
  return specItems(items).flatMap((item) => (item.name === undefined ? [] : [item.name as string]));
}

function find(items: readonly SpecItem[], name: string): SpecItem {
  const hit = specItems(items).find((item) => item.name === name);
  if (!hit) throw new Error(`no ${name} in the spec`);
  return hit;
}

/** A safetensors copy of a fixture checkpoint, changed by `edit`. */
function editedCheckpoint(arch: string, edit: (tensors: { name: string; shape: number[]; data: Float32Array }[]) => void): string {
  const st = parseSafetensors(readFileSync(fixture(arch, 'model.safetensors')), 'x');
  const tensors = st.tensorNames().filter((n) => !n.endsWith('num_batches_tracked')).map((name) => ({ name, ...st.tensor(name) }));
  edit(tensors);
  const file = path.join(tempDir(), 'edited.safetensors');
  writeFileSync(file, encodeSafetensors(tensors));
  return file;
}

describe('architecture templates', () => {
  it('lists every family of the issue', () => {
    const all = listArchs().map((a) => a.name);
    for (const name of ['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152', 'wide_resnet50_2', 'resnext50_32x4d', 'vgg11', 'vgg13_bn', 'vgg16', 'vgg19_bn', 'alexnet', 'squeezenet1_0', 'squeezenet1_1', 'mobilenet_v2', 'googlenet', 'inception_v3', 'densenet121', 'densenet161', 'densenet169', 'densenet201']) {
      expect(all).toContain(name);
    }
  });

  it('ResNet-18: conv1 .. layer4 then avgpool; blocks as sequential(add(body, shortcut), relu_1) under torchvision\'s module paths', async () => {
    const { layers, store } = await importArch('resnet18');
    expect(layers.map((l) => l.name)).toEqual(['conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4', 'avgpool']);
    expect(names([find(layers, 'layer2.0')])).toEqual([
      'layer2.0', 'layer2.0.add', 'layer2.0.conv1', 'layer2.0.bn1', 'layer2.0.relu', 'layer2.0.conv2', 'layer2.0.bn2',
      'layer2.0.downsample', 'layer2.0.downsample.0', 'layer2.0.downsample.1', 'layer2.0.relu_1',
    ]);
    expect((find(layers, 'layer1.1.add').branches as SpecItem[][])[1]).toEqual([]);
    expect(find(layers, 'layer2.0.conv1')).toMatchObject({ type: 'conv2d', kernel_size: 3, stride: 2, padding: 1, in_channels: 4, out_channels: 8 });
    expect(find(layers, 'layer2.0.bn1')).toMatchObject({ type: 'batchnorm2d', eps: 1e-5, running_var: { safetensors: 'net.safetensors', tensor: 'layer2.0.bn1.running_var' } });
    expect(find(layers, 'avgpool')).toEqual({ type: 'adaptive_avgpool2d', name: 'avgpool', output_size: 1 });
    // No classifier and no num_batches_tracked in the written weights.
    expect(store.all().some((t) => t.name.startsWith('fc.') || t.name.endsWith('num_batches_tracked'))).toBe(false);
    expect(store.all().map((t) => t.name)).toContain('layer4.1.bn2.running_mean');
  });

  it('bottlenecks: relu, relu_1 inside, relu_2 after the add; ResNeXt\'s grouped 3x3', async () => {
    const r50 = (await importArch('resnet50')).layers;
    expect(names([find(r50, 'layer1.0')]).filter((n) => n.includes('relu'))).toEqual(['layer1.0.relu', 'layer1.0.relu_1', 'layer1.0.relu_2']);
    expect(find(r50, 'layer3.0.conv2')).toMatchObject({ stride: 2, kernel_size: 3 });
    const rx = (await importArch('resnext50_32x4d')).layers;
    expect(find(rx, 'layer1.0.conv2')).toMatchObject({ groups: 32, in_channels: 32, out_channels: 32 });
  });

  it('VGG and AlexNet: features.N in torchvision\'s order, then avgpool to 7x7 / 6x6', async () => {
    const vgg = (await importArch('vgg11_bn')).layers;
    expect(vgg.map((l) => l.name)).toEqual(['features', 'avgpool']);
    const features = find(vgg, 'features').layers as SpecItem[];
    expect(features.map((l) => `${l.type} ${l.name}`).slice(0, 5)).toEqual(['conv2d features.0', 'batchnorm2d features.1', 'relu features.2', 'maxpool2d features.3', 'conv2d features.4']);
    expect(features).toHaveLength(29);
    expect(find(vgg, 'avgpool')).toMatchObject({ output_size: 7 });
    const alex = (await importArch('alexnet')).layers;
    expect(find(alex, 'features.0')).toMatchObject({ kernel_size: 11, stride: 4, padding: 2 });
    expect(find(alex, 'features.12')).toMatchObject({ type: 'maxpool2d', kernel_size: 3, stride: 2 });
    expect(find(alex, 'avgpool')).toMatchObject({ output_size: 6 });
  });

  it('SqueezeNet: fire modules with a named concat, ceil_mode pools at each version\'s positions', async () => {
    for (const [arch, pools] of [['squeezenet1_0', [2, 6, 11]], ['squeezenet1_1', [2, 5, 8]]] as const) {
      const { layers } = await importArch(arch);
      const features = find(layers, 'features').layers as SpecItem[];
      expect(features.filter((l) => l.type === 'maxpool2d').map((l) => l.name)).toEqual(pools.map((i) => `features.${i}`));
      expect(features.filter((l) => l.type === 'maxpool2d').every((l) => l.ceil_mode === true)).toBe(true);
      expect(names([find(layers, 'features.3')])).toEqual([
        'features.3', 'features.3.squeeze', 'features.3.squeeze_activation', 'features.3.cat',
        'features.3.expand1x1', 'features.3.expand1x1_activation', 'features.3.expand3x3', 'features.3.expand3x3_activation',
      ]);
      expect(find(layers, 'features.0')).toMatchObject({ kernel_size: arch === 'squeezenet1_0' ? 7 : 3, stride: 2, padding: 0 });
    }
  });

  it('MobileNetV2: Conv2dNormActivation as .0 .1 .2 with ReLU6, residual add only at stride 1 with equal channels', async () => {
    const { layers } = await importArch('mobilenet_v2');
    const features = find(layers, 'features').layers as SpecItem[];
    expect(features.map((l) => l.name)).toEqual(Array.from({ length: 19 }, (_, i) => `features.${i}`));
    const residual = features.filter((f) => (f.layers as SpecItem[])[0].type === 'add').map((f) => f.name);
    // torchvision's use_res_connect: the repeated blocks of each stage.
    expect(residual).toEqual(['features.3', 'features.5', 'features.6', 'features.8', 'features.9', 'features.10', 'features.12', 'features.13', 'features.15', 'features.16']);
    expect(names([find(layers, 'features.1')])).toEqual(['features.1', 'features.1.conv', 'features.1.conv.0', 'features.1.conv.0.0', 'features.1.conv.0.1', 'features.1.conv.0.2', 'features.1.conv.1', 'features.1.conv.2']);
    expect(find(layers, 'features.2.conv.1.0')).toMatchObject({ stride: 2, kernel_size: 3, padding: 1 });
    const dw = find(layers, 'features.2.conv.1.0');
    expect(dw.groups).toBe(dw.in_channels);
    expect(find(layers, 'features.18.2')).toEqual({ type: 'relu6', name: 'features.18.2' });
  });

  it('GoogLeNet: transform_input as pretrained, BasicConv2d as conv/bn (eps 0.001)/relu, inceptions as a named 4-branch concat', async () => {
    const { layers, store } = await importArch('googlenet');
    expect(layers.map((l) => l.name)).toEqual([
      'transform_input', 'conv1', 'maxpool1', 'conv2', 'conv3', 'maxpool2', 'inception3a', 'inception3b', 'maxpool3',
      'inception4a', 'inception4b', 'inception4c', 'inception4d', 'inception4e', 'maxpool4', 'inception5a', 'inception5b', 'avgpool',
    ]);
    // x * (std / 0.5) + (mean - 0.5) / 0.5 per channel, as GoogLeNet._transform_input: a 1x1 conv, one group per channel.
    expect(find(layers, 'transform_input')).toMatchObject({ type: 'conv2d', kernel_size: 1, groups: 3, in_channels: 3, out_channels: 3 });
    const scale = store.all().find((t) => t.name === 'transform_input.weight')!;
    const shift = store.all().find((t) => t.name === 'transform_input.bias')!;
    expect(Array.from(scale.data)).toEqual([0.229, 0.224, 0.225].map((s) => Math.fround(s / 0.5)));
    expect(Array.from(shift.data)).toEqual([0.485, 0.456, 0.406].map((m) => Math.fround((m - 0.5) / 0.5)));
    expect(names([find(layers, 'conv1')])).toEqual(['conv1', 'conv1.conv', 'conv1.bn', 'conv1.relu']);
    expect(find(layers, 'conv1.conv')).toMatchObject({ kernel_size: 7, stride: 2, padding: 3 });
    expect(find(layers, 'conv1.conv').bias).toBeUndefined();
    expect(find(layers, 'conv3.bn')).toMatchObject({ type: 'batchnorm2d', eps: 0.001 });
    expect(names([find(layers, 'inception4c')]).filter((n) => !/\.(conv|bn|relu)$/.test(n))).toEqual([
      'inception4c', 'inception4c.cat', 'inception4c.branch1', 'inception4c.branch2', 'inception4c.branch2.0', 'inception4c.branch2.1',
      'inception4c.branch3', 'inception4c.branch3.0', 'inception4c.branch3.1', 'inception4c.branch4', 'inception4c.branch4.0', 'inception4c.branch4.1',
    ]);
    expect(find(layers, 'inception4c.branch3.1.conv')).toMatchObject({ kernel_size: 3, padding: 1 });
    expect(find(layers, 'inception4c.branch4.0')).toMatchObject({ type: 'maxpool2d', kernel_size: 3, stride: 1, padding: 1, ceil_mode: true });
    expect(find(layers, 'maxpool1')).toMatchObject({ kernel_size: 3, stride: 2, ceil_mode: true });
    expect(find(layers, 'maxpool4')).toMatchObject({ kernel_size: 2, stride: 2, ceil_mode: true });
    // The auxiliary classifiers and fc are in the checkpoint and left out.
    expect(store.all().some((t) => /^(aux1|aux2|fc)\./.test(t.name))).toBe(false);
  });

  it('without transform_input (a model built with transform_input=False): the same layers from conv1 on, no transform_input tensors', async () => {
    for (const [arch, first] of [['googlenet', 'conv1'], ['inception_v3', 'Conv2d_1a_3x3']]) {
      const full = await importArch(arch);
      const plain = await importArch(arch, fixture(arch, 'model.pth'), false);
      expect(plain.layers.map((l) => l.name)).toEqual(full.layers.slice(1).map((l) => l.name));
      expect(plain.layers[0].name).toBe(first);
      expect(plain.store.all().map((t) => t.name)).toEqual(full.store.all().map((t) => t.name).filter((n) => !n.startsWith('transform_input.')));
    }
    expect(listArchs().filter((a) => a.transformInput).map((a) => a.name)).toEqual(['googlenet', 'inception_v3']);
  });

  it('Inception v3: InceptionA-E under torchvision\'s names, 1x7 / 7x1 kernels, padded average pools, E\'s cats inside its cat', async () => {
    const { layers, store } = await importArch('inception_v3');
    expect(layers.map((l) => l.name)).toEqual([
      'transform_input', 'Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3', 'maxpool1', 'Conv2d_3b_1x1', 'Conv2d_4a_3x3', 'maxpool2',
      'Mixed_5b', 'Mixed_5c', 'Mixed_5d', 'Mixed_6a', 'Mixed_6b', 'Mixed_6c', 'Mixed_6d', 'Mixed_6e', 'Mixed_7a', 'Mixed_7b', 'Mixed_7c', 'avgpool',
    ]);
    expect(find(layers, 'Mixed_6b.branch7x7_2.conv')).toMatchObject({ kernel_size: [1, 7], padding: [0, 3] });
    expect(find(layers, 'Mixed_6b.branch7x7dbl_2.conv')).toMatchObject({ kernel_size: [7, 1], padding: [3, 0] });
    expect(find(layers, 'Mixed_5b.avg_pool2d')).toMatchObject({ type: 'avgpool2d', kernel_size: 3, stride: 1, padding: 1, count_include_pad: true });
    expect(find(layers, 'Mixed_6a.max_pool2d')).toMatchObject({ type: 'maxpool2d', kernel_size: 3, stride: 2 });
    expect(find(layers, 'Mixed_6a.branch3x3.conv')).toMatchObject({ kernel_size: 3, stride: 2, padding: 0 });
    const e = find(layers, 'Mixed_7c.cat_2');
    expect((e.branches as SpecItem[][]).map((b) => b.map((l) => l.name))).toEqual([
      ['Mixed_7c.branch1x1'], ['Mixed_7c.branch3x3_1', 'Mixed_7c.cat'], ['Mixed_7c.branch3x3dbl_1', 'Mixed_7c.branch3x3dbl_2', 'Mixed_7c.cat_1'],
      ['Mixed_7c.avg_pool2d', 'Mixed_7c.branch_pool'],
    ]);
    expect(find(layers, 'Mixed_7c.branch3x3_2a.conv')).toMatchObject({ kernel_size: [1, 3], padding: [0, 1] });
    expect(find(layers, 'Conv2d_4a_3x3.bn')).toMatchObject({ eps: 0.001 });
    expect(find(layers, 'transform_input')).toMatchObject({ groups: 3, kernel_size: 1 });
    expect(store.all().some((t) => /^(AuxLogits|fc)\./.test(t.name))).toBe(false);
  });

  it('DenseNet: each dense layer a concat([], layer), blocks and transitions named, relu and avgpool after features', async () => {
    const { layers } = await importArch('densenet121');
    expect(layers.map((l) => l.name)).toEqual(['features', 'relu', 'avgpool']);
    const block = find(layers, 'features.denseblock3').layers as SpecItem[];
    expect(block).toHaveLength(24);
    expect(block.every((c) => c.type === 'concat' && (c.branches as SpecItem[][])[0].length === 0)).toBe(true);
    const layer = 'features.denseblock1.denselayer2';
    expect(names([find(layers, layer)])).toEqual([layer, ...['norm1', 'relu1', 'conv1', 'norm2', 'relu2', 'conv2'].map((n) => `${layer}.${n}`)]);
    expect(names([find(layers, 'features.transition1')])).toEqual(['features.transition1', ...['norm', 'relu', 'conv', 'pool'].map((n) => `features.transition1.${n}`)]);
    expect(find(layers, 'features.transition1.pool')).toMatchObject({ type: 'avgpool2d', kernel_size: 2, stride: 2 });
  });

  it('reads torchvision\'s released DenseNet key names (norm.1 for norm1) into the same spec', async () => {
    const plain = await importArch('densenet121');
    const legacy = await importArch('densenet121', fixture('densenet121', 'model_legacy_keys.pth'));
    expect(legacy.layers).toEqual(plain.layers);
    expect(legacy.store.all().map((t) => t.data)).toEqual(plain.store.all().map((t) => t.data));
  });

  it('the same spec and weights from the .pth and the .safetensors of one state_dict', async () => {
    const a = await importArch('mobilenet_v2');
    const b = await importArch('mobilenet_v2', fixture('mobilenet_v2', 'model.safetensors'));
    expect(b.layers).toEqual(a.layers);
    expect(b.store.all()).toEqual(a.store.all());
  });
});

describe('checkpoints that do not fit the architecture', () => {
  it('a missing tensor: its name, the expected shape, and a did-you-mean', async () => {
    const file = editedCheckpoint('resnet18', (t) => {
      const i = t.findIndex((x) => x.name === 'layer3.1.bn2.running_var');
      t[i].name = 'layer3.1.bn2.running_vars';
    });
    const error = await failure(() => importArch('resnet18', file));
    expect(error.code).toBe('import.arch');
    expect(error.message).toBe('edited.safetensors: resnet18: missing tensor "layer3.1.bn2.running_var" (expected shape [8] (batchnorm2d over 8 channels)) (did you mean "layer3.1.bn2.running_vars"?)');
  });

  it('a misshapen tensor: the shape it has and the one expected', async () => {
    const file = editedCheckpoint('resnet18', (t) => {
      const i = t.findIndex((x) => x.name === 'layer2.0.conv2.weight');
      t[i] = { name: t[i].name, shape: [8, 4, 3, 3], data: new Float32Array(8 * 4 * 9) };
    });
    const error = await failure(() => importArch('resnet18', file));
    expect(error.code).toBe('import.shape');
    expect(error.message).toBe('edited.safetensors: resnet18: tensor "layer2.0.conv2.weight" has shape [8, 4, 3, 3], expected [out_channels, 8, 3, 3] (conv2d, 8 input channels)');
  });

  it('a checkpoint of another architecture: the first tensor that differs', async () => {
    const deeper = await failure(() => importArch('resnet34', fixture('resnet18', 'model.pth')));
    expect(deeper.message).toMatch(/^model.pth: resnet34: missing tensor "layer1.2.conv1.weight" \(expected shape \[out_channels, 4, 3, 3\]/);
    const shallower = await failure(() => importArch('vgg11_bn', fixture('vgg13', 'model.pth')));
    expect(shallower.message).toMatch(/^model.pth: vgg11_bn: /);
    const bottleneck = await failure(() => importArch('resnext50_32x4d', fixture('resnet50', 'model.pth')));
    expect(bottleneck.message).toBe('model.pth: resnext50_32x4d: layer1.0.conv2: 32 groups do not divide its 2 input channels');
    const extra = editedCheckpoint('resnet18', (t) => t.push({ name: 'layer5.0.conv1.weight', shape: [1], data: new Float32Array(1) }));
    expect((await failure(() => importArch('resnet18', extra))).message).toBe('edited.safetensors: resnet18: unexpected tensor "layer5.0.conv1.weight": resnet18 has no such module; is this a checkpoint of another architecture?');
  });

  it('an unknown architecture name gets a did-you-mean', () => {
    expect(() => archByName('resnet_50')).toThrow('--arch resnet_50: unknown architecture (did you mean "resnet50"?); cnnx import --list-archs lists them');
  });
});
