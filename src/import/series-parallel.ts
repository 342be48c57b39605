// Rebuilds the nesting of a series-parallel DAG (a network graph) as a tree of sequences and joins (add/concat groups).

/** A node of the DAG: the nodes it reads (-1 is the graph input). Nodes are numbered in topological order. */
export interface DagNode {
  readonly inputs: readonly number[];
}

/** A single-input node in sequence, or a join (2+ inputs) whose branches each start at the join's fork. */
export type TreeItem = { readonly kind: 'node'; readonly id: number } | { readonly kind: 'join'; readonly id: number; readonly branches: TreeItem[][] };

/** The graph is not series-parallel: `node`'s output is needed both inside and outside the block that `join` closes. */
export class NotSeriesParallel extends Error {
  constructor(
    readonly node: number,
    readonly join: number,
  ) {
    super(`node ${node} is shared across the branches of join ${join}`);
  }
}

const INPUT = -1;

/**
 * The sequence of items computing `output` from the graph input. Each join's fork is its immediate
 * dominator (the nearest node every path to it passes through); its branches are the nodes between the
 * fork and the join, and a branch that is the fork's output itself is empty. A node reached twice
 * means the graph is not series-parallel (NotSeriesParallel).
 */
export function seriesParallel(nodes: readonly DagNode[], output: number): TreeItem[] {
  const idom = dominators(nodes, output);
  const placed = new Map<number, number>();

  const chain = (end: number, stop: number, join: number): TreeItem[] => {
    const items: TreeItem[] = [];
    for (let at = end; at !== stop; ) {
      if (at === INPUT) throw new Error(`internal: walked past the fork ${stop} to the input`);
      if (placed.has(at)) throw new NotSeriesParallel(at, join);
      placed.set(at, join);
      const node = nodes[at];
      if (node.inputs.length === 1) {
        items.push({ kind: 'node', id: at });
        at = node.inputs[0];
      } else {
        const fork = idom.get(at)!;
        items.push({ kind: 'join', id: at, branches: node.inputs.map((i) => chain(i, fork, at)) });
        at = fork;
      }
    }
    return items.reverse();
  };
  return chain(output, INPUT, output);
}

/** Immediate dominators of the ancestors of `output` (Cooper, Harvey and Kennedy's intersection on a DAG). */
export function dominators(nodes: readonly DagNode[], output: number): Map<number, number> {
  const depth = new Map<number, number>([[INPUT, 0]]);
  const idom = new Map<number, number>();
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      if (depth.get(a)! >= depth.get(b)!) a = idom.get(a)!;
      else b = idom.get(b)!;
    }
    return a;
  };
  for (let id = 0; id <= output; id++) {
    const inputs = nodes[id].inputs;
    if (inputs.some((i) => i >= id)) throw new Error(`internal: node ${id} reads a later node`);
    let dom = inputs[0];
    for (const i of inputs.slice(1)) dom = intersect(dom, i);
    idom.set(id, dom);
    depth.set(id, depth.get(dom)! + 1);
  }
  return idom;
}
