// torchvision's DenseNet-121/161/169/201 as cnnx specs: `features` (dense blocks as chains of concats), ReLU, avgpool.
import type { SpecItem } from '../spec-tree.js';
import type { Template } from './template.js';

/**
 * torchvision.models.densenet: conv0 (7x7/2, padding 3), norm0, relu0, pool0 (MaxPool 3/2, padding 1),
 * then dense blocks separated by transitions (norm, relu, 1x1 conv, AvgPool 2/2), then norm5; forward()
 * applies F.relu and adaptive_avg_pool2d(1) after `features` (named `relu` and `avgpool` here).
 * A dense layer is norm1, relu1, conv1 (1x1), norm2, relu2, conv2 (3x3, padding 1) on the concatenation
 * of everything before it; as a spec, each layer is `concat([], [layer])`, so each concat's output is the
 * next layer's input and the last one is the block's output, torch.cat(features).
 */
export function densenet(t: Template, blocks: readonly number[]): SpecItem[] {
  const features = t.sequential('features', () => {
    const items = [
      t.conv('features.conv0', { kernel: 7, stride: 2, padding: 3, bias: false }),
      t.batchnorm('features.norm0'),
      t.relu('features.relu0'),
      t.maxpool('features.pool0', 3, 2, 1),
    ];
    blocks.forEach((layers, i) => {
      const block = `features.denseblock${i + 1}`;
      items.push(t.sequential(block, () => Array.from({ length: layers }, (_, j) => t.concat(undefined, [() => [], () => [denseLayer(t, `${block}.denselayer${j + 1}`)]]))));
      if (i < blocks.length - 1) {
        const p = `features.transition${i + 1}`;
        items.push(t.sequential(p, () => [t.batchnorm(`${p}.norm`), t.relu(`${p}.relu`), t.conv(`${p}.conv`, { kernel: 1, bias: false }), t.avgpool(`${p}.pool`, 2, 2)]));
      }
    });
    items.push(t.batchnorm('features.norm5'));
    return items;
  });
  return [features, t.relu('relu'), t.adaptiveAvgpool('avgpool', 1)];
}

function denseLayer(t: Template, p: string): SpecItem {
  return t.sequential(p, () => [
    t.batchnorm(`${p}.norm1`),
    t.relu(`${p}.relu1`),
    t.conv(`${p}.conv1`, { kernel: 1, bias: false }),
    t.batchnorm(`${p}.norm2`),
    t.relu(`${p}.relu2`),
    t.conv(`${p}.conv2`, { kernel: 3, padding: 1, bias: false }),
  ]);
}

/**
 * torchvision's released DenseNet checkpoints predate dots being banned in module names: they say
 * `denselayer1.norm.1.weight` for `denselayer1.norm1.weight`. torchvision renames them on load; so does cnnx.
 */
export function renameLegacyDenseNet(name: string): string {
  return name.replace(/^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$/, (_, a: string, b: string) => a + b);
}
