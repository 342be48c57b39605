// torchvision's Inception v3 as a cnnx spec: transform_input, the stem, Mixed_5b .. Mixed_7c (InceptionA-E), avgpool.
import type { SpecItem } from '../spec-tree.js';
import { basic, transformInput } from './googlenet.js';
import type { BuildOptions } from './index.js';
import type { Template } from './template.js';

/**
 * torchvision.models.inception_v3 as pretrained (transform_input=True, as GoogLeNet): Conv2d_1a_3x3
 * (3x3/2), Conv2d_2a_3x3, Conv2d_2b_3x3 (padding 1), maxpool1 (3/2), Conv2d_3b_1x1, Conv2d_4a_3x3,
 * maxpool2, Mixed_5b/5c/5d (InceptionA), Mixed_6a (B), Mixed_6b..6e (C), Mixed_7a (D), Mixed_7b/7c (E),
 * then avgpool. Convs are BasicConv2d (conv, batch norm eps 0.001, ReLU); the functional pools and cats
 * of the blocks take torch.fx's names (`Mixed_5b.avg_pool2d`, `Mixed_7c.cat_1`). AuxLogits, dropout
 * and fc are dropped.
 */
export function inceptionV3(t: Template, options: BuildOptions): SpecItem[] {
  return [
    ...transformInput(t, options),
    basic(t, 'Conv2d_1a_3x3', 3, 2),
    basic(t, 'Conv2d_2a_3x3', 3),
    basic(t, 'Conv2d_2b_3x3', 3, 1, 1),
    t.maxpool('maxpool1', 3, 2),
    basic(t, 'Conv2d_3b_1x1', 1),
    basic(t, 'Conv2d_4a_3x3', 3),
    t.maxpool('maxpool2', 3, 2),
    inceptionA(t, 'Mixed_5b'),
    inceptionA(t, 'Mixed_5c'),
    inceptionA(t, 'Mixed_5d'),
    inceptionB(t, 'Mixed_6a'),
    inceptionC(t, 'Mixed_6b'),
    inceptionC(t, 'Mixed_6c'),
    inceptionC(t, 'Mixed_6d'),
    inceptionC(t, 'Mixed_6e'),
    inceptionD(t, 'Mixed_7a'),
    inceptionE(t, 'Mixed_7b'),
    inceptionE(t, 'Mixed_7c'),
    t.adaptiveAvgpool('avgpool', 1),
  ];
}

/** A branch of BasicConv2d modules `${p}.${names[i]}` with their kernels, strides and paddings. */
function chain(t: Template, p: string, convs: readonly [string, number | [number, number], number, number | [number, number]][]): SpecItem[] {
  return convs.map(([name, kernel, stride, padding]) => basic(t, `${p}.${name}`, kernel, stride, padding));
}

/** F.avg_pool2d(x, 3, stride 1, padding 1) then branch_pool (1x1): the last branch of InceptionA, C and E. */
function avgPoolBranch(t: Template, p: string): SpecItem[] {
  return [t.avgpool(`${p}.avg_pool2d`, 3, 1, 1), basic(t, `${p}.branch_pool`, 1)];
}

function inceptionA(t: Template, p: string): SpecItem {
  return t.sequential(p, () => [
    t.concat(`${p}.cat`, [
      () => chain(t, p, [['branch1x1', 1, 1, 0]]),
      () => chain(t, p, [['branch5x5_1', 1, 1, 0], ['branch5x5_2', 5, 1, 2]]),
      () => chain(t, p, [['branch3x3dbl_1', 1, 1, 0], ['branch3x3dbl_2', 3, 1, 1], ['branch3x3dbl_3', 3, 1, 1]]),
      () => avgPoolBranch(t, p),
    ]),
  ]);
}

function inceptionB(t: Template, p: string): SpecItem {
  return t.sequential(p, () => [
    t.concat(`${p}.cat`, [
      () => chain(t, p, [['branch3x3', 3, 2, 0]]),
      () => chain(t, p, [['branch3x3dbl_1', 1, 1, 0], ['branch3x3dbl_2', 3, 1, 1], ['branch3x3dbl_3', 3, 2, 0]]),
      () => [t.maxpool(`${p}.max_pool2d`, 3, 2)],
    ]),
  ]);
}

function inceptionC(t: Template, p: string): SpecItem {
  const row: [number, number] = [1, 7];
  const column: [number, number] = [7, 1];
  return t.sequential(p, () => [
    t.concat(`${p}.cat`, [
      () => chain(t, p, [['branch1x1', 1, 1, 0]]),
      () => chain(t, p, [['branch7x7_1', 1, 1, 0], ['branch7x7_2', row, 1, [0, 3]], ['branch7x7_3', column, 1, [3, 0]]]),
      () =>
        chain(t, p, [
          ['branch7x7dbl_1', 1, 1, 0], ['branch7x7dbl_2', column, 1, [3, 0]], ['branch7x7dbl_3', row, 1, [0, 3]],
          ['branch7x7dbl_4', column, 1, [3, 0]], ['branch7x7dbl_5', row, 1, [0, 3]],
        ]),
      () => avgPoolBranch(t, p),
    ]),
  ]);
}

function inceptionD(t: Template, p: string): SpecItem {
  return t.sequential(p, () => [
    t.concat(`${p}.cat`, [
      () => chain(t, p, [['branch3x3_1', 1, 1, 0], ['branch3x3_2', 3, 2, 0]]),
      () => chain(t, p, [['branch7x7x3_1', 1, 1, 0], ['branch7x7x3_2', [1, 7], 1, [0, 3]], ['branch7x7x3_3', [7, 1], 1, [3, 0]], ['branch7x7x3_4', 3, 2, 0]]),
      () => [t.maxpool(`${p}.max_pool2d`, 3, 2)],
    ]),
  ]);
}

/** InceptionE: its 3x3 branches end in a torch.cat of a 1x3 and a 3x1 conv (`cat`, `cat_1`); the block's own is `cat_2`. */
function inceptionE(t: Template, p: string): SpecItem {
  const split = (cat: string, a: string, b: string): SpecItem =>
    t.concat(`${p}.${cat}`, [() => chain(t, p, [[a, [1, 3], 1, [0, 1]]]), () => chain(t, p, [[b, [3, 1], 1, [1, 0]]])]);
  return t.sequential(p, () => [
    t.concat(`${p}.cat_2`, [
      () => chain(t, p, [['branch1x1', 1, 1, 0]]),
      () => [...chain(t, p, [['branch3x3_1', 1, 1, 0]]), split('cat', 'branch3x3_2a', 'branch3x3_2b')],
      () => [...chain(t, p, [['branch3x3dbl_1', 1, 1, 0], ['branch3x3dbl_2', 3, 1, 1]]), split('cat_1', 'branch3x3dbl_3a', 'branch3x3dbl_3b')],
      () => avgPoolBranch(t, p),
    ]),
  ]);
}
