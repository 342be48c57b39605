// The spec's tree of layers and groups (sequential, add, concat) flattened into the network's node list, names and groups.
import { describeValue, specError } from '../errors.js';
import { LAYER_TYPES, layerDefByType, MERGE_TYPES, mergeDef } from '../layers/index.js';
import { isPlainObject, ObjectReader } from './reader.js';
import { didYouMean } from './suggest.js';
import type { SafetensorsCache } from './tensors.js';
import { INPUT, type Layer, type LayerGroup, type MergeLayer, type Network } from './types.js';

/** Entries of a spec's layer lists that are not layers: groups, and no-ops that make no node. */
const GROUP_TYPES = ['sequential', ...MERGE_TYPES] as const;
const NO_OP_TYPES = ['dropout', 'identity'] as const;
const ALL_TYPES: readonly string[] = [...LAYER_TYPES, ...GROUP_TYPES, ...NO_OP_TYPES];
/** Names `--layer` gives another meaning. */
const RESERVED = ['all', 'input'];

export interface ParsedTree {
  readonly layers: readonly Layer[];
  readonly groups: readonly LayerGroup[];
  readonly names: ReadonlyMap<string, number>;
}

interface Flow {
  /** The node whose output flows on (INPUT for the network's input). */
  readonly node: number;
  readonly channels: number;
}

/** A node or group description for messages: `layers[4].branches[1][0] (conv2d "layer2.0.downsample.0")`. */
export function describePlace(path: string, type: string, name?: string): string {
  return `${path} (${type}${name !== undefined ? ` "${name}"` : ''})`;
}

/** Parses `layers` (the spec's top-level list) given the input's channel count. */
export async function parseTree(raw: unknown[], file: string, dir: string, channels: number, safetensors: SafetensorsCache = new Map()): Promise<ParsedTree> {
  const tree = new TreeBuilder(file, dir, safetensors);
  await tree.list(raw, 'layers', { node: INPUT, channels }, 0);
  return { layers: tree.layers, groups: tree.groups, names: new Map([...tree.names].map(([name, claim]) => [name, claim.node])) };
}

class TreeBuilder {
  readonly layers: Layer[] = [];
  readonly groups: LayerGroup[] = [];
  readonly names = new Map<string, { node: number; path: string }>();

  constructor(
    private readonly file: string,
    private readonly dir: string,
    /** Loaded safetensors files, shared by all layers so a file is read once. */
    private readonly safetensors: SafetensorsCache,
  ) {}

  async list(raw: unknown[], path: string, flow: Flow, depth: number): Promise<Flow> {
    for (const [i, entry] of raw.entries()) flow = await this.entry(entry, `${path}[${i}]`, flow, depth);
    return flow;
  }

  private async entry(raw: unknown, at: string, flow: Flow, depth: number): Promise<Flow> {
    if (!isPlainObject(raw)) throw specError('spec.type', this.file, at, `expected a layer object such as {"type": "relu"}, got ${describeValue(raw)}`);
    const type = raw.type;
    if (typeof type !== 'string' || !ALL_TYPES.includes(type)) {
      const hint = typeof type === 'string' ? didYouMean(type, ALL_TYPES) : '';
      throw specError('spec.type', this.file, `${at}.type`, `expected one of ${ALL_TYPES.join(', ')}, got ${describeValue(type)}${hint}`);
    }
    const name = typeof raw.name === 'string' ? raw.name : undefined;
    const r = new ObjectReader(this.file, describePlace(at, type, name), raw);
    r.get('type');
    r.optionalString('name');
    if (type === 'sequential') return this.sequential(r, at, flow, depth, name);
    if (type === 'add' || type === 'concat') return this.merge(r, type, at, flow, depth, name);
    if (type === 'dropout' || type === 'identity') {
      // No-ops at inference: no node; a name names what flows through.
      if (type === 'dropout') r.number('p', { default: 0.5 });
      r.finish(['inplace']);
      this.claim(r, name, flow.node, at);
      return flow;
    }
    const def = layerDefByType(type)!;
    const index = this.layers.length;
    this.claim(r, name, index, at);
    const params = await def.parse(r, { file: this.file, dir: this.dir, index, where: r.where, inChannels: flow.channels, safetensors: this.safetensors });
    const layer = { type, index, path: at, ...(name !== undefined ? { name } : {}), inputs: [flow.node], ...params } as Layer;
    this.layers.push(layer);
    return { node: index, channels: def.outChannels(layer as never, flow.channels) };
  }

  private async sequential(r: ObjectReader, at: string, flow: Flow, depth: number, name: string | undefined): Promise<Flow> {
    const raw = r.require('layers');
    if (!Array.isArray(raw)) throw r.expected('layers', 'an array of layers');
    r.finish();
    const first = this.layers.length;
    const out = await this.list(raw, `${at}.layers`, flow, depth + 1);
    this.claim(r, name, out.node, at);
    this.groups.push({ type: 'sequential', path: at, ...(name !== undefined ? { name } : {}), first, last: this.layers.length - 1, output: out.node, depth });
    return out;
  }

  private async merge(r: ObjectReader, type: MergeLayer['type'], at: string, flow: Flow, depth: number, name: string | undefined): Promise<Flow> {
    const raw = r.require('branches');
    if (!Array.isArray(raw) || raw.length < 2 || !raw.every(Array.isArray)) {
      throw r.expected('branches', `an array of 2 or more branches, each an array of layers ([] for the ${type}'s input itself)`);
    }
    r.finish();
    const first = this.layers.length;
    const outs: Flow[] = [];
    for (const [k, branch] of (raw as unknown[][]).entries()) outs.push(await this.list(branch, `${at}.branches[${k}]`, flow, depth + 1));
    const channels = mergeDef({ type } as MergeLayer).outChannels(outs.map((o) => o.channels));
    if (typeof channels === 'string') throw specError('spec.shape', this.file, this.branchPlace(at, raw as unknown[][], outs, channels), channels.replace(/^branches\[\d+\] /, ''));
    const index = this.layers.length;
    this.claim(r, name, index, at);
    this.layers.push({ type, index, path: at, ...(name !== undefined ? { name } : {}), inputs: outs.map((o) => o.node) });
    this.groups.push({ type, path: at, ...(name !== undefined ? { name } : {}), first, last: index, output: index, depth });
    return { node: index, channels };
  }

  /** Where a merge's offending branch ends: its last layer, or the branch itself when it is empty. */
  private branchPlace(at: string, raw: unknown[][], outs: Flow[], message: string): string {
    const k = Number(/^branches\[(\d+)\]/.exec(message)?.[1] ?? 0);
    const node = outs[k].node;
    if (raw[k].length === 0 || node === INPUT || node < 0) return `${at}.branches[${k}] (empty: the group's input)`;
    const layer = this.layers[node];
    return describePlace(layer.path, layer.type, layer.name);
  }

  private claim(r: ObjectReader, name: string | undefined, node: number, at: string): void {
    if (name === undefined) return;
    if (name === '' || RESERVED.includes(name)) throw r.error('name', `"${name}" is reserved; choose another name`, 'spec.name');
    const previous = this.names.get(name);
    if (previous !== undefined) throw r.error('name', `"${name}" is already the name of ${previous.path}`, 'spec.name');
    this.names.set(name, { node, path: at });
  }
}


/** A layer of a plain stack, before the node fields are filled in (programs and tests build networks this way). */
export type StackLayer = Layer extends infer L ? (L extends Layer ? Omit<L, 'index' | 'path' | 'inputs'> & { readonly index?: number } : never) : never;

/**
 * A network that is a plain stack of layers (each reads the previous one), built in code rather than
 * loaded from a spec: nodes get their index, `layers[i]` path and input, names are collected.
 */
export function stackNetwork(base: Pick<Network, 'name' | 'input'> & Partial<Pick<Network, 'file' | 'hash'>>, layers: readonly StackLayer[]): Network {
  const nodes = layers.map((l, i) => ({ ...l, index: i, path: `layers[${i}]`, inputs: [i - 1] }) as Layer);
  const names = new Map<string, number>();
  for (const l of nodes) if (l.name !== undefined) names.set(l.name, l.index);
  return { file: '<inline>', hash: '', ...base, layers: nodes, groups: [], names };
}
