// Runs a loaded network on one input: layer selection by name, shape check, engine run, the selected outputs. The library's main entry.
import { checkEngine, checkLayerNames, checkNetwork, checkSelection, checkString, isFloat32Array, isObject, unexpected } from '../arguments.js';
import { EngineMemoryError, type Engine } from '../engine/engine.js';
import { runWhole } from '../engine/run.js';
import { PixelTensor } from '../engine/pixels.js';
import type { Shape, Tensor } from '../engine/tensor.js';
import { CnnxError, inputError } from '../errors.js';
import { formatBytes, plural } from '../format.js';
import { inferShapes } from './shapes.js';
import { didYouMean } from './suggest.js';
import { describePlace } from './tree.js';
import { INPUT, type Layer, type Network } from './types.js';

/** One output the user asked for: a name (or the last node's label) and the node whose output it is. */
export interface LayerSelection {
  /** The name asked for (a layer's or a group's), `input`, or the last node's label by default. */
  readonly label: string;
  /** The node whose output it is; INPUT for the tensor the first layer sees. */
  readonly node: number;
}

/** A selected output, computed. */
export interface LayerOutput extends LayerSelection {
  /** The node that computed it; null for the input. */
  readonly layer: Layer | null;
  readonly tensor: Tensor;
}

/** A node's name, or its JSON path when it has none. */
export function layerLabel(layer: Layer): string {
  if (!isObject(layer)) throw unexpected('layerLabel: layer', 'a layer of a network (net.layers[i])', layer);
  return layer.name ?? layer.path;
}

/** A node for messages: `layers[4].branches[1][0] (conv2d "layer2.0.downsample.0")`. */
export function layerPlace(layer: { readonly path: string; readonly type: string; readonly name?: string | null }): string {
  if (!isObject(layer)) throw unexpected('layerPlace: layer', 'a layer of a network (net.layers[i])', layer);
  return describePlace(layer.path, layer.type, layer.name ?? undefined);
}

/** What a selected output is, for messages: its node's place, or the input. */
export function selectionPlace(net: Network, s: LayerSelection): string {
  if (s.node === INPUT) return 'input (the tensor the first layer sees)';
  const layer = net.layers[s.node];
  return s.label === layerLabel(layer) ? layerPlace(layer) : `"${s.label}" (${layerPlace(layer)})`;
}

/**
 * Resolves layer names to outputs, in the order asked, without repeats. No names means the last
 * node; `all` means every name in the spec (layers and groups, in node order), or every node when
 * none is named; `input` is the tensor the first layer sees.
 */
export function selectLayers(net: Network, names: readonly string[]): LayerSelection[] {
  checkNetwork(net, 'selectLayers: net');
  checkLayerNames(names, 'selectLayers: names');
  const last = net.layers[net.layers.length - 1];
  if (names.length === 0) return [{ label: layerLabel(last), node: last.index }];
  const picked = new Map<string, LayerSelection>();
  for (const name of names) {
    if (name === 'all') {
      const named = [...net.names].sort((a, b) => a[1] - b[1]);
      const all = named.length > 0 ? named : net.layers.map((l): [string, number] => [layerLabel(l), l.index]);
      for (const [label, node] of all) if (!picked.has(label)) picked.set(label, { label, node });
      continue;
    }
    if (name === 'input') {
      picked.set(name, { label: name, node: INPUT });
      continue;
    }
    const node = net.names.get(name);
    if (node === undefined) {
      const known = [...net.names.keys()];
      const list = known.length > 0 ? `; names: ${known.join(', ')}` : '; the spec names no layers (add "name" to a layer)';
      throw new CnnxError('usage.layer', `${net.file} has no layer named "${name}"${didYouMean(name, [...known, 'input'])}${list}`);
    }
    if (!picked.has(name)) picked.set(name, { label: name, node });
  }
  return [...picked.values()];
}

/** The nodes an engine must output for `selection`: ascending, unique, the input left out. */
export function selectedNodes(selection: readonly LayerSelection[]): number[] {
  checkSelection(selection, 'selectedNodes: selection');
  return [...new Set(selection.map((s) => s.node).filter((n) => n !== INPUT))].sort((a, b) => a - b);
}

/**
 * Refuses an input tensor the engines cannot run as it is: sizes that are not positive integers, a
 * channel count other than the network's, or data that is not a Float32Array of channels x height x
 * width elements. The engines trust the shape: a short array would leave the previous run's input in
 * the fast engine's memory (its output returned again), a channel count the weights do not have reads
 * past the data.
 */
export function checkInputTensor(net: Network, input: Tensor, inputName: string): void {
  const bad = (message: string) => inputError('input.shape', inputName, message);
  if (typeof input !== 'object' || input === null) throw bad(`expected a tensor { channels, height, width, data: Float32Array }, got ${input === null ? 'null' : typeof input}`);
  const { channels, height, width } = input;
  for (const [key, value] of [['channels', channels], ['height', height], ['width', width]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw bad(`tensor ${key}: expected a positive integer, got ${String(value)}`);
  }
  if (channels !== net.input.channels) throw bad(`has ${plural(channels, 'channel')}, the network's input.channels is ${net.input.channels}`);
  // Its constructor checked the pixels; reading `data` would make the floats the fast engine does without.
  if (input instanceof PixelTensor) return;
  const data: unknown = input.data;
  if (!isFloat32Array(data)) throw bad(`tensor data: expected a Float32Array, got ${data === null ? 'null' : typeof data === 'object' ? (data.constructor?.name ?? 'an object') : typeof data}`);
  const size = channels * height * width;
  if ((data as Float32Array).length !== size) throw bad(`tensor data has ${plural((data as Float32Array).length, 'element')}, its shape ${channels}x${height}x${width} needs ${size}`);
}

/** Runs `net` on `input` and returns the selected outputs, in selection order. */
export async function runNetwork(engine: Engine, net: Network, input: Tensor, selection: readonly LayerSelection[], inputName: string): Promise<LayerOutput[]> {
  checkEngine(engine, 'runNetwork: engine');
  checkNetwork(net, 'runNetwork: net');
  checkSelection(selection, 'runNetwork: selection');
  checkString(inputName, 'runNetwork: inputName', 'a name for messages (a string)');
  checkInputTensor(net, input, inputName);
  for (const s of selection) {
    if (s.node !== INPUT && !(Number.isInteger(s.node) && s.node >= 0 && s.node < net.layers.length)) {
      throw new CnnxError('usage.layer', `${net.file}: selection "${s.label}": node ${String(s.node)} is not one of its ${plural(net.layers.length, 'node')} (0..${net.layers.length - 1}) nor INPUT`);
    }
  }
  const shapes: Shape[] = inferShapes(net, input, inputName);
  const nodes = selectedNodes(selection);
  let tensors: Tensor[] = [];
  try {
    if (nodes.length > 0) tensors = await runWhole(engine, net, input, shapes, nodes);
  } catch (error) {
    if (!(error instanceof EngineMemoryError)) throw error;
    throw inputError('input.memory', inputName, `the ${engine.kind} engine needs ${formatBytes(error.needed)} to run it whole, more than the ${formatBytes(error.limit)} it can hold; a lower options.maxMemory (or options.bandRows) streams it in bands`);
  }
  const byNode = new Map(nodes.map((n, i) => [n, tensors[i]]));
  // Fields listed, not spread: see "Per-input objects" in docs/development.md.
  return selection.map((s) => ({ label: s.label, node: s.node, layer: s.node === INPUT ? null : net.layers[s.node], tensor: s.node === INPUT ? input : byNode.get(s.node)! }));
}
