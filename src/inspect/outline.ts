// The spec's tree as an outline in node order: group headers before their nodes, each row with its nesting depth (inspect, export-torch, the report).
import { INPUT, type LayerGroup, type Network } from '../network/types.js';

export type OutlineRow =
  | { readonly kind: 'group'; readonly group: LayerGroup; readonly depth: number }
  | { readonly kind: 'node'; readonly node: number; readonly depth: number };

/**
 * Every group and node in node order: a group's header comes right before its first node (outer
 * groups first); a row's depth is the number of groups around it (a group's own `depth`).
 */
export function outline(net: Network): OutlineRow[] {
  const depth = net.layers.map(() => 0);
  for (const g of net.groups) for (let i = g.first; i <= g.last; i++) depth[i]++;
  // Stable sort: siblings that start at the same node (an empty group first) keep spec order.
  const groups = [...net.groups].sort((a, b) => a.first - b.first || a.depth - b.depth);
  const rows: OutlineRow[] = [];
  let g = 0;
  for (let i = 0; i <= net.layers.length; i++) {
    for (; g < groups.length && groups[g].first <= i; g++) rows.push({ kind: 'group', group: groups[g], depth: groups[g].depth });
    if (i < net.layers.length) rows.push({ kind: 'node', node: i, depth: depth[i] });
  }
  return rows;
}

/** A group's name, or its JSON path when it has none. */
export function groupLabel(g: LayerGroup): string {
  return g.name ?? g.path;
}

/** How many branches an add or concat group merges; null for a sequential. */
export function branchCount(net: Network, g: LayerGroup): number | null {
  return g.type === 'sequential' || g.output === INPUT ? null : net.layers[g.output].inputs.length;
}

/** What a group does: `sequential`, `add, 2 branches`. */
export function groupKind(g: { readonly type: LayerGroup['type']; readonly branches: number | null }): string {
  return g.branches === null ? g.type : `${g.type}, ${g.branches} branches`;
}

/** A group as a header: `layer1 (sequential)`, `layer1.0.add (add, 2 branches)`. */
export function groupTitle(net: Network, g: LayerGroup): string {
  return `${groupLabel(g)} (${groupKind({ type: g.type, branches: branchCount(net, g) })})`;
}
