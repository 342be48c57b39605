// torchvision's SqueezeNet 1.0 and 1.1 as cnnx specs: `features` (Fire modules as squeeze + concat of two expands), then avgpool.
import type { SpecItem } from '../spec-tree.js';
import type { Template } from './template.js';

/**
 * torchvision.models.squeezenet: a stem conv without padding (1.0: 7x7/2, 1.1: 3x3/2) and ReLU, then
 * Fire modules and MaxPool2d(3, 2, ceil_mode=True) at torchvision's positions. The classifier (dropout,
 * 1x1 conv, ReLU, pooling) is dropped; `avgpool` is the global average of `features`.
 */
export function squeezenet(t: Template, version: '1_0' | '1_1'): SpecItem[] {
  const pool = (i: number): SpecItem => t.maxpool(`features.${i}`, 3, 2, 0, true);
  const layout: ('pool' | 'fire')[] =
    version === '1_0'
      ? ['pool', 'fire', 'fire', 'fire', 'pool', 'fire', 'fire', 'fire', 'fire', 'pool', 'fire']
      : ['pool', 'fire', 'fire', 'pool', 'fire', 'fire', 'pool', 'fire', 'fire', 'fire', 'fire'];
  const features = t.sequential('features', () => [
    t.conv('features.0', { kernel: version === '1_0' ? 7 : 3, stride: 2, bias: true }),
    t.relu('features.1'),
    ...layout.map((kind, i) => (kind === 'pool' ? pool(i + 2) : fire(t, `features.${i + 2}`))),
  ]);
  return [features, t.adaptiveAvgpool('avgpool', 1)];
}

/** Fire: squeeze 1x1 + ReLU, then torch.cat of expand1x1 + ReLU and expand3x3 (padding 1) + ReLU. */
function fire(t: Template, p: string): SpecItem {
  return t.sequential(p, () => [
    t.conv(`${p}.squeeze`, { kernel: 1, bias: true }),
    t.relu(`${p}.squeeze_activation`),
    t.concat(`${p}.cat`, [
      () => [t.conv(`${p}.expand1x1`, { kernel: 1, bias: true }), t.relu(`${p}.expand1x1_activation`)],
      () => [t.conv(`${p}.expand3x3`, { kernel: 3, padding: 1, bias: true }), t.relu(`${p}.expand3x3_activation`)],
    ]),
  ]);
}
