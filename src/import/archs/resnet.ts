// torchvision's ResNet family (resnet18..152, wide_resnet, resnext) as cnnx specs: conv1 .. layer4, then avgpool.
import type { SpecItem } from '../spec-tree.js';
import type { Template } from './template.js';

export interface ResNetShape {
  readonly block: 'basic' | 'bottleneck';
  /** Blocks per stage (layer1..layer4). */
  readonly layers: readonly [number, number, number, number];
  /** Groups of the bottleneck's 3x3 conv (ResNeXt's cardinality). */
  readonly groups: number;
}

/**
 * torchvision.models.resnet (0.14): a 7x7/2 stem and a 3x3/2 max pool, four stages whose first block
 * strides 2 (from layer2 on) at its 3x3 conv (ResNet v1.5), identity shortcuts unless the checkpoint has
 * the block's `downsample` (1x1 conv with the block's stride, then batch norm), ReLU after the add.
 * Widths come from the checkpoint, so wide_resnet50_2 is resnet50's shape with wider bottlenecks.
 * Names are torch.fx's for the functional parts: `layer1.0.add`, and `relu_1`/`relu_2` for the
 * block's reused ReLU module.
 */
export function resnet(t: Template, shape: ResNetShape): SpecItem[] {
  const items = [
    t.conv('conv1', { kernel: 7, stride: 2, padding: 3, bias: false }),
    t.batchnorm('bn1'),
    t.relu('relu'),
    t.maxpool('maxpool', 3, 2, 1),
  ];
  shape.layers.forEach((blocks, stage) => {
    const layer = `layer${stage + 1}`;
    items.push(
      t.sequential(layer, () =>
        Array.from({ length: blocks }, (_, b) => block(t, `${layer}.${b}`, stage > 0 && b === 0 ? 2 : 1, shape)),
      ),
    );
  });
  items.push(t.adaptiveAvgpool('avgpool', 1));
  return items;
}

function block(t: Template, p: string, stride: number, shape: ResNetShape): SpecItem {
  const basic = shape.block === 'basic';
  const body = (): SpecItem[] =>
    basic
      ? [
          t.conv(`${p}.conv1`, { kernel: 3, stride, padding: 1, bias: false }),
          t.batchnorm(`${p}.bn1`),
          t.relu(`${p}.relu`),
          t.conv(`${p}.conv2`, { kernel: 3, padding: 1, bias: false }),
          t.batchnorm(`${p}.bn2`),
        ]
      : [
          t.conv(`${p}.conv1`, { kernel: 1, bias: false }),
          t.batchnorm(`${p}.bn1`),
          t.relu(`${p}.relu`),
          t.conv(`${p}.conv2`, { kernel: 3, stride, padding: 1, groups: shape.groups, bias: false }),
          t.batchnorm(`${p}.bn2`),
          t.relu(`${p}.relu_1`),
          t.conv(`${p}.conv3`, { kernel: 1, bias: false }),
          t.batchnorm(`${p}.bn3`),
        ];
  const projection = t.has(`${p}.downsample.0.weight`) || stride !== 1;
  const shortcut = (): SpecItem[] =>
    projection
      ? [t.sequential(`${p}.downsample`, () => [t.conv(`${p}.downsample.0`, { kernel: 1, stride, bias: false }), t.batchnorm(`${p}.downsample.1`)])]
      : [];
  return t.sequential(p, () => [t.add(`${p}.add`, [body, shortcut]), t.relu(`${p}.relu_${basic ? 1 : 2}`)]);
}
