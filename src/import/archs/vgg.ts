// torchvision's plain stacks, VGG (with and without batch norm) and AlexNet: `features`, then torchvision's `avgpool` module.
import type { SpecItem } from '../spec-tree.js';
import type { Template } from './template.js';

/** torchvision.models.vgg cfgs: conv counts between the 2x2 max pools ('M'). */
export const VGG_CONFIGS = {
  vgg11: [1, 'M', 1, 'M', 2, 'M', 2, 'M', 2, 'M'],
  vgg13: [2, 'M', 2, 'M', 2, 'M', 2, 'M', 2, 'M'],
  vgg16: [2, 'M', 2, 'M', 3, 'M', 3, 'M', 3, 'M'],
  vgg19: [2, 'M', 2, 'M', 4, 'M', 4, 'M', 4, 'M'],
} as const;

/**
 * make_layers: each conv is 3x3 padding 1 with bias, then (for _bn) BatchNorm2d, then ReLU; 'M' is
 * MaxPool2d(2, 2); modules are numbered in order (`features.0`, `features.1`...). Then torchvision's
 * avgpool, AdaptiveAvgPool2d((7, 7)): the classifier's input, 512x7x7.
 */
export function vgg(t: Template, config: readonly (number | 'M')[], batchNorm: boolean): SpecItem[] {
  const features = t.sequential('features', () => {
    const items: SpecItem[] = [];
    let index = 0;
    const next = (): string => `features.${index++}`;
    for (const entry of config) {
      if (entry === 'M') {
        items.push(t.maxpool(next(), 2, 2));
        continue;
      }
      for (let i = 0; i < entry; i++) {
        items.push(t.conv(next(), { kernel: 3, padding: 1, bias: true }));
        if (batchNorm) items.push(t.batchnorm(next()));
        items.push(t.relu(next()));
      }
    }
    return items;
  });
  return [features, t.adaptiveAvgpool('avgpool', 7)];
}

/** torchvision.models.alexnet (the one-GPU variant of "One weird trick"): `features`, then AdaptiveAvgPool2d((6, 6)). */
export function alexnet(t: Template): SpecItem[] {
  const features = t.sequential('features', () => [
    t.conv('features.0', { kernel: 11, stride: 4, padding: 2, bias: true }),
    t.relu('features.1'),
    t.maxpool('features.2', 3, 2),
    t.conv('features.3', { kernel: 5, padding: 2, bias: true }),
    t.relu('features.4'),
    t.maxpool('features.5', 3, 2),
    t.conv('features.6', { kernel: 3, padding: 1, bias: true }),
    t.relu('features.7'),
    t.conv('features.8', { kernel: 3, padding: 1, bias: true }),
    t.relu('features.9'),
    t.conv('features.10', { kernel: 3, padding: 1, bias: true }),
    t.relu('features.11'),
    t.maxpool('features.12', 3, 2),
  ]);
  return [features, t.adaptiveAvgpool('avgpool', 6)];
}
