// torchvision's GoogLeNet as a cnnx spec: transform_input, the stem, Inception modules as 4-branch concats, avgpool.
import type { SpecItem } from '../spec-tree.js';
import type { BuildOptions } from './index.js';
import type { Template } from './template.js';

/**
 * torchvision's pretrained GoogLeNet (transform_input=True) turns an ImageNet-normalised input into
 * one normalised by 0.5, 0.5 before conv1: channel c becomes x * (std[c] / 0.5) + (mean[c] - 0.5) / 0.5.
 */
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/**
 * torchvision.models.googlenet: transform_input, conv1 (7x7/2, padding 3), maxpool1, conv2 (1x1), conv3
 * (3x3, padding 1), maxpool2, inception3a/3b, maxpool3, inception4a..4e, maxpool4 (2/2), inception5a/5b,
 * then forward()'s adaptive average pool. Every conv is a BasicConv2d: conv without bias, BatchNorm2d
 * with eps 0.001, F.relu (named `.relu` under the module). The pools are MaxPool2d with ceil_mode. The
 * auxiliary classifiers (aux1, aux2), dropout and fc are dropped: cnnx extracts features.
 */
export function googlenet(t: Template, options: BuildOptions): SpecItem[] {
  const pool = (name: string, kernel: number): SpecItem => t.maxpool(name, kernel, 2, 0, true);
  const modules = (names: string[]): SpecItem[] => names.map((m) => inception(t, `inception${m}`));
  // In order: the template is a cursor, each module starting from the channels the one before ends with.
  return [
    ...transformInput(t, options),
    basic(t, 'conv1', 7, 2, 3),
    pool('maxpool1', 3),
    basic(t, 'conv2', 1),
    basic(t, 'conv3', 3, 1, 1),
    pool('maxpool2', 3),
    ...modules(['3a', '3b']),
    pool('maxpool3', 3),
    ...modules(['4a', '4b', '4c', '4d', '4e']),
    pool('maxpool4', 2),
    ...modules(['5a', '5b']),
    t.adaptiveAvgpool('avgpool', 1),
  ];
}

/** GoogLeNet's and Inception v3's _transform_input, as a 1x1 conv with a group per channel; none when the model was built without it. */
export function transformInput(t: Template, options: BuildOptions): SpecItem[] {
  if (!options.transformInput) return [];
  return [t.channelAffine('transform_input', STD.map((s) => s / 0.5), MEAN.map((m) => (m - 0.5) / 0.5))];
}

/** BasicConv2d (GoogLeNet's, Inception v3's): conv (no bias), batch norm with eps 0.001, ReLU. */
export function basic(t: Template, p: string, kernel: number | [number, number], stride = 1, padding: number | [number, number] = 0): SpecItem {
  return t.sequential(p, () => [t.conv(`${p}.conv`, { kernel, stride, padding, bias: false }), t.batchnorm(`${p}.bn`, 0.001), t.relu(`${p}.relu`)]);
}

/**
 * Inception: torch.cat (named `.cat`, as SqueezeNet's fire modules) of branch1 (1x1), branch2 (1x1, 3x3),
 * branch3 (1x1, 3x3: torchvision's 3x3 where the paper has 5x5) and branch4 (MaxPool2d(3, 1, padding 1,
 * ceil_mode), 1x1), all BasicConv2d.
 */
function inception(t: Template, p: string): SpecItem {
  return t.sequential(p, () => [
    t.concat(`${p}.cat`, [
      () => [basic(t, `${p}.branch1`, 1)],
      () => [t.sequential(`${p}.branch2`, () => [basic(t, `${p}.branch2.0`, 1), basic(t, `${p}.branch2.1`, 3, 1, 1)])],
      () => [t.sequential(`${p}.branch3`, () => [basic(t, `${p}.branch3.0`, 1), basic(t, `${p}.branch3.1`, 3, 1, 1)])],
      () => [t.sequential(`${p}.branch4`, () => [t.maxpool(`${p}.branch4.0`, 3, 1, 1, true), basic(t, `${p}.branch4.1`, 1)])],
    ]),
  ]);
}
