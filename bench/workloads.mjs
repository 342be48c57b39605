// The benchmark workloads as cnnx Network objects with deterministic random weights: W1 (seed net), W2 (VGG16 features), W3 (edge bank),
// W4 (ResNet-50 conv1..layer4) and W5 (MobileNetV2 features).
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
  type: 'maxpool2d', index, kernelSize: [k, k], stride: opts.stride ? [opts.stride, opts.stride] : [k, k], padding: [opts.padding ?? 0, opts.padding ?? 0], dilation: [1, 1], ceilMode: false,
});

/** An inference batchnorm with random statistics (as a trained network has), so folding it is real work. */
export function batchnorm2d(index, channels, random) {
  const values = (lo, hi) => Float32Array.from({ length: channels }, () => lo + random() * (hi - lo));
  return { type: 'batchnorm2d', index, channels, weight: values(0.5, 1.5), bias: values(-0.1, 0.1), runningMean: values(-0.1, 0.1), runningVar: values(0.5, 1.5), eps: 1e-5 };
}
export const avgpool2d = (index, k) => ({
  type: 'avgpool2d', index, kernelSize: [k, k], stride: [k, k], padding: [0, 0], ceilMode: false, countIncludePad: true, divisorOverride: null,
});

const { stackNetwork } = await import(new URL('../dist/network/tree.js', import.meta.url).href);
const { inferShapes } = await import(new URL('../dist/network/shapes.js', import.meta.url).href);

/** A network built node by node: add(layer, inputs) returns the node's index (-1 is the network input). */
class Graph {
  constructor(name, channels) {
    this.name = name;
    this.channels = channels;
    this.layers = [];
  }

  add(layer, inputs) {
    const index = this.layers.length;
    this.layers.push({ ...layer, index, path: `layers[${index}]`, inputs });
    return index;
  }

  network() {
    return { name: this.name, file: '<bench>', hash: '', input: { channels: this.channels, mean: null, std: null, resize: null }, layers: this.layers, groups: [], names: new Map() };
  }
}

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

/** W4 ResNet-50 backbone (conv1 .. layer4, torchvision's v1.5 bottlenecks: the stride on the 3x3) on 3x224x224. */
export function w4() {
  const r = rng(4);
  const g = new Graph('w4-resnet50', 3);
  const convBn = (x, cin, cout, k, stride, act = true) => {
    const c = g.add(conv2d(0, cin, cout, k, r, { stride, padding: Math.floor(k / 2), bias: false }), [x]);
    const b = g.add(batchnorm2d(0, cout, r), [c]);
    return act ? g.add(relu(0), [b]) : b;
  };
  let x = convBn(-1, 3, 64, 7, 2);
  x = g.add(maxpool2d(0, 3, { stride: 2, padding: 1 }), [x]);
  let c = 64;
  for (const [width, blocks, stride] of [[64, 3, 1], [128, 4, 2], [256, 6, 2], [512, 3, 2]]) {
    for (let b = 0; b < blocks; b++) {
      const s = b === 0 ? stride : 1;
      const out = width * 4;
      const body = convBn(convBn(convBn(x, c, width, 1, 1), width, width, 3, s), width, out, 1, 1, false);
      const shortcut = b === 0 ? convBn(x, c, out, 1, s, false) : x;
      x = g.add(relu(0), [g.add({ type: 'add' }, [body, shortcut])]);
      c = out;
    }
  }
  return { id: 'W4', title: 'ResNet-50 backbone', input: { channels: 3, height: 224, width: 224 }, net: g.network() };
}

/** W5 MobileNetV2 `features` (inverted residuals with relu6, depthwise 3x3) on 3x224x224. */
export function w5() {
  const r = rng(5);
  const g = new Graph('w5-mobilenet-v2-features', 3);
  const convBn = (x, cin, cout, k, stride, groups, act) => {
    const c = g.add(conv2d(0, cin, cout, k, r, { stride, padding: Math.floor(k / 2), groups, bias: false }), [x]);
    const b = g.add(batchnorm2d(0, cout, r), [c]);
    return act ? g.add({ type: 'relu6' }, [b]) : b;
  };
  let x = convBn(-1, 3, 32, 3, 2, 1, true);
  let c = 32;
  for (const [t, out, n, stride] of [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]) {
    for (let i = 0; i < n; i++) {
      const s = i === 0 ? stride : 1;
      const hidden = c * t;
      let y = t === 1 ? x : convBn(x, c, hidden, 1, 1, 1, true);
      y = convBn(y, hidden, hidden, 3, s, hidden, true);
      y = convBn(y, hidden, out, 1, 1, 1, false);
      x = s === 1 && c === out ? g.add({ type: 'add' }, [y, x]) : y;
      c = out;
    }
  }
  convBn(x, c, 1280, 1, 1, 1, true);
  return { id: 'W5', title: 'MobileNetV2 features', input: { channels: 3, height: 224, width: 224 }, net: g.network() };
}

/** The workloads' builders by id (VGG's weights take a moment: build only what runs). */
const BUILDERS = { W1: w1, W2: w2, W3: w3, W4: w4, W5: w5 };

/** The workloads whose ids `ids` lists, in order (other ids ignored), built only these. */
export function workloadsOf(ids) {
  return Object.entries(BUILDERS).filter(([id]) => ids.includes(id)).map(([, build]) => build());
}

/** Throws on an id that names no workload. */
export function checkWorkloadId(id) {
  if (!BUILDERS[id]) throw new Error(`unknown workload ${id}; known: ${Object.keys(BUILDERS).join(', ')}`);
}

/** Builds workload `id` (W1 .. W5). */
export function workloadById(id) {
  checkWorkloadId(id);
  return BUILDERS[id]();
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
  const shapes = inferShapes(w.net, w.input, w.id);
  const macs = [];
  for (const l of w.net.layers) {
    const o = shapes[l.index];
    macs.push(l.type === 'conv2d' ? o.channels * o.height * o.width * (l.inChannels / l.groups) * l.kernelSize[0] * l.kernelSize[1] : 0);
  }
  return macs;
}
