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

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(join(here, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

/**
 * Each contender: `version()`, and `prepare(ctx)` with ctx = { net, input (cnnx Tensor, CHW),
 * threads, onnx() (async: the model bytes, made only when asked) } returning { run(), output(), close(), note }.
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
  return {
    note: kind === 'fast' ? `${ctx.threads} worker threads` : 'naive loops, 1 thread (the oracle)',
    async run() {
      result = (await runNetwork(engine, ctx.net, ctx.input, [{ label: 'output', node: last }], 'bench input'))[0].tensor.data;
    },
    // Copied: the fast engine may hand out a view of its arena, reused by the next run.
    output: () => result.slice(),
    close: () => engine.close(),
  };
}

/** An ORT session's run: the input tensor wraps our array (no copy on the JS side), the output is read back. */
function ortRunner(ort, session, input) {
  const feed = { input: new ort.Tensor('float32', input.data, [1, input.channels, input.height, input.width]) };
  let result = null;
  return {
    async run() {
      const outputs = await session.run(feed);
      result = outputs.output.data;
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
  return { note: `native CPU (MLAS), intraOpNumThreads ${ctx.threads}`, ...ortRunner(ort, session, ctx.input) };
}

async function prepareOrtWeb(ctx) {
  const ort = await import('onnxruntime-web');
  // Must be set before the first session: the wasm module and its thread pool start once.
  ort.env.wasm.numThreads = ctx.threads;
  ort.env.wasm.simd = true;
  ort.env.wasm.proxy = false;
  const session = await ort.InferenceSession.create(await ctx.onnx(), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  return { note: `wasm SIMD, numThreads ${ctx.threads}`, ...ortRunner(ort, session, ctx.input) };
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

/** PyTorch [out, in, kh, kw] -> TF [kh, kw, in, out]. */
function toHwio(layer) {
  const [kh, kw] = layer.kernelSize;
  const cin = layer.inChannels;
  const cout = layer.outChannels;
  const out = new Float32Array(layer.weight.length);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < cin; i++)
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[((y * kw + x) * cin + i) * cout + o] = layer.weight[((o * cin + i) * kh + y) * kw + x];
  return out;
}

function tfjsUnsupported(layer, what) {
  return new Error(`tfjs peer: layers[${layer.index}] (${layer.type}) uses ${what}, which this adapter does not translate`);
}

/** One TF.js op (or fused conv+relu) per layer; returns a function tensor -> tensor. */
function tfjsPlan(tf, net) {
  const steps = [];
  const layers = net.layers;
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    if (l.type === 'conv2d') {
      if (l.groups !== 1 || l.paddingMode !== 'zeros') throw tfjsUnsupported(l, 'groups or a padding mode');
      const [kh, kw] = l.kernelSize;
      const filter = tf.tensor4d(toHwio(l), [kh, kw, l.inChannels, l.outChannels]);
      const bias = l.bias ? tf.tensor1d(l.bias) : undefined;
      const p = l.padding;
      const pad = [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]];
      // Fuse a following ReLU, as a TF.js user would (XNNPACK applies it in the conv's output loop).
      const activation = layers[i + 1]?.type === 'relu' ? 'relu' : 'linear';
      if (activation === 'relu') i++;
      steps.push((x) => tf.fused.conv2d({ x, filter, strides: l.stride, pad, dataFormat: 'NHWC', dilations: l.dilation, bias, activation }));
    } else if (l.type === 'relu') {
      steps.push((x) => tf.relu(x));
    } else if (l.type === 'leaky_relu') {
      steps.push((x) => tf.leakyRelu(x, l.negativeSlope));
    } else if (l.type === 'maxpool2d' || l.type === 'avgpool2d') {
      if (l.ceilMode || l.padding[0] || l.padding[1] || (l.dilation && (l.dilation[0] !== 1 || l.dilation[1] !== 1))) throw tfjsUnsupported(l, 'padding, dilation or ceil_mode');
      const op = l.type === 'maxpool2d' ? tf.maxPool : tf.avgPool;
      steps.push((x) => op(x, l.kernelSize, l.stride, 'valid'));
    } else {
      throw tfjsUnsupported(l, l.type);
    }
  }
  return (x) => steps.reduce((t, step) => step(t), x);
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
