// The benchmark's contenders behind one interface: prepare once (untimed), then run() = one timed inference on the same input.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** Where cnnx's built JS lives; CNNX_DIST overrides it (e.g. a build in another folder). */
export const DIST = process.env.CNNX_DIST ?? join(here, '..', '..', 'dist');

export function importDist(file) {
  return import(pathToFileURL(join(DIST, file)).href);
}

/** `net` as ONNX, by cnnx's own exporter, with the input size fixed (as cnnx plans for a known size). */
export async function exportModel(net, input) {
  const { exportOnnx } = await importDist('export/onnx.js');
  return exportOnnx(net, { size: [input.height, input.width] });
}

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(join(here, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

/**
 * Each contender: `version()`, and `prepare(ctx)` with ctx = { net, input (cnnx Tensor, CHW),
 * threads, reuse, onnx() (async: the model bytes, made only when asked) } returning { run(), output(), close(), note }.
 * With ctx.reuse, a contender whose library lets a caller hand its output memory back for the next run
 * does so, as a loop over many inputs would: cnnx through engine.recycle, onnxruntime-node through a
 * pre-allocated output tensor. onnxruntime-web leaves a pre-allocated CPU tensor unwritten (its output
 * checks fail) and TF.js has no such call (dataSync always returns a new array): both allocate.
 * run() does the whole inference including copying the input in and the output out;
 * output() gives the last result as a CHW Float32Array (untimed), for the error check.
 */
export const CONTENDERS = {
  'cnnx-fast': { label: 'cnnx fast', version: () => cnnxVersion(), prepare: (ctx) => prepareCnnx(ctx, 'fast') },
  'cnnx-reference': { label: 'cnnx reference', version: () => cnnxVersion(), prepare: (ctx) => prepareCnnx(ctx, 'reference') },
  'ort-node': { label: 'onnxruntime-node', version: () => packageVersion('onnxruntime-node'), prepare: prepareOrtNode },
  'ort-web': { label: 'onnxruntime-web', version: () => packageVersion('onnxruntime-web'), prepare: prepareOrtWeb },
  'tfjs-wasm': { label: 'tfjs wasm', version: () => packageVersion('@tensorflow/tfjs-backend-wasm'), prepare: prepareTfjs },
};

function cnnxVersion() {
  try {
    return JSON.parse(readFileSync(join(DIST, '..', 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

async function prepareCnnx(ctx, kind) {
  const { createEngine } = await importDist('engine/create.js');
  const { runNetwork } = await importDist('network/run.js');
  const engine = await createEngine({ kind, threads: ctx.threads });
  const last = ctx.net.layers.length - 1;
  let result = null;
  const reuse = ctx.reuse && engine.recycle;
  return {
    note: (kind === 'fast' ? `${ctx.threads} worker threads` : 'naive loops, 1 thread (the oracle)') + (reuse ? ', outputs recycled' : ''),
    async run() {
      if (reuse && result) engine.recycle(result);
      result = (await runNetwork(engine, ctx.net, ctx.input, [{ label: 'output', node: last }], 'bench input'))[0].tensor.data;
    },
    // Copied: the fast engine may hand out a view of its arena, reused by the next run.
    output: () => result.slice(),
    close: () => engine.close(),
  };
}

/** An ORT session's run: the input tensor wraps our array (no copy on the JS side), the output is read back. */
function ortRunner(ort, session, input, reuse) {
  const feed = { input: new ort.Tensor('float32', input.data, [1, input.channels, input.height, input.width]) };
  let result = null;
  let fetches = null;
  return {
    async run() {
      const outputs = fetches ? await session.run(feed, fetches) : await session.run(feed);
      result = outputs.output.data;
      // After the first run the output's shape is known: later runs write into that tensor.
      if (reuse && !fetches) fetches = { output: new ort.Tensor('float32', new Float32Array(result.length), outputs.output.dims) };
    },
    output: () => Float32Array.from(result),
    close: () => session.release(),
  };
}

async function prepareOrtNode(ctx) {
  const ort = require('onnxruntime-node');
  const session = await ort.InferenceSession.create(await ctx.onnx(), {
    executionProviders: ['cpu'],
    intraOpNumThreads: ctx.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  return { note: `native CPU (MLAS), intraOpNumThreads ${ctx.threads}${ctx.reuse ? ', pre-allocated output' : ''}`, ...ortRunner(ort, session, ctx.input, ctx.reuse) };
}

async function prepareOrtWeb(ctx) {
  const ort = await import('onnxruntime-web');
  // Must be set before the first session: the wasm module and its thread pool start once.
  ort.env.wasm.numThreads = ctx.threads;
  ort.env.wasm.simd = true;
  ort.env.wasm.proxy = false;
  const session = await ort.InferenceSession.create(await ctx.onnx(), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  return { note: `wasm SIMD, numThreads ${ctx.threads}`, ...ortRunner(ort, session, ctx.input, false) };
}

// ---- TensorFlow.js wasm: NHWC, so input and weights are transposed once, outside the timing ----

/** CHW -> HWC. */
function toHwc(data, c, h, w) {
  const out = new Float32Array(data.length);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) out[i * c + ch] = data[ch * h * w + i];
  return out;
}

/** HWC -> CHW. */
function toChw(data, c, h, w) {
  const out = new Float32Array(data.length);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) out[ch * h * w + i] = data[i * c + ch];
  return out;
}

/** PyTorch [out, in/groups, kh, kw] -> TF [kh, kw, in, out] (depthwise: [kh, kw, in, multiplier]), a following batchnorm folded in. */
function toHwio(layer, bn) {
  const [kh, kw] = layer.kernelSize;
  const cin = layer.inChannels / layer.groups;
  const cout = layer.outChannels;
  const scale = (o) => (bn ? bn.weight[o] / Math.sqrt(bn.runningVar[o] + bn.eps) : 1);
  const out = new Float32Array(layer.weight.length);
  const depthwise = layer.groups > 1;
  const mult = cout / layer.groups;
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < cin; i++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) {
          const v = layer.weight[((o * cin + i) * kh + y) * kw + x] * scale(o);
          // Depthwise: output channel o = group g * mult + m reads input channel g.
          const at = depthwise ? ((y * kw + x) * layer.groups + Math.floor(o / mult)) * mult + (o % mult) : ((y * kw + x) * cin + i) * cout + o;
          out[at] = v;
        }
  return out;
}

function foldedBias(layer, bn) {
  const b = new Float32Array(layer.outChannels);
  for (let o = 0; o < b.length; o++) {
    const base = layer.bias ? layer.bias[o] : 0;
    if (!bn) b[o] = base;
    else {
      const s = bn.weight[o] / Math.sqrt(bn.runningVar[o] + bn.eps);
      b[o] = (base - bn.runningMean[o]) * s + bn.bias[o];
    }
  }
  return b;
}

function tfjsUnsupported(layer, what) {
  return new Error(`tfjs peer: ${layer.path} (${layer.type}) uses ${what}, which this adapter does not translate`);
}

/**
 * The network as TF.js ops, node by node, as a TF.js user would write it: a batchnorm after a conv
 * folded into its weights, a following ReLU / ReLU6 fused into the conv (XNNPACK applies it in the
 * output loop); returns a function tensor -> tensor of the last node.
 */
function tfjsPlan(tf, net) {
  const layers = net.layers;
  const readers = layers.map(() => 0);
  for (const l of layers) for (const j of l.inputs) if (j >= 0) readers[j]++;
  const follows = (i, types) => (i + 1 < layers.length && types.includes(layers[i + 1].type) && layers[i + 1].inputs[0] === i && readers[i] === 1 ? layers[i + 1] : null);
  const steps = [];
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    const first = i;
    if (l.type === 'conv2d') {
      if (l.paddingMode !== 'zeros') throw tfjsUnsupported(l, 'a padding mode');
      const depthwise = l.groups > 1;
      if (depthwise && l.groups !== l.inChannels) throw tfjsUnsupported(l, 'groups');
      const bn = follows(i, ['batchnorm2d']);
      if (bn) i++;
      const actLayer = follows(i, ['relu', 'relu6']);
      if (actLayer) i++;
      const [kh, kw] = l.kernelSize;
      const filter = tf.tensor4d(toHwio(l, bn), depthwise ? [kh, kw, l.groups, l.outChannels / l.groups] : [kh, kw, l.inChannels, l.outChannels]);
      const bias = l.bias || bn ? tf.tensor1d(foldedBias(l, bn)) : undefined;
      const p = l.padding;
      const pad = [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]];
      const activation = actLayer ? actLayer.type : 'linear';
      const op = depthwise ? tf.fused.depthwiseConv2d : tf.fused.conv2d;
      steps.push({ node: i, inputs: [l.inputs[0]], run: ([x]) => op({ x, filter, strides: l.stride, pad, dataFormat: 'NHWC', dilations: l.dilation, bias, activation }) });
    } else if (l.type === 'relu' || l.type === 'relu6') {
      steps.push({ node: i, inputs: l.inputs, run: ([x]) => (l.type === 'relu' ? tf.relu(x) : tf.relu6(x)) });
    } else if (l.type === 'leaky_relu') {
      steps.push({ node: i, inputs: l.inputs, run: ([x]) => tf.leakyRelu(x, l.negativeSlope) });
    } else if (l.type === 'batchnorm2d') {
      const [mean, variance, offset, scale] = [l.runningMean, l.runningVar, l.bias, l.weight].map((v) => tf.tensor1d(v));
      steps.push({ node: i, inputs: l.inputs, run: ([x]) => tf.batchNorm(x, mean, variance, offset, scale, l.eps) });
    } else if (l.type === 'add') {
      steps.push({ node: i, inputs: l.inputs, run: (xs) => (xs.length === 2 ? tf.add(xs[0], xs[1]) : tf.addN(xs)) });
    } else if (l.type === 'concat') {
      steps.push({ node: i, inputs: l.inputs, run: (xs) => tf.concat(xs, 3) });
    } else if (l.type === 'maxpool2d' || l.type === 'avgpool2d') {
      if (l.ceilMode || (l.dilation && (l.dilation[0] !== 1 || l.dilation[1] !== 1))) throw tfjsUnsupported(l, 'dilation or ceil_mode');
      const [ph, pw] = l.padding;
      if ((ph || pw) && l.type === 'avgpool2d') throw tfjsUnsupported(l, 'padding');
      const op = l.type === 'maxpool2d' ? tf.maxPool : tf.avgPool;
      // PyTorch's max-pool padding never wins: pad with the lowest float, then pool the valid windows.
      steps.push({ node: i, inputs: l.inputs, run: ([x]) => op(ph || pw ? tf.pad(x, [[0, 0], [ph, ph], [pw, pw], [0, 0]], -3.4e38) : x, l.kernelSize, l.stride, 'valid') });
    } else {
      throw tfjsUnsupported(l, l.type);
    }
    if (i !== first) steps[steps.length - 1].node = i;
  }
  return (x) => {
    const values = new Map([[-1, x]]);
    for (const step of steps) values.set(step.node, step.run(step.inputs.map((j) => values.get(j))));
    return values.get(layers.length - 1);
  };
}

async function prepareTfjs(ctx) {
  const tf = await import('@tensorflow/tfjs-core');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // Asked for, but the wasm backend's pthreads need browser Workers: under Node it runs on one thread.
  wasm.setThreadsCount?.(ctx.threads);
  await tf.setBackend('wasm');
  await tf.ready();
  const forward = tfjsPlan(tf, ctx.net);
  const { channels: c, height: h, width: w } = ctx.input;
  const nhwc = toHwc(ctx.input.data, c, h, w);
  let result = null;
  let outShape = null;
  const threads = wasm.getThreadsCount?.() ?? 1;
  return {
    note: `XNNPACK, NHWC, ${threads} thread${threads === 1 ? ' (wasm threads do not start under Node)' : 's'}`,
    async run() {
      const y = tf.tidy(() => forward(tf.tensor4d(nhwc, [1, h, w, c])));
      result = y.dataSync();
      outShape = y.shape;
      y.dispose();
    },
    output: () => toChw(result, outShape[3], outShape[1], outShape[2]),
    close: async () => {},
  };
}
