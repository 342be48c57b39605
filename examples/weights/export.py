# Writes conv1.weight.npy and conv1.bias.npy for examples/tiny-convnet.json: the parameters of a
# freshly initialised torch.nn.Conv2d(3, 32, 3, padding=1) (seed 0), saved the way any PyTorch
# layer's weights are saved for cnnx. Run: cd examples/weights && python3 export.py
import numpy as np
import torch

torch.manual_seed(0)
conv = torch.nn.Conv2d(3, 32, kernel_size=3, padding=1)
np.save('conv1.weight.npy', conv.weight.detach().numpy())
np.save('conv1.bias.npy', conv.bias.detach().numpy())
