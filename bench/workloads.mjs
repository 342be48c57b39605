// The benchmark workloads W1 (seed net), W2 (VGG16 features), W3 (edge bank) as cnnx Network objects with deterministic random weights.
// Shared with bench/peers/ so every contender runs the same weights.

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A conv2d layer with uniform weights in +-sqrt(6 / fanIn) (He-uniform), bias in +-0.1. */
export function conv2d(index, inChannels, outChannels, k, random, opts = {}) {
  const { stride = 1, padding = 0, dilation = 1, groups = 1, paddingMode = 'zeros', bias = true } = opts;
  const pair = (v) => (Array.isArray(v) ? v : [v, v]);
  const pads = typeof padding === 'number' ? { top: padding, bottom: padding, left: padding, right: padding } : padding;
  const [kh, kw] = pair(k);
  const fanIn = (inChannels / groups) * kh * kw;
  const bound = Math.sqrt(6 / fanIn);
  const weight = new Float32Array(outChannels * fanIn);
  for (let i = 0; i < weight.length; i++) weight[i] = (random() * 2 - 1) * bound;
  let b = null;
  if (bias) {
    b = new Float32Array(outChannels);
    for (let i = 0; i < outChannels; i++) b[i] = (random() * 2 - 1) * 0.1;
  }
  return {
    type: 'conv2d', index, inChannels, outChannels, kernelSize: [kh, kw], stride: pair(stride), dilation: pair(dilation),
    padding: pads, paddingMode, groups, weight, bias: b,
  };
}

export const relu = (index) => ({ type: 'relu', index });
export const maxpool2d = (index, k, opts = {}) => ({
  type: 'maxpool2d', index, kernelSize: [k, k], stride: opts.stride ? [opts.stride, opts.stride] : [k, k], padding: [0, 0], dilation: [1, 1], ceilMode: false,
});
export const avgpool2d = (index, k) => ({
  type: 'avgpool2d', index, kernelSize: [k, k], stride: [k, k], padding: [0, 0], ceilMode: false, countIncludePad: true, divisorOverride: null,
});

const { stackNetwork } = await import(new URL('../dist/network/tree.js', import.meta.url).href);

function network(name, channels, layers) {
  return stackNetwork({ name, file: '<bench>', input: { channels, mean: null, std: null, resize: null } }, layers);
}

/** W1 seed net on 3x512x512: conv 3->32 k3 p1, relu, maxpool 2, conv 32->64 k3 p1, relu, maxpool 2. */
export function w1() {
  const r = rng(1);
  return {
    id: 'W1', title: 'seed net', input: { channels: 3, height: 512, width: 512 },
    net: network('w1-seed', 3, [conv2d(0, 3, 32, 3, r, { padding: 1 }), relu(1), maxpool2d(2, 2), conv2d(3, 32, 64, 3, r, { padding: 1 }), relu(4), maxpool2d(5, 2)]),
  };
}

/** W2 VGG16 `features` (13 conv3x3 + relu, 5 maxpool) on 3x224x224. */
export function w2() {
  const r = rng(2);
  const cfg = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'];
  const layers = [];
  let c = 3;
  for (const v of cfg) {
    if (v === 'M') layers.push(maxpool2d(layers.length, 2));
    else {
      layers.push(conv2d(layers.length, c, v, 3, r, { padding: 1 }));
      layers.push(relu(layers.length));
      c = v;
    }
  }
  return { id: 'W2', title: 'VGG16 features', input: { channels: 3, height: 224, width: 224 }, net: network('w2-vgg16-features', 3, layers) };
}

/** W3 edge bank on 1x2048x2048: conv 1->8 k5 p2, relu, avgpool 4. */
export function w3() {
  const r = rng(3);
  return {
    id: 'W3', title: 'edge bank', input: { channels: 1, height: 2048, width: 2048 },
    net: network('w3-edge-bank', 1, [conv2d(0, 1, 8, 5, r, { padding: 2 }), relu(1), avgpool2d(2, 4)]),
  };
}

/** All three workloads, in order. */
export function workloads() {
  return [w1(), w2(), w3()];
}

/** A deterministic input image in [0, 1) for a workload. */
export function inputFor(w, seed = 7) {
  const r = rng(seed);
  const { channels, height, width } = w.input;
  const data = new Float32Array(channels * height * width);
  for (let i = 0; i < data.length; i++) data[i] = r();
  return { channels, height, width, data };
}

/** Multiply-adds of the conv layers as direct convolutions (the effective-GFLOP/s numerator is 2x this). */
export function convMacs(w) {
  return layerMacs(w).reduce((a, b) => a + b, 0);
}

/** Multiply-adds of each layer as a direct convolution (0 for layers that are not convs), by layer index. */
export function layerMacs(w) {
  let { channels: c, height: h, width: wd } = w.input;
  const macs = [];
  for (const l of w.net.layers) {
    macs.push(0);
    if (l.type === 'conv2d') {
      const oh = Math.floor((h + l.padding.top + l.padding.bottom - l.dilation[0] * (l.kernelSize[0] - 1) - 1) / l.stride[0]) + 1;
      const ow = Math.floor((wd + l.padding.left + l.padding.right - l.dilation[1] * (l.kernelSize[1] - 1) - 1) / l.stride[1]) + 1;
      macs[macs.length - 1] = l.outChannels * oh * ow * (l.inChannels / l.groups) * l.kernelSize[0] * l.kernelSize[1];
      c = l.outChannels; h = oh; wd = ow;
    } else if (l.type === 'maxpool2d' || l.type === 'avgpool2d') {
      h = Math.floor((h - l.kernelSize[0]) / l.stride[0]) + 1;
      wd = Math.floor((wd - l.kernelSize[1]) / l.stride[1]) + 1;
    }
  }
  return macs;
}
