#!/usr/bin/python3
"""A full-size torchvision backbone whose deep layers depend on the image, with PyTorch's outputs.

    /usr/bin/python3 scripts/torchvision-live.py ARCH HEIGHT WIDTH TAP OUTDIR   (outside the repository: 15-100 MB)

Random weights with random batch-norm statistics leave the deep maps of some families nearly constant
(gen_arch.py's MobileNetV2: its `features` change by 5e-7 of their size when the input changes by a
third), so a check there says little about them. Here the statistics are measured on four photos of
../shared/images (as training leaves them), and the check runs on a fifth (astronaut.png, resized to
HEIGHT x WIDTH, ImageNet-normalised). Writes into OUTDIR/ARCH/: model.pth (the state_dict), input.npy,
out.npy (the backbone's end: resnet* layer4, mobilenet_v2 and others features, googlenet inception5b,
inception_v3 Mixed_7c), tap.npy (the module TAP) and meta.json, then prints how much the output moves on
0.7 x input + 0.05. `CNNX_LIVE=OUTDIR npx vitest run test/import/live.test.ts` compares both engines with
them; docs/import.md has the figures.
"""
import json
import os
import sys

import numpy as np
import torch
import torchvision
from PIL import Image

arch, h, w, tap, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
IMAGES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'images')
MEAN, STD = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
STAGES = {
    'googlenet': ['conv1', 'maxpool1', 'conv2', 'conv3', 'maxpool2', 'inception3a', 'inception3b', 'maxpool3', 'inception4a',
                  'inception4b', 'inception4c', 'inception4d', 'inception4e', 'maxpool4', 'inception5a', 'inception5b'],
    'inception_v3': ['Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3', 'maxpool1', 'Conv2d_3b_1x1', 'Conv2d_4a_3x3', 'maxpool2',
                     'Mixed_5b', 'Mixed_5c', 'Mixed_5d', 'Mixed_6a', 'Mixed_6b', 'Mixed_6c', 'Mixed_6d', 'Mixed_6e', 'Mixed_7a',
                     'Mixed_7b', 'Mixed_7c'],
}


def photo(name):
    img = Image.open(os.path.join(IMAGES, name)).convert('RGB').resize((w, h), Image.BICUBIC)
    return ((np.asarray(img) / 255 - MEAN) / STD).transpose(2, 0, 1).astype(np.float32)


TRANSFORM_INPUT = arch in ('googlenet', 'inception_v3')  # built as pretrained: transform_input first
if arch.startswith(('resnet', 'resnext', 'wide_resnet')):
    STAGES[arch] = ['conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4']


def backbone(m, x):
    if arch not in STAGES:
        return m.features(x)
    if TRANSFORM_INPUT:
        x = m._transform_input(x)
    for n in STAGES[arch]:
        x = getattr(m, n)(x)
    return x


BACKBONE_LAYER = STAGES[arch][-1] if arch in STAGES else 'features'


torch.manual_seed(0)
options = {'aux_logits': False, 'init_weights': True, 'transform_input': True} if TRANSFORM_INPUT else {}
m = getattr(torchvision.models, arch)(**options)
bns = [mod for mod in m.modules() if isinstance(mod, torch.nn.BatchNorm2d)]
for bn in bns:
    bn.reset_running_stats()
    bn.momentum = None  # a cumulative average: the calibration batch's statistics
m.train()
with torch.no_grad():
    backbone(m, torch.from_numpy(np.stack([photo(n) for n in ['chelsea.png', 'coffee.png', 'rocket.jpg', 'brick.png']])))
m.eval()
x = photo('astronaut.png')
captured = []
dict(m.named_modules())[tap].register_forward_hook(lambda _m, _i, o: captured.append(o.detach().clone()) and None)
with torch.no_grad():
    y = backbone(m, torch.from_numpy(x)[None])
    moved = backbone(m, torch.from_numpy(x * 0.7 + 0.05)[None])
d = os.path.join(out, arch)
os.makedirs(d, exist_ok=True)
np.save(os.path.join(d, 'input.npy'), x)
np.save(os.path.join(d, 'out.npy'), y[0].numpy())
np.save(os.path.join(d, 'tap.npy'), captured[0][0].numpy())
torch.save(m.state_dict(), os.path.join(d, 'model.pth'))
json.dump({'arch': arch, 'size': [h, w], 'layer': BACKBONE_LAYER, 'tap': tap}, open(os.path.join(d, 'meta.json'), 'w'), indent=1)
print(f'{arch}: backbone {tuple(y.shape[1:])}, {tap} {tuple(captured[0].shape[1:])}; on 0.7 x input + 0.05 the backbone moves by '
      f'{((y - moved).abs().max() / y.abs().max()).item():.2f} of its largest value')
