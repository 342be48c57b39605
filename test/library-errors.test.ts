// Errors thrown by library code name library options (`options.maxMemory`), never CLI flags; code and exit code come from the catalogue.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { createReferenceEngine } from '../src/engine/reference.js';
import { tensor } from '../src/engine/tensor.js';
import { CnnxError, EXIT, type ErrorCode } from '../src/errors.js';
import { exportOnnx } from '../src/export/onnx.js';
import { formatSummary, summarize } from '../src/inspect/summary.js';
import { layerReportHtml } from '../src/batch/html-report.js';
import { whereQuery } from '../src/inspect/where-query.js';
import { readInput } from '../src/io/image.js';
import { encodeNpy, npyHeader, parseNpy, readNpyFile } from '../src/io/npy.js';
import { encodeSafetensors, parseSafetensors, readSafetensorsFile } from '../src/io/safetensors.js';
import { loadNetwork, parseNetwork } from '../src/network/load.js';
import { inferShapes } from '../src/network/shapes.js';
import { layerLabel, layerPlace, runNetwork, selectedNodes, selectLayers } from '../src/network/run.js';
import type { Network } from '../src/network/types.js';
import { parseColormap } from '../src/render/colormap.js';
import { renderGrid } from '../src/render/grid.js';
import { renderOverlay } from '../src/render/overlay.js';
import { planBands, shouldStream } from '../src/stream/band-plan.js';
import { parseMemorySize } from '../src/stream/memory-size.js';
import { applyStreamed } from '../src/stream/stream-network.js';
import { splitStages } from '../src/stream/stages.js';
import { compareArrays, formatComparison } from '../src/verify/compare.js';
import { resolveFilter } from '../src/filters/library.js';
import { errorOf, FAST, ROOT, tempDir } from './helpers.js';

const SEED = path.join(ROOT, 'examples', 'seed-convnet.json');

async function expectError(fn: () => unknown, code: ErrorCode, exit: number, message: string): Promise<void> {
  const error = await errorOf(fn);
  expect(error).toBeInstanceOf(CnnxError);
  expect((error as CnnxError).code).toBe(code);
  expect((error as CnnxError).exitCode).toBe(exit);
  expect((error as CnnxError).message).toBe(message);
  expect((error as CnnxError).message).not.toMatch(/(^|\s)--?[a-z]/);
}

describe('export', () => {
  test('options.opset and options.size', async () => {
    const net = await loadNetwork(SEED);
    await expectError(() => exportOnnx(net, { opset: 5 }), 'export.opset', EXIT.usage, 'options.opset: expected an integer from 11 to 22, got 5');
    await expectError(() => exportOnnx(net, { size: [0, 5] }), 'export.size', EXIT.usage, 'options.size: expected two positive integers [height, width], got 0x5');
    await expectError(() => exportOnnx(net, { layers: 5 as unknown as string[] }), 'usage.argument', EXIT.usage, 'exportOnnx: options.layers: expected an array of layer names, got 5');
    const circular: Network = { ...net, layers: net.layers.map((l) => (l.type === 'conv2d' ? { ...l, paddingMode: 'circular' } : l)) };
    await expectError(() => exportOnnx(circular, { opset: 17 }), 'export.opset', EXIT.usage, `${SEED}: layers[0] (conv2d "conv1").padding_mode: cannot be exported to ONNX: "circular" needs ONNX Pad mode "wrap", which arrived in opset 19; options.opset is 17`);
  });
});

describe('pictures', () => {
  const t = tensor(6, 4, 4);
  test('options.scale, options.grid, options.sort, options.cmap', async () => {
    await expectError(() => renderGrid(t, { scale: 'bogus' }), 'render.scale', EXIT.usage, 'options.scale: expected channel, global, none or pLOW-pHIGH (for example p1-p99), got "bogus"');
    await expectError(() => renderGrid(t, { scale: 'p99-p1' }), 'render.scale', EXIT.usage, 'options.scale: percentiles must satisfy 0 <= LOW < HIGH <= 100, got "p99-p1"');
    await expectError(() => renderGrid(t, { grid: { cols: 1, rows: 1 } }), 'render.grid', EXIT.usage, 'options.grid: 1x1 has 1 cell, the layer has 6 channels');
    await expectError(() => renderGrid(tensor(1, 4, 4), { grid: { cols: 0 } }), 'render.grid', EXIT.usage, 'options.grid.cols: expected a positive integer, got 0');
    await expectError(() => renderGrid(t, { sort: 'loud' as 'index' }), 'render.sort', EXIT.usage, 'options.sort: expected index or energy, got "loud"');
    await expectError(() => parseColormap('jet'), 'render.cmap', EXIT.usage, 'options.cmap: expected one of gray, viridis, magma, diverging, got "jet"');
    await expectError(() => renderGrid(t, { title: 5 as unknown as string }), 'usage.argument', EXIT.usage, 'options.title: expected a title (a string), got 5');
    await expectError(() => renderGrid(t, { minTile: 0 }), 'render.grid', EXIT.usage, 'options.minTile: expected a positive integer, got 0');
    await expectError(() => renderGrid(t, { maxSide: 1.5 }), 'render.grid', EXIT.usage, 'options.maxSide: expected a positive integer, got 1.5');
  });
});

describe('network, inspect and where', () => {
  test('an unknown layer name names the spec, not a flag', async () => {
    const net = await loadNetwork(SEED);
    await expectError(() => selectLayers(net, ['conv3']), 'usage.layer', EXIT.usage, `${SEED} has no layer named "conv3" (did you mean "conv1"?); names: conv1, relu1, pool1, conv2, relu2, pool2`);
  });

  test('an input size too small for the network, and a pixel outside the map', async () => {
    const net = await loadNetwork(SEED);
    await expectError(() => summarize(net, { channels: 3, height: 3, width: 3 }), 'input.too_small', EXIT.inputFailed, `input size 3x3: ${SEED}: layers[5] (maxpool2d "pool2"): the 2x2 window does not fit the input 1x1 (input 3x3x3)`);
    const input = { channels: 3, height: 32, width: 32 };
    await expectError(() => whereQuery(net, input, 3, { pixel: [16, 0] }), 'usage.pixel', EXIT.usage, 'options.pixel 16,0 is outside the layers[3] (conv2d "conv2") output 64x16x16 (rows 0..15, cols 0..15)');
    await expectError(() => whereQuery(net, input, 3, { inputPixel: [0, 32] }), 'usage.pixel', EXIT.usage, 'options.inputPixel 0,32 is outside the input 3x32x32 (rows 0..31, cols 0..31)');
  });
});

describe('huge images and decoding', () => {
  test('options.bandRows, a streamed output to stdout, options.maxMemory', async () => {
    const net = await loadNetwork(SEED);
    const engine = createReferenceEngine();
    await expectError(() => applyStreamed(engine, net, 'x.png', 'x.png', [5], 'out.npy', { bandRows: 0 }), 'usage.band_rows', EXIT.usage, 'options.bandRows: expected an integer >= 1, got 0');
    await expectError(() => applyStreamed(engine, net, 'x.png', 'x.png', [5], '-'), 'usage.output', EXIT.usage, 'x.png: streamed (huge image) runs write .npy files, not stdout ("-"); give a .npy file name');
    const pooled: Network = { ...net, layers: [...net.layers, { type: 'adaptive_avgpool2d', index: 6, path: 'layers[6]', inputs: [5], outputSize: [7, 7] }] };
    const huge = { channels: 3, height: 40000, width: 40000 };
    const error = await errorOf(() => planBands(splitStages(pooled, huge, 6), huge, 2 ** 30, 100 * 2 ** 20, 'huge.png', FAST));
    expect(error).toMatchObject({ code: 'input.memory', exitCode: EXIT.inputFailed });
    expect((error as Error).message).toMatch(/^huge\.png: a global pool \(adaptive pooling, gem\) needs its whole input map in memory: about [\d.]+ GiB is needed, options\.maxMemory is 1 GiB$/);
  });

  test('parseMemorySize names what it parses', async () => {
    await expectError(() => parseMemorySize('lots'), 'usage.memory', EXIT.usage, 'memory size "lots": expected a size such as 512M, 2G or 1.5G (units K, M, G, T)');
    await expectError(() => parseMemorySize('64M', 'budget'), 'usage.memory', EXIT.usage, 'budget 64M: at least 128 MiB is needed (Node, sharp and the engine alone use about 100M)');
  });

  test('options.maxPixels', async () => {
    const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#808080' } }).png().toBuffer();
    const error = await errorOf(() => readInput(png, 'big.png', { channels: 3, mean: null, std: null, resize: null }, { maxPixels: 1000 }));
    expect(error).toMatchObject({ code: 'input.decode', exitCode: EXIT.inputFailed });
    expect((error as Error).message).toMatch(/^big\.png: image is larger than the pixel limit \(options\.maxPixels\): /);
  });
});

describe('counted nouns agree with their number', () => {
  test('1 channel, 1 element, 1 byte, 1 number', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'net.json');
    writeFileSync(file, JSON.stringify({ input: { channels: 1 }, layers: [{ type: 'conv2d', in_channels: 2, out_channels: 1, kernel_size: 1, weight: { random: { seed: 0 } } }] }));
    await expectError(() => loadNetwork(file), 'spec.shape', EXIT.usage, `${file}: layers[0] (conv2d).in_channels: is 2, but the layer receives 1 channel`);
    writeFileSync(file, JSON.stringify({ input: { channels: 1 }, layers: [{ type: 'conv2d', out_channels: 2, kernel_size: 1, weight: [[[[1]]], [[[1, 2]]]] }] }));
    await expectError(() => loadNetwork(file), 'spec.shape', EXIT.usage, `${file}: layers[0] (conv2d).weight: [1][0][0]: ragged array: expected 1 element at depth 3, got [1,2]`);
    await expectError(() => parseSafetensors(Uint8Array.of(0), 'w.safetensors'), 'safetensors.corrupt', EXIT.usage, 'w.safetensors: not a valid safetensors file: the file is only 1 byte, too short for the 8-byte header length');
    const npy = encodeNpy([1, 2, 2], new Float32Array(4));
    await expectError(() => readInput(npy, 'x.npy', { channels: 3, mean: null, std: null, resize: null }), 'input.shape', EXIT.inputFailed, "x.npy: has 1 channel, the network's input.channels is 3");
    const one = compareArrays({ shape: [1], data: Float32Array.of(1) }, { shape: [1], data: Float32Array.of(1) });
    expect(formatComparison(one).slice(-2)).toEqual(['over tolerance: 0 of 1 element', 'PASS']);
  });
});

describe('arguments of the wrong type or size are usage.argument, never a TypeError or RangeError', () => {
  const argument = (fn: () => unknown, message: string) => expectError(fn, 'usage.argument', EXIT.usage, message);

  test('tensor(): sizes that are not integers >= 0, data that is not a Float32Array of their product', async () => {
    await argument(() => tensor(3, 2, 2, new Float32Array(5)), 'tensor: data has 5 elements, the shape 3x2x2 needs 12');
    await argument(() => tensor(-1, 2, 2), 'tensor: channels: expected an integer >= 0, got -1');
    await argument(() => tensor(1, NaN, 2), 'tensor: height: expected an integer >= 0, got NaN');
    await argument(() => tensor(1, 2, 1.5), 'tensor: width: expected an integer >= 0, got 1.5');
    await argument(() => tensor(null as unknown as number, 1, 1), 'tensor: channels: expected an integer >= 0, got null');
    await argument(() => tensor(1, 1, 2, new Float64Array(2) as unknown as Float32Array), 'tensor: data: expected a Float32Array, got a Float64Array');
    await argument(() => tensor(1, 1, 1, [1] as unknown as Float32Array), 'tensor: data: expected a Float32Array, got [1]');
    expect(tensor(0, 2, 2).data.length).toBe(0);
  });

  test('runNetwork(): null or something else where an engine, a network, a selection or a name is needed', async () => {
    const net = await loadNetwork(SEED);
    const engine = createReferenceEngine();
    const input = tensor(3, 8, 8);
    const selection = selectLayers(net, ['conv1']);
    const never = null as never;
    await argument(() => runNetwork(never, net, input, selection, 'x'), 'runNetwork: engine: expected an engine from createEngine(), got null');
    await argument(() => runNetwork({} as never, net, input, selection, 'x'), 'runNetwork: engine: expected an engine from createEngine(), got an object');
    await argument(() => runNetwork(engine, never, input, selection, 'x'), 'runNetwork: net: expected a network from loadNetwork() or parseNetwork(), got null');
    await argument(() => runNetwork(engine, undefined as never, input, selection, 'x'), 'runNetwork: net: expected a network from loadNetwork() or parseNetwork(), got nothing');
    await argument(() => runNetwork(engine, net, input, never, 'x'), 'runNetwork: selection: expected an array of layer selections from selectLayers(), got null');
    await argument(() => runNetwork(engine, net, input, undefined as never, 'x'), 'runNetwork: selection: expected an array of layer selections from selectLayers(), got nothing');
    await argument(() => runNetwork(engine, net, input, [selection[0], never], 'x'), 'runNetwork: selection[1]: expected a layer selection { label, node } from selectLayers(), got null');
    await argument(() => runNetwork(engine, net, input, selection, never), 'runNetwork: inputName: expected a name for messages (a string), got null');
  });

  test('applyStreamed(): null or something else where an engine, a network, layers, outputs or options are needed', async () => {
    const net = await loadNetwork(SEED);
    const engine = createReferenceEngine();
    const never = null as never;
    const stream = (layers: readonly number[], outputs: string | readonly string[] = 'o.npy', options?: object) => () => applyStreamed(engine, net, 'x.png', 'x.png', layers, outputs, options);
    await argument(() => applyStreamed(never, net, 'x.png', 'x.png', [0], 'o.npy'), 'applyStreamed: engine: expected an engine from createEngine(), got null');
    await argument(() => applyStreamed(engine, never, 'x.png', 'x.png', [0], 'o.npy'), 'applyStreamed: net: expected a network from loadNetwork() or parseNetwork(), got null');
    await argument(() => applyStreamed(engine, net, never, 'x.png', [0], 'o.npy'), 'applyStreamed: source: expected an image file path (a string), got null');
    await argument(stream(never), 'applyStreamed: layers: expected a non-empty array of node indices (LayerSelection.node), got null');
    await argument(stream([]), 'applyStreamed: layers: expected a non-empty array of node indices (LayerSelection.node), got []');
    await argument(stream([6]), 'applyStreamed: layers[0]: expected a node index from 0 to 5, got 6');
    await argument(stream([0, 1.5]), 'applyStreamed: layers[1]: expected a node index from 0 to 5, got 1.5');
    await argument(stream([0, 1]), 'applyStreamed: outputs: 1 file for 2 layers; give one .npy file per layer');
    await argument(stream([0], never), 'applyStreamed: outputs: expected a .npy file name or an array of them, got null');
    await argument(stream([0], [never]), 'applyStreamed: outputs[0]: expected a .npy file name, got null');
    await argument(stream([0], 'o.npy', never), 'applyStreamed: options: expected an options object, got null');
    await expectError(stream([0], 'o.npy', { maxMemory: NaN }), 'usage.memory', EXIT.usage, 'options.maxMemory: expected a number of bytes > 0, got NaN');
    await expectError(stream([0], 'o.npy', { maxMemory: -1 }), 'usage.memory', EXIT.usage, 'options.maxMemory: expected a number of bytes > 0, got -1');
    await argument(stream([0], 'o.npy', { tempDir: 5 }), 'options.tempDir: expected a folder path (a string), got 5');
    await argument(stream([0], 'o.npy', { onProgress: 'log' }), 'options.onProgress: expected a function, got "log"');
  });

  test('file readers: a path that is not a string, an origin, a source, a spec or options of the wrong type, options.maxPixels', async () => {
    const never = null as never;
    await argument(() => loadNetwork(never), 'loadNetwork: file: expected a spec file path (a string), got null');
    await argument(() => loadNetwork(5 as never), 'loadNetwork: file: expected a spec file path (a string), got 5');
    const raw = { input: { channels: 1 }, layers: [{ type: 'relu' }] };
    await argument(() => parseNetwork(raw, never), 'parseNetwork: origin: expected a spec origin { file, dir, hash }, got null');
    await argument(() => parseNetwork(raw, { file: 'net.json' } as never), 'parseNetwork: origin.dir: expected the folder of relative tensor paths (a string), got nothing');
    await argument(() => parseNetwork(raw, { file: 'net.json', dir: '.' } as never), 'parseNetwork: origin.hash: expected a hash of the spec (a string), got nothing');
    await argument(() => readNpyFile(undefined as never), 'readNpyFile: path: expected a .npy file path (a string), got nothing');
    await argument(() => readSafetensorsFile(never), 'readSafetensorsFile: path: expected a safetensors file path (a string), got null');
    const spec = { channels: 3, mean: null, std: null, resize: null };
    const png = await sharp({ create: { width: 4, height: 3, channels: 3, background: '#808080' } }).png().toBuffer();
    await argument(() => readInput(never, 'x.png', spec), 'readInput: source: expected a file path or the bytes of a file (a Uint8Array), got null');
    await argument(() => readInput(png, never, spec), 'readInput: name: expected a name for messages (a string), got null');
    await argument(() => readInput(png, 'x.png', never), "readInput: spec: expected an input spec (a network's input), got null");
    await argument(() => readInput(png, 'x.png', spec, never), 'readInput: options: expected an options object, got null');
    await argument(() => readInput(png, 'x.png', spec, { maxPixels: -1 }), 'options.maxPixels: expected an integer >= 1, got -1');
    await argument(() => readInput(encodeNpy([3, 1, 1], new Float32Array(3)), 'x.npy', spec, { maxPixels: 0.5 }), 'options.maxPixels: expected an integer >= 1, got 0.5');
    const net = await loadNetwork(SEED);
    await argument(() => applyStreamed(createReferenceEngine(), net, 'x.png', 'x.png', [0], 'o.npy', { maxPixels: NaN }), 'options.maxPixels: expected an integer >= 1, got NaN');
  });

  test('.npy and safetensors: bytes that are not a Uint8Array; shapes, data and names that do not fit', async () => {
    const never = null as never;
    await argument(() => parseNpy(never, 'x.npy'), 'parseNpy: bytes: expected the bytes of a .npy file (a Uint8Array), got null');
    await argument(() => parseSafetensors([1, 2] as never, 'w.safetensors'), 'parseSafetensors: bytes: expected the bytes of a safetensors file (a Uint8Array), got [1,2]');
    await argument(() => encodeNpy([2, 3], new Float32Array(5)), 'encodeNpy: data has 5 elements, the shape (2, 3) needs 6');
    await argument(() => encodeNpy([1], new Float64Array(1) as never), 'encodeNpy: data: expected a Float32Array, got a Float64Array');
    await argument(() => encodeNpy(never, new Float32Array(1)), 'encodeNpy: shape: expected an array of sizes (integers >= 0), got null');
    await argument(() => npyHeader([2, NaN]), 'npyHeader: shape[1]: expected an integer >= 0, got NaN');
    const one = Float32Array.of(1);
    await argument(() => encodeSafetensors(never), 'encodeSafetensors: tensors: expected an array of tensors { name, shape, data }, got null');
    await argument(() => encodeSafetensors([never]), 'encodeSafetensors: tensors[0]: expected a tensor { name, shape, data }, got null');
    await argument(() => encodeSafetensors([{ name: 5 as never, shape: [1], data: one }]), 'encodeSafetensors: tensors[0].name: expected a tensor name (a string), got 5');
    await argument(() => encodeSafetensors([{ name: 'w', shape: [-1], data: one }]), 'encodeSafetensors: tensors[0].shape[0]: expected an integer >= 0, got -1');
    await argument(() => encodeSafetensors([{ name: 'w', shape: [3], data: one }]), 'encodeSafetensors: tensors[0].data has 1 element, the shape [3] needs 3');
    await argument(() => encodeSafetensors([{ name: 'w', shape: [1], data: one }], { n: 5 as never }), 'encodeSafetensors: metadata["n"]: expected a string, got 5');
  });

  test('functions of a network: a null network, names, shapes with sizes that are not positive integers, options', async () => {
    const net = await loadNetwork(SEED);
    const never = null as never;
    const shape = { channels: 3, height: 32, width: 32 };
    const network = 'expected a network from loadNetwork() or parseNetwork(), got null';
    await argument(() => selectLayers(never, ['conv1']), `selectLayers: net: ${network}`);
    await argument(() => inferShapes(never, shape, 'x'), `inferShapes: net: ${network}`);
    await argument(() => summarize(never, shape), `summarize: net: ${network}`);
    await argument(() => shouldStream(never, shape, 2 ** 30), `shouldStream: net: ${network}`);
    await argument(() => exportOnnx(never), `exportOnnx: net: ${network}`);
    await argument(() => selectLayers(net, never), 'selectLayers: names: expected an array of layer names, got null');
    await argument(() => selectLayers(net, 'conv1' as never), 'selectLayers: names: expected an array of layer names, got "conv1"');
    await argument(() => selectLayers(net, [5 as never]), 'selectLayers: names[0]: expected a layer name (a string), got 5');
    await argument(() => inferShapes(net, never, 'x'), 'inferShapes: input: expected a shape { channels, height, width }, got null');
    await argument(() => inferShapes(net, { ...shape, height: -1 }, 'x'), 'inferShapes: input.height: expected an integer >= 1, got -1');
    await argument(() => summarize(net, { ...shape, width: 32.5 }), 'summarize: input.width: expected an integer >= 1, got 32.5');
    await argument(() => summarize(net, { ...shape, height: NaN }), 'summarize: input.height: expected an integer >= 1, got NaN');
    await argument(() => shouldStream(net, { ...shape, channels: 0 }, 2 ** 30), 'shouldStream: input.channels: expected an integer >= 1, got 0');
    await argument(() => shouldStream(net, shape, 2 ** 30, [6]), 'shouldStream: outputs[0]: expected a node index from 0 to 5, got 6');
    await argument(() => shouldStream(net, shape, 2 ** 30, undefined, never), 'shouldStream: engine: expected an engine from createEngine(), got null');
    await argument(() => shouldStream(net, shape, 2 ** 30, undefined, { kind: 'fast', threads: 0 }), 'shouldStream: engine.threads: expected an integer >= 1, got 0');
    await expectError(() => shouldStream(net, shape, NaN), 'usage.memory', EXIT.usage, 'shouldStream: maxMemory: expected a number of bytes > 0, got NaN');
    await argument(() => exportOnnx(net, never), 'exportOnnx: options: expected an options object, got null');
    await expectError(() => exportOnnx(net, { size: 224 as never }), 'export.size', EXIT.usage, 'options.size: expected two positive integers [height, width], got 224');
    const input = tensor(3, 8, 8);
    await argument(() => layerReportHtml(never, input, [], { inputName: 'x' }), `layerReportHtml: net: ${network}`);
    await argument(() => layerReportHtml(net, { ...input, data: new Float32Array(3) }, [], { inputName: 'x' }), 'layerReportHtml: input.data has 3 elements, the shape 3x8x8 needs 192');
    await argument(() => layerReportHtml(net, input, never, { inputName: 'x' }), "layerReportHtml: results: expected an array of runNetwork()'s outputs, got null");
    await argument(() => layerReportHtml(net, input, [], never), 'layerReportHtml: options: expected options such as { inputName }, got null');
    await argument(() => layerReportHtml(net, input, [], {} as never), "layerReportHtml: options.inputName: expected the input's name (a string), got nothing");
  });

  test('pictures: a tensor whose data does not fit it, null pixels, alignment or options, an unknown cmap or scale', async () => {
    const never = null as never;
    const map = tensor(2, 4, 4);
    const pixels = { rgb: new Uint8Array(48), width: 4, height: 4 };
    const alignment = { jump: [1, 1], start: [0, 0] } as const;
    await argument(() => renderGrid(never), 'renderGrid: tensor: expected a tensor { channels, height, width, data }, got null');
    await argument(() => renderGrid({ ...map, data: new Float32Array(3) }), 'renderGrid: tensor.data has 3 elements, the shape 2x4x4 needs 32');
    await argument(() => renderGrid(map, never), 'renderGrid: options: expected an options object, got null');
    await expectError(() => renderGrid(map, { cmap: 'jet' as never }), 'render.cmap', EXIT.usage, 'options.cmap: expected one of gray, viridis, magma, diverging, got "jet"');
    await expectError(() => renderGrid(map, { scale: 5 as never }), 'render.scale', EXIT.usage, 'options.scale: expected channel, global, none or pLOW-pHIGH (for example p1-p99), got 5');
    await argument(() => renderOverlay(never, pixels, alignment), 'renderOverlay: map: expected a tensor { channels, height, width, data }, got null');
    await argument(() => renderOverlay(map, never, alignment), 'renderOverlay: input: expected pixels { rgb, width, height }, got null');
    await argument(() => renderOverlay(map, { ...pixels, rgb: never }, alignment), 'renderOverlay: input.rgb: expected the pixels (a Uint8Array), got null');
    await argument(() => renderOverlay(map, { ...pixels, width: -4 }, alignment), 'renderOverlay: input.width: expected an integer >= 1, got -4');
    await argument(() => renderOverlay(map, pixels, never), 'renderOverlay: alignment: expected an alignment { jump, start }, got null');
    await expectError(() => renderOverlay(map, pixels, { jump: 2 as never, start: [0, 0] }), 'render.alignment', EXIT.usage, 'overlay alignment: expected positive jump and finite start, got jump 2 start [0,0]');
    await argument(() => renderOverlay(map, pixels, alignment, never), 'renderOverlay: options: expected an options object, got null');
    await expectError(() => renderOverlay(map, pixels, alignment, { cmap: 'jet' as never }), 'render.cmap', EXIT.usage, 'options.cmap: expected one of gray, viridis, magma, diverging, got "jet"');
  });

  test('comparisons, summaries, filters and selections: null or arrays whose data does not fit their shape', async () => {
    const never = null as never;
    const a = { shape: [2], data: new Float32Array(2) };
    await argument(() => compareArrays(never, a), 'compareArrays: actual: expected an array to compare { shape, data }, got null');
    await argument(() => compareArrays(a, { shape: [3], data: new Float32Array(2) }), 'compareArrays: expected.data has 2 elements, the shape (3) needs 3');
    await argument(() => compareArrays({ shape: [2], data: never }, a), 'compareArrays: actual.data: expected an array of numbers (a Float32Array or any array), got null');
    await argument(() => compareArrays({ shape: [-2], data: [] }, a), 'compareArrays: actual.shape[0]: expected an integer >= 0, got -2');
    await argument(() => compareArrays(a, a, never), 'compareArrays: tolerance: expected a tolerance { atol, rtol }, got null');
    await argument(() => formatComparison(never), 'formatComparison: comparison: expected a comparison from compareArrays(), got null');
    await argument(() => formatComparison(compareArrays(a, a), never), 'formatComparison: names: expected names { actual, expected }, got null');
    const net = await loadNetwork(SEED);
    const summary = summarize(net, { channels: 3, height: 32, width: 32 });
    await argument(() => formatSummary(never), 'formatSummary: summary: expected a summary from summarize(), got null');
    await argument(() => formatSummary(summary, never), 'formatSummary: options: expected an options object, got null');
    await argument(() => resolveFilter(never), 'resolveFilter: spec: expected a filter name (a string), got null');
    await argument(() => selectedNodes(never), 'selectedNodes: selection: expected an array of layer selections from selectLayers(), got null');
    await argument(() => selectedNodes([never]), 'selectedNodes: selection[0]: expected a layer selection { label, node } from selectLayers(), got null');
    await argument(() => layerLabel(never), 'layerLabel: layer: expected a layer of a network (net.layers[i]), got null');
    await argument(() => layerPlace(undefined as never), 'layerPlace: layer: expected a layer of a network (net.layers[i]), got nothing');
  });
});
