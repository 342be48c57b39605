// Shape inference through the network's nodes for one input size, before any pixel is decoded; and the load-time check of branch sizes.
import { checkNetwork, checkShape } from '../arguments.js';
import { inputError, specError } from '../errors.js';
import { MAX_CHANNELS, MAX_PROBE_POSITIONS } from '../io/limits.js';
import { isMerge, layerDef, mergeDef } from '../layers/index.js';
import { formatShape, type Shape } from '../engine/tensor.js';
import { describePlace } from './tree.js';
import { INPUT, type Layer, type Network, type ResizeSpec } from './types.js';

/** A node's output shape, or a message (without location) when its input(s) do not fit it. */
export function nodeShape(layer: Layer, inputs: readonly Shape[]): Shape | string {
  return isMerge(layer) ? mergeDef(layer).outputShape(inputs) : layerDef(layer).outputShape(layer, inputs[0]);
}

/** The shapes a node reads, from the network input's shape and the shapes of earlier nodes. */
export function inputShapes(layer: Layer, input: Shape, shapes: readonly Shape[]): Shape[] {
  return layer.inputs.map((j) => (j === INPUT ? input : shapes[j]));
}

/**
 * The output shape of every node for an input of `input` shape.
 * Throws an input error (exit 1) naming the input, spec file and node when a map would vanish or the
 * branches of a merge disagree.
 */
export function inferShapes(net: Network, input: Shape, inputName: string): Shape[] {
  checkNetwork(net, 'inferShapes: net');
  checkShape(input, 'inferShapes: input');
  const shapes: Shape[] = [];
  for (const layer of net.layers) {
    const result = nodeShape(layer, inputShapes(layer, input, shapes));
    if (typeof result === 'string') {
      throw inputError(isMerge(layer) ? 'input.branch_mismatch' : 'input.too_small', inputName, `${net.file}: ${describePlace(layer.path, layer.type, layer.name)}: ${result} (input ${formatShape(input)})`);
    }
    shapes.push(result);
  }
  return shapes;
}

/** Input sizes tried when the spec does not fix one: even and odd, square and not. */
const PROBES: readonly [number, number][] = [
  [224, 224],
  [225, 225],
  [256, 256],
  [257, 257],
  [384, 512],
];

/**
 * Refuses, when the spec loads, an add or concat whose branches disagree in size for every input size
 * tried (the spec's own size when its resize fixes one): a branch that downsamples while another does
 * not. Branches that disagree only for some sizes (odd ones, say) are reported for the inputs that hit them.
 */
export function checkMergeSizes(net: Network): void {
  if (!net.layers.some(isMerge)) return;
  const fixed = fixedSize(net.input.resize);
  const probes = fixed ? [fixed] : PROBES;
  const reached = new Map<number, number>();
  const failed = new Map<number, { count: number; message: string; size: readonly [number, number] }>();
  for (const size of probes) {
    const input: Shape = { channels: net.input.channels, height: size[0], width: size[1] };
    const shapes: Shape[] = [];
    for (const layer of net.layers) {
      const result = nodeShape(layer, inputShapes(layer, input, shapes));
      if (isMerge(layer)) reached.set(layer.index, (reached.get(layer.index) ?? 0) + 1);
      if (typeof result === 'string') {
        if (isMerge(layer)) {
          const seen = failed.get(layer.index);
          failed.set(layer.index, { count: (seen?.count ?? 0) + 1, message: seen?.message ?? result, size: seen?.size ?? size });
        }
        break;
      }
      shapes.push(result);
    }
  }
  for (const [index, f] of failed) {
    if (f.count < reached.get(index)!) continue;
    const layer = net.layers[index];
    const k = Number(/^branches\[(\d+)\]/.exec(f.message)?.[1] ?? 0);
    const group = net.groups.find((g) => g.output === index);
    const from = layer.inputs[k];
    const place = from === INPUT || (group !== undefined && from < group.first) ? `${layer.path}.branches[${k}] (empty: the ${layer.type}'s input)` : describePlace(net.layers[from].path, net.layers[from].type, net.layers[from].name);
    const when = fixed ? `for the spec's ${f.size[0]}x${f.size[1]} input` : `at every input size tried, e.g. ${f.size[0]}x${f.size[1]}`;
    throw specError('spec.shape', net.file, place, `${f.message.replace(/^branches\[\d+\] /, '')} (${when})`);
  }
}

/** The size a spec's resize always produces, or null when it depends on the image. */
function fixedSize(resize: ResizeSpec | null): [number, number] | null {
  if (!resize) return null;
  if (resize.kind === 'shorter_side') return resize.centerCrop ? [resize.centerCrop[0], resize.centerCrop[1]] : null;
  if (resize.width !== null && resize.height !== null && (resize.fit === 'cover' || resize.fit === 'fill' || resize.fit === 'contain')) return [resize.height, resize.width];
  return null;
}

/**
 * Refuses, when the spec loads, feature maps no engine could allocate whatever the image: shape
 * inference for a 1x1 input and for the spec's own size (224x224 when it fixes none), up to the first
 * layer the input is too small for. Only padding, adaptive output sizes and channel counts make big
 * maps of small inputs, so a map over the limits there comes from the spec alone (padding 1e5, say);
 * every size is checked to be a safe integer, so no later loop or allocation meets an absurd one.
 */
export function checkMapSizes(net: Network): void {
  const fixed = fixedSize(net.input.resize) ?? [224, 224];
  for (const [height, width] of [[1, 1], fixed]) {
    // A resize to more pixels than maps may have is the pixel limit's to refuse, with its own message.
    if (height * width > MAX_PROBE_POSITIONS) continue;
    const input: Shape = { channels: net.input.channels, height, width };
    const shapes: Shape[] = [];
    for (const layer of net.layers) {
      const result = nodeShape(layer, inputShapes(layer, input, shapes));
      if (typeof result === 'string') break;
      const { channels, height: h, width: w } = result;
      const sane = [channels, h, w].every(Number.isSafeInteger) && h * w <= MAX_PROBE_POSITIONS && channels <= MAX_CHANNELS;
      if (!sane) {
        const limit = `cnnx refuses maps of more than ${MAX_PROBE_POSITIONS.toLocaleString('en-US')} positions or ${MAX_CHANNELS.toLocaleString('en-US')} channels at that size`;
        throw specError('spec.limit', net.file, describePlace(layer.path, layer.type, layer.name), `makes a feature map of ${channels} x ${h} x ${w} (${(channels * h * w).toLocaleString('en-US')} values) for a ${height}x${width} input; ${limit} (is a padding, output_size or channel count far too large?)`);
      }
      shapes.push(result);
    }
  }
}
