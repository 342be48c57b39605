// Names imported layers after PyTorch's module scopes (/layer4/layer4.1/conv1/Conv -> layer4.1.conv1) and groups them by module.
import type { LayerGraph } from './onnx-graph.js';
import type { TreeItem } from './series-parallel.js';
import { join, layerJson, sequential, type SpecItem, type WeightStore } from './spec-tree.js';

/**
 * The module paths a PyTorch-exported node name passes through, outermost first:
 * `/layer4/layer4.1/conv1/Conv` -> [layer4, layer4.1, layer4.1.conv1]. The exporter writes each scope
 * relative to the nearest enclosing module that is not a container (`/1/conv/conv.0/conv.0.0/Conv` is
 * 1 > 1.conv > 1.conv.0 > 1.conv.0.0), so a part that extends the previous one by `.x` continues from the
 * same base. Null for names not written that way.
 */
export function scopeChain(nodeName: string): string[] | null {
  if (!nodeName.startsWith('/')) return null;
  const parts = nodeName.split('/').slice(1, -1);
  const chain: string[] = [];
  let base = '';
  let previous: string | null = null;
  for (const part of parts) {
    if (part === '') return null;
    if (previous === null || !part.startsWith(`${previous}.`)) base = chain.length > 0 ? chain[chain.length - 1] : '';
    chain.push(base ? `${base}.${part}` : part);
    previous = part;
  }
  return chain;
}

/**
 * The children of torchvision's `features` Sequentials: numbered (VGG, AlexNet, SqueezeNet, MobileNet,
 * EfficientNet...) or DenseNet's named ones.
 */
const FEATURES_CHILD = /^(\d+|(conv|norm|relu|pool)0|norm5|denseblock\d+|transition\d+)$/;

/**
 * `features` when every op of the graph lies in a top-level module named like a child of torchvision's
 * `features` (the model was exported from `model.features`), so `features.7` and `features` mean what
 * they mean in torchvision; '' otherwise.
 */
export function inferredPrefix(graph: LayerGraph): string {
  const tops = graph.ops.map((op) => scopeChain(op.node.name)?.[0]);
  return tops.length > 0 && tops.every((top) => top !== undefined && FEATURES_CHILD.test(top)) ? 'features' : '';
}

interface Built {
  readonly json: SpecItem;
  /** The module scopes every op inside shares (longest common prefix of their chains). */
  readonly scope: readonly string[];
  readonly ids: readonly number[];
}

const RESERVED = new Set(['all', 'input']);

/**
 * ONNX ops whose torch.fx name (the name torchvision's create_feature_extractor and `cnnx import --arch`
 * give a functional call) differs from the op's lower-cased name: `torch.cat` exports as Concat,
 * `F.avg_pool2d` as AveragePool, `F.max_pool2d` as MaxPool. Other ops already agree (add, relu, ...).
 */
const FX_NAMES: Readonly<Record<string, string>> = { concat: 'cat', averagepool: 'avg_pool2d', maxpool: 'max_pool2d' };

/** An exported op name as torch.fx writes the call: `Concat_1` -> `cat_1`, `Relu` -> `relu`. */
function fxName(opName: string): string {
  const [, base, suffix] = /^(.*?)(_\d+)?$/.exec(opName.toLowerCase())!;
  return (FX_NAMES[base] ?? base) + (suffix ?? '');
}

/**
 * The spec items of a series-parallel tree. Naming rule: a node that is the only op of its innermost
 * module takes the module's path (`layer4.1.conv1`); an op among several of a module takes the path and
 * its op (`layer4.1.add`, `layer4.1.relu_1` where the exporter numbered a reused module). Names that are
 * not scope paths are kept as they are. Grouping rule: consecutive items that hold ALL the ops of a module
 * and nothing else become a `sequential` named by the module's path, so every group name is the output of
 * that module, as in PyTorch (`layer4.1`, `layer4`, `features.3`). `prefix` is put before every name
 * (a model exported from `model.features` names its modules `0`, `1`, ...: `--prefix features`).
 */
export function emitTree(graph: LayerGraph, tree: readonly TreeItem[], store: WeightStore, prefix = ''): SpecItem[] {
  const chains = graph.ops.map((op) => {
    const chain = scopeChain(op.node.name);
    if (!prefix) return chain ?? [];
    return [prefix, ...(chain ?? []).map((s) => `${prefix}.${s}`)];
  });
  const counts = new Map<string, number>();
  for (const chain of chains) for (const s of chain) counts.set(s, (counts.get(s) ?? 0) + 1);
  const used = new Set<string>();
  const unique = (name: string): string => {
    let candidate = name;
    for (let k = 2; used.has(candidate) || RESERVED.has(candidate); k++) candidate = `${name}_${k}`;
    used.add(candidate);
    return candidate;
  };
  const names = graph.ops.map((op, id) => {
    const node = op.node;
    const chain = chains[id];
    const opName = op.label?.toLowerCase() ?? fxName(node.name.split('/').pop() || node.op);
    let name: string;
    if (node.name.startsWith('/')) {
      const leaf = chain[chain.length - 1];
      name = leaf === undefined ? opName : counts.get(leaf) === 1 && leaf !== prefix ? leaf : `${leaf}.${opName}`;
    } else {
      const base = node.name || `${node.op.toLowerCase()}_${node.index}`;
      name = prefix ? `${prefix}.${base}` : base;
    }
    return unique(name);
  });

  const covered = (items: readonly Built[], scope: string): boolean => {
    let n = 0;
    for (const item of items) for (const id of item.ids) if (chains[id].includes(scope)) n++;
    return n === counts.get(scope);
  };

  const group = (items: readonly Built[], depth: number): Built[] => {
    const out: Built[] = [];
    for (let i = 0; i < items.length; ) {
      const key = items[i].scope[depth];
      if (key === undefined) {
        out.push(items[i++]);
        continue;
      }
      let j = i;
      while (j < items.length && items[j].scope[depth] === key) j++;
      const run = items.slice(i, j);
      const inner = group(run, depth + 1);
      const alreadyNamed = inner.length === 1 && inner[0].json.name === key;
      if (!alreadyNamed && !used.has(key) && !RESERVED.has(key) && covered(run, key)) {
        used.add(key);
        out.push({ json: sequential(key, inner.map((b) => b.json)), scope: commonPrefix(run.map((b) => b.scope)), ids: run.flatMap((b) => b.ids) });
      } else {
        out.push(...inner);
      }
      i = j;
    }
    return out;
  };

  const build = (item: TreeItem): Built => {
    const op = graph.ops[item.id];
    if (item.kind === 'node') {
      return { json: layerJson(op.draft!, names[item.id], store), scope: chains[item.id], ids: [item.id] };
    }
    const branches = item.branches.map((branch) => group(branch.map(build), 0));
    const inside = branches.flat();
    // a + b + c is exported as (a + b) + c: a branch that is only a join of the same kind, from the same
    // fork, is spliced in, so the spec reads add(a, b, c) (the inner sum's name goes with it).
    const jsonBranches = branches.flatMap((b) =>
      b.length === 1 && b[0].json.type === op.join && b[0].json.branches ? (b[0].json.branches as SpecItem[][]) : [b.map((x) => x.json)],
    );
    return {
      json: join(op.join!, names[item.id], jsonBranches),
      scope: commonPrefix([chains[item.id], ...inside.map((b) => b.scope)]),
      ids: [item.id, ...inside.flatMap((b) => b.ids)],
    };
  };

  return group(tree.map(build), 0).map((b) => b.json);
}

function commonPrefix(lists: readonly (readonly string[])[]): string[] {
  if (lists.length === 0) return [];
  const out: string[] = [];
  for (let i = 0; lists.every((l) => i < l.length && l[i] === lists[0][i]); i++) out.push(lists[0][i]);
  return out;
}
