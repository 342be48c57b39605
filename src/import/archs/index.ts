// The architecture templates `cnnx import --arch` knows: torchvision's names, what each builds, and its classifier to drop.
import type { SpecItem } from '../spec-tree.js';
import { densenet, renameLegacyDenseNet } from './densenet.js';
import { googlenet } from './googlenet.js';
import { inceptionV3 } from './inception.js';
import { mobilenetV2 } from './mobilenet.js';
import { resnet } from './resnet.js';
import { squeezenet } from './squeezenet.js';
import type { Template } from './template.js';
import { alexnet, vgg, VGG_CONFIGS } from './vgg.js';

export interface Arch {
  readonly name: string;
  /** One line for --list-archs. */
  readonly summary: string;
  readonly build: (t: Template, options: BuildOptions) => SpecItem[];
  /** State-dict prefixes of the classifier, which the feature extractor leaves out. */
  readonly heads: readonly string[];
  /** The module whose output is the feature map, before pooling (`--layer` for the map). */
  readonly map: string;
  readonly rename?: (name: string) => string;
  /** The default input block's resize when it is not ImageNet's 256 then 224 (torchvision's transforms for the weights). */
  readonly resize?: { readonly shorter_side: number; readonly center_crop: number };
  /** It starts with torchvision's transform_input (as pretrained), which --no-transform-input leaves out. */
  readonly transformInput?: true;
}

/** What the user chose beyond the architecture's name. */
export interface BuildOptions {
  /** Start with transform_input (archs that have one): torchvision's models built with transform_input=False do not. */
  readonly transformInput: boolean;
}

const RESNET_HEAD = ['fc.'];
const CLASSIFIER = ['classifier.'];

const ARCHS: Arch[] = [
  ...(
    [
      ['resnet18', 'basic', [2, 2, 2, 2], 1],
      ['resnet34', 'basic', [3, 4, 6, 3], 1],
      ['resnet50', 'bottleneck', [3, 4, 6, 3], 1],
      ['resnet101', 'bottleneck', [3, 4, 23, 3], 1],
      ['resnet152', 'bottleneck', [3, 8, 36, 3], 1],
      ['wide_resnet50_2', 'bottleneck', [3, 4, 6, 3], 1],
      ['wide_resnet101_2', 'bottleneck', [3, 4, 23, 3], 1],
      ['resnext50_32x4d', 'bottleneck', [3, 4, 6, 3], 32],
      ['resnext101_32x8d', 'bottleneck', [3, 4, 23, 3], 32],
      ['resnext101_64x4d', 'bottleneck', [3, 4, 23, 3], 64],
    ] as const
  ).map(([name, block, layers, groups]): Arch => ({
    name,
    summary: `${block === 'basic' ? 'BasicBlock' : 'Bottleneck'} ResNet, blocks ${layers.join('-')}${groups > 1 ? `, ${groups} groups` : ''}: conv1 .. layer4, avgpool`,
    build: (t) => resnet(t, { block, layers, groups }),
    heads: RESNET_HEAD,
    map: 'layer4',
  })),
  ...(Object.entries(VGG_CONFIGS) as [keyof typeof VGG_CONFIGS, readonly (number | 'M')[]][]).flatMap(([name, config]): Arch[] =>
    [false, true].map((bn) => ({
      name: bn ? `${name}_bn` : name,
      summary: `VGG, ${config.filter((c) => c !== 'M').reduce<number>((a, b) => a + (b as number), 0)} convs${bn ? ' with batch norm' : ''}: features, avgpool (7x7)`,
      build: (t: Template) => vgg(t, config, bn),
      heads: CLASSIFIER,
      map: 'features',
    })),
  ),
  { name: 'alexnet', summary: 'AlexNet: features, avgpool (6x6)', build: alexnet, heads: CLASSIFIER, map: 'features' },
  { name: 'squeezenet1_0', summary: 'SqueezeNet 1.0: features, avgpool', build: (t) => squeezenet(t, '1_0'), heads: CLASSIFIER, map: 'features' },
  { name: 'squeezenet1_1', summary: 'SqueezeNet 1.1: features, avgpool', build: (t) => squeezenet(t, '1_1'), heads: CLASSIFIER, map: 'features' },
  { name: 'mobilenet_v2', summary: 'MobileNetV2: features, avgpool', build: mobilenetV2, heads: CLASSIFIER, map: 'features' },
  { name: 'googlenet', summary: 'GoogLeNet (as pretrained: transform_input): conv1 .. inception5b, avgpool', build: googlenet, heads: ['aux1.', 'aux2.', 'fc.'], map: 'inception5b', transformInput: true },
  { name: 'inception_v3', summary: 'Inception v3 (as pretrained: transform_input): Conv2d_1a_3x3 .. Mixed_7c, avgpool', build: inceptionV3, heads: ['AuxLogits.', 'fc.'], map: 'Mixed_7c', resize: { shorter_side: 342, center_crop: 299 }, transformInput: true },
  ...(
    [
      ['densenet121', [6, 12, 24, 16]],
      ['densenet161', [6, 12, 36, 24]],
      ['densenet169', [6, 12, 32, 32]],
      ['densenet201', [6, 12, 48, 32]],
    ] as const
  ).map(([name, blocks]): Arch => ({
    name,
    summary: `DenseNet, blocks ${blocks.join('-')}: features, relu, avgpool`,
    build: (t) => densenet(t, blocks),
    heads: CLASSIFIER,
    map: 'features',
    rename: renameLegacyDenseNet,
  })),
];

export const ARCH_NAMES: readonly string[] = ARCHS.map((a) => a.name);

export function findArch(name: string): Arch | undefined {
  return ARCHS.find((a) => a.name === name);
}

export function listArchs(): readonly Arch[] {
  return ARCHS;
}
