// torchvision's MobileNetV2 as a cnnx spec: `features` (inverted residuals with ReLU6), then avgpool.
import type { SpecItem } from '../spec-tree.js';
import type { Template } from './template.js';

/** torchvision's inverted_residual_setting: (expand ratio t, blocks n, first stride s); widths come from the checkpoint. */
const SETTING: readonly (readonly [number, number, number])[] = [
  [1, 1, 1],
  [6, 2, 2],
  [6, 3, 2],
  [6, 4, 2],
  [6, 3, 1],
  [6, 3, 2],
  [6, 1, 1],
];

/**
 * torchvision.models.mobilenet_v2: features.0 is Conv2dNormActivation(3x3/2: conv, BN, ReLU6), then
 * InvertedResidual blocks, then features.18, Conv2dNormActivation(1x1). Pooling is the functional
 * adaptive_avg_pool2d(1) of forward(), named `avgpool` here.
 */
export function mobilenetV2(t: Template): SpecItem[] {
  let index = 0;
  const features = t.sequential('features', () => {
    const items = [convBnReLU6(t, `features.${index++}`, 3, 2, false)];
    for (const [expand, blocks, firstStride] of SETTING) {
      for (let b = 0; b < blocks; b++) items.push(invertedResidual(t, `features.${index++}`, expand, b === 0 ? firstStride : 1));
    }
    items.push(convBnReLU6(t, `features.${index++}`, 1, 1, false));
    return items;
  });
  return [features, t.adaptiveAvgpool('avgpool', 1)];
}

/** Conv2dNormActivation: conv (padding (k - 1) / 2, no bias), BatchNorm2d, ReLU6 as `.0`, `.1`, `.2`. */
function convBnReLU6(t: Template, p: string, kernel: number, stride: number, depthwise: boolean): SpecItem {
  return t.sequential(p, () => [
    t.conv(`${p}.0`, { kernel, stride, padding: (kernel - 1) / 2, groups: depthwise ? 'depthwise' : 1, bias: false }),
    t.batchnorm(`${p}.1`),
    t.relu6(`${p}.2`),
  ]);
}

/**
 * InvertedResidual: [1x1 expand (t != 1)], 3x3 depthwise with the stride, 1x1 projection conv and its
 * BatchNorm2d, all in `.conv`; `x + conv(x)` when the stride is 1 and the channels stay (use_res_connect).
 */
function invertedResidual(t: Template, p: string, expand: number, stride: number): SpecItem {
  const inChannels = t.outChannels;
  const k = expand === 1 ? 0 : 1;
  const out = t.outOf(`${p}.conv.${k + 1}.weight`, `[out_channels, hidden, 1, 1] (the block's projection conv)`);
  const conv = (): SpecItem[] => [
    t.sequential(`${p}.conv`, () => [
      ...(expand === 1 ? [] : [convBnReLU6(t, `${p}.conv.0`, 1, 1, false)]),
      convBnReLU6(t, `${p}.conv.${k}`, 3, stride, true),
      t.conv(`${p}.conv.${k + 1}`, { kernel: 1, bias: false }),
      t.batchnorm(`${p}.conv.${k + 2}`),
    ]),
  ];
  if (stride === 1 && inChannels === out) return t.sequential(p, () => [t.add(`${p}.add`, [() => [], conv])]);
  return t.sequential(p, conv);
}
