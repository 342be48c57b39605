// batchnorm2d (inference): (x - running_mean) / sqrt(running_var + eps) * weight + bias (torch.nn.BatchNorm2d in eval mode).
import type { BatchNorm2dLayer } from '../network/types.js';
import { loadTensor } from '../network/tensors.js';
import { mapRows, sameShape } from './elementwise.js';
import type { LayerDef } from './layer.js';
import { plural } from '../format.js';

export const batchnorm2d: LayerDef<BatchNorm2dLayer> = {
  type: 'batchnorm2d',
  summary: 'per-channel affine normalisation with running statistics',
  async parse(r, ctx) {
    const channels = ctx.inChannels;
    if (r.has('num_features')) {
      const declared = r.int('num_features', { min: 1 });
      if (declared !== channels) throw r.error('num_features', `is ${declared}, but the layer receives ${plural(channels, 'channel')}`, 'spec.shape');
    }
    const eps = r.number('eps', { default: 1e-5, positive: true });
    const load = (key: string, fallback: number) =>
      r.has(key)
        ? loadTensor(r, { key, shape: [channels], dims: 'channels', fanIn: channels }, ctx.dir, ctx.safetensors)
        : Promise.resolve(new Float32Array(channels).fill(fallback));
    // weight/bias default to the identity affine (affine=False); the running statistics are required.
    const weight = await load('weight', 1);
    const bias = await load('bias', 0);
    r.require('running_mean');
    r.require('running_var');
    const runningMean = await load('running_mean', 0);
    const runningVar = await load('running_var', 1);
    r.finish(['momentum', 'affine', 'track_running_stats', 'num_batches_tracked']);
    return { channels, weight, bias, runningMean, runningVar, eps };
  },
  outChannels: (_layer, inChannels) => inChannels,
  outputShape: sameShape,
  reference(layer, input, rows) {
    const scale = Array.from(layer.runningVar, (v, c) => layer.weight[c] / Math.sqrt(v + layer.eps));
    return mapRows(input, rows, (x, c) => (x - layer.runningMean[c]) * scale[c] + layer.bias[c]);
  },
  cost: (layer) => ({ params: 4 * layer.channels, macs: 0 }),
  window: () => null,
};
