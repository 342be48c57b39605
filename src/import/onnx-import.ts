// ONNX model -> spec layers: the layer DAG, rebuilt as a tree of sequential/add/concat groups, named after PyTorch's module scopes.
import { CnnxError } from '../errors.js';
import { buildLayerGraph, describeNode } from './onnx-graph.js';
import type { OnnxModel } from './onnx-model.js';
import { emitTree, inferredPrefix } from './scope-names.js';
import { NotSeriesParallel, seriesParallel } from './series-parallel.js';
import type { SpecItem, WeightStore } from './spec-tree.js';

export interface OnnxImportOptions {
  /** Keep the graph up to this node (name) or tensor. */
  readonly until?: string;
  /** Put before every name ('' for none); by default `features` for a model exported from a torchvision `model.features`, else none. */
  readonly prefix?: string;
}

/** The spec layers of `model` (weights go to `store`), the channels of its input and the prefix its names were given. */
export function importOnnx(model: OnnxModel, store: WeightStore, options: OnnxImportOptions = {}): { channels: number; layers: SpecItem[]; prefix: string } {
  const graph = buildLayerGraph(model, options.until);
  let tree;
  try {
    tree = seriesParallel(graph.ops, graph.output);
  } catch (error) {
    if (!(error instanceof NotSeriesParallel)) throw error;
    const shared = graph.ops[error.node].node;
    const join = graph.ops[error.join].node;
    throw new CnnxError(
      'import.graph',
      `${model.file}: ${describeNode(join)}: the graph is not a nesting of sequential, add and concat blocks: ${describeNode(shared)} is used both inside and outside the block this node closes`,
    );
  }
  const prefix = options.prefix ?? inferredPrefix(graph);
  return { channels: graph.channels, layers: emitTree(graph, tree, store, prefix), prefix };
}
