// Turns an ONNX graph into a DAG of cnnx layers: picks the output (--until), maps each node, folds Pads and batch norms, regroups concats.
import { CnnxError, type ErrorCode } from '../errors.js';
import { didYouMean } from '../network/suggest.js';
import { DTYPE, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnx-model.js';
import { FOLDABLE, foldConstant } from './onnx-constants.js';
import { draftOutputSize } from './draft-size.js';
import { HEAD_CHAINS, describeStep, stepHead, type HeadOperand, type HeadStep } from './onnx-heads.js';
import { dominators } from './series-parallel.js';
import { absorbPad, foldBatchNorm, mapNode, type OpContext, type PadMode, type Sides } from './onnx-ops.js';
import type { LayerDraft } from './spec-tree.js';

/** One node of the layer DAG: a layer, or an add/concat of its inputs. */
export interface GraphOp {
  /** The ONNX node it stands for (its name names the layer; a folded batch norm's node replaces its conv's). */
  readonly node: OnnxNode;
  readonly draft: LayerDraft | null;
  readonly join: 'add' | 'concat' | null;
  /** Op ids read, in order; -1 is the graph input. Ids are topologically ordered. */
  readonly inputs: readonly number[];
  /** For a layer made of several nodes (a GeM or normalize head): what stands for the last node's op in its name. */
  readonly label?: string;
}

export interface LayerGraph {
  readonly ops: readonly GraphOp[];
  readonly output: number;
  /** Channels of the graph input. */
  readonly channels: number;
}

type Value =
  | { readonly kind: 'input' }
  | { readonly kind: 'const'; readonly tensor: OnnxTensor }
  | { readonly kind: 'op'; readonly id: number }
  | { readonly kind: 'pad'; readonly source: Value; readonly sides: Sides; readonly mode: PadMode; readonly node: OnnxNode }
  /** Part of a GeM or normalize head (onnx-heads.ts) computed by `node`, reading op `source`. */
  | { readonly kind: 'head'; readonly source: number; readonly step: HeadStep; readonly node: OnnxNode };

interface MutableOp {
  node: OnnxNode;
  draft: LayerDraft | null;
  join: 'add' | 'concat' | null;
  inputs: number[];
  /** Its output is >= 0 everywhere (ReLU and friends): a zero Pad before a max pool is then exact. */
  nonNegative: boolean;
  label?: string;
}

const INPUT = -1;

/** The layer DAG of `model` up to `until` (a node name or tensor name; default: the graph's one output). */
export function buildLayerGraph(model: OnnxModel, until?: string): LayerGraph {
  const producers = new Map<string, OnnxNode>();
  for (const node of model.nodes) {
    for (const out of node.outputs) {
      if (out === '') continue;
      if (producers.has(out)) throw corrupt(model, `tensor "${out}" is produced by two nodes`);
      producers.set(out, node);
    }
  }
  const outputTensor = chooseOutput(model, producers, until);
  const order = ancestorsInOrder(model, producers, outputTensor);
  const graphInput = findGraphInput(model, producers, order);

  const values = new Map<string, Value>([[graphInput.name, { kind: 'input' }]]);
  for (const [name, tensor] of model.initializers) values.set(name, { kind: 'const', tensor });
  const ops: MutableOp[] = [];
  const mapSize = mapSizes(graphInput.dims, ops);
  for (const node of order) mapOne(model, node, values, ops, mapSize);

  const out = values.get(outputTensor)!;
  if (out.kind === 'head') throw headError(model, out, until === undefined ? 'the graph ends there' : `--until ${until} ends the import there`, ops);
  if (out.kind !== 'op') {
    const what = out.kind === 'pad' ? 'a Pad (which cnnx folds into the conv or pool after it)' : out.kind === 'const' ? 'a constant' : 'the input itself';
    throw new CnnxError('import.graph', `${model.file}: the output "${outputTensor}" is ${what}: nothing to compute`);
  }
  foldBatchNorms(ops, out.id);
  regroupConcats(ops);
  const output = nestConcats(ops, out.id);
  const kept = compact(ops, output);
  return { ...kept, channels: inputChannels(model, graphInput, kept.ops) };
}

function corrupt(model: OnnxModel, reason: string): CnnxError {
  return new CnnxError('import.corrupt', `${model.file}: not a valid ONNX model: ${reason}`);
}

/** `node 57 "/fc/Gemm" (Gemm)`: how messages name a node. */
export function describeNode(node: OnnxNode): string {
  const op = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}.${node.op}` : node.op;
  return `node ${node.index} ${node.name ? `"${node.name}" ` : ''}(${op})`;
}

function nodeError(model: OnnxModel, node: OnnxNode, message: string, code: ErrorCode = 'import.unsupported'): CnnxError {
  return new CnnxError(code, `${model.file}: ${describeNode(node)}: ${message}`);
}

function chooseOutput(model: OnnxModel, producers: Map<string, OnnxNode>, until: string | undefined): string {
  if (until !== undefined) {
    const byName = model.nodes.find((n) => n.name === until);
    if (byName) {
      if (!byName.outputs[0]) throw nodeError(model, byName, 'has no output', 'import.usage');
      return byName.outputs[0];
    }
    if (producers.has(until)) return until;
    const names = model.nodes.map((n) => n.name).filter(Boolean);
    throw new CnnxError('import.usage', `--until ${until}: ${model.file} has no node or tensor named "${until}"${didYouMean(until, names)}`);
  }
  const outputs = model.outputs.map((o) => o.name);
  if (outputs.length === 0) throw corrupt(model, 'the graph has no output');
  if (outputs.length > 1) {
    throw new CnnxError('import.graph', `${model.file}: the graph has ${outputs.length} outputs (${outputs.join(', ')}): choose the one to import with --until NODE`);
  }
  return outputs[0];
}

/** The nodes the output depends on, in topological order (a depth-first post-order; cycles are errors). */
function ancestorsInOrder(model: OnnxModel, producers: Map<string, OnnxNode>, output: string): OnnxNode[] {
  const order: OnnxNode[] = [];
  const state = new Map<OnnxNode, 'open' | 'done'>();
  const first = producers.get(output);
  if (!first) throw new CnnxError('import.graph', `${model.file}: the output "${output}" is not computed by any node`);
  const stack: { node: OnnxNode; next: number }[] = [{ node: first, next: 0 }];
  state.set(first, 'open');
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next < top.node.inputs.length) {
      const producer = producers.get(top.node.inputs[top.next++]);
      if (!producer) continue;
      const s = state.get(producer);
      if (s === 'open') throw corrupt(model, `the graph has a cycle through ${describeNode(producer)}`);
      if (s === undefined) {
        state.set(producer, 'open');
        stack.push({ node: producer, next: 0 });
      }
    } else {
      state.set(top.node, 'done');
      order.push(top.node);
      stack.pop();
    }
  }
  return order;
}

/** The one non-constant tensor the kept nodes read from outside; several, or one of the wrong type, is an error. */
function findGraphInput(model: OnnxModel, producers: Map<string, OnnxNode>, order: readonly OnnxNode[]): { name: string; dims: readonly (number | string | null)[] | null } {
  const used = new Set<string>();
  for (const node of order) {
    for (const name of node.inputs) {
      if (name === '' || producers.has(name) || model.initializers.has(name)) continue;
      if (!model.inputs.some((i) => i.name === name)) throw nodeError(model, node, `reads tensor "${name}", which no node, initializer or graph input provides`, 'import.corrupt');
      used.add(name);
    }
  }
  if (used.size === 0) throw new CnnxError('import.graph', `${model.file}: the graph does not read its input: nothing to import`);
  if (used.size > 1) {
    throw new CnnxError('import.graph', `${model.file}: the graph reads ${used.size} inputs (${[...used].join(', ')}): cnnx runs networks with one image input`);
  }
  const info = model.inputs.find((i) => used.has(i.name))!;
  if (info.elemType !== 0 && info.elemType !== DTYPE.FLOAT) {
    throw new CnnxError('import.graph', `${model.file}: input "${info.name}" has element type ${info.elemType}, not float: cnnx feeds float32 images`);
  }
  if (info.dims && info.dims.length !== 4) {
    throw new CnnxError('import.graph', `${model.file}: input "${info.name}" has ${info.dims.length} dimensions: cnnx imports image networks (N, C, H, W)`);
  }
  return info;
}

/** The height and width of each op's output at the model's input size, computed when asked (null when the size is not fixed). */
function mapSizes(dims: readonly (number | string | null)[] | null, ops: readonly MutableOp[]): (id: number) => readonly [number, number] | null {
  const [h, w] = dims?.slice(2) ?? [];
  const input = typeof h === 'number' && typeof w === 'number' && h > 0 && w > 0 ? ([h, w] as const) : null;
  const sizes = new Map<number, readonly [number, number] | null>();
  const sizeOf = (id: number): readonly [number, number] | null => {
    if (id === INPUT) return input;
    if (!sizes.has(id)) {
      const op = ops[id];
      const from = sizeOf(op.inputs[0]);
      sizes.set(id, from && (op.draft ? draftOutputSize(op.draft, from) : from));
    }
    return sizes.get(id)!;
  };
  return sizeOf;
}

function mapOne(model: OnnxModel, node: OnnxNode, values: Map<string, Value>, ops: MutableOp[], mapSize: (id: number) => readonly [number, number] | null): void {
  const fail = (message: string): CnnxError => nodeError(model, node, message);
  const valueOf = (i: number): Value | null => {
    const name = node.inputs[i];
    if (name === undefined || name === '') return null;
    const v = values.get(name);
    if (!v) throw fail(`reads "${name}", which is not an output cnnx computes (a second output of another node?)`);
    return v;
  };
  const ctx: OpContext = {
    node,
    opset: model.opset,
    fail,
    constant(i, what) {
      const v = valueOf(i);
      if (v === null) return null;
      if (v.kind !== 'const') throw fail(`its ${what} (input ${i}, "${node.inputs[i]}") is computed at run time: cnnx needs it as an initializer or Constant`);
      return v.tensor;
    },
  };
  const folded = foldable(node, valueOf, model.opset);
  if (folded) {
    if (node.outputs[0]) values.set(node.outputs[0], { kind: 'const', tensor: folded });
    return;
  }
  const set = (value: Value): void => {
    if (node.outputs[0]) values.set(node.outputs[0], value);
  };
  const operands = node.inputs.map((name, i): HeadOperand => {
    const v = name === '' ? null : valueOf(i);
    if (v === null || v.kind === 'pad') return null;
    if (v.kind === 'const') return { kind: 'const' };
    if (v.kind === 'head') return { kind: 'step', source: v.source, step: v.step, node: v.node };
    return { kind: 'map', source: v.kind === 'input' ? INPUT : v.id };
  });
  const describeMap = (id: number): string => (id === INPUT ? 'the graph input' : describeNode(ops[id].node));
  const head = stepHead({ ...ctx, mapSize, describeMap }, operands);
  if (head?.kind === 'step') {
    set({ kind: 'head', source: head.source, step: head.step, node });
    return;
  }
  if (head?.kind === 'layer') {
    ops.push({ node, draft: head.draft, join: null, inputs: [head.source], nonNegative: head.draft.type === 'gem', label: head.label });
    set({ kind: 'op', id: ops.length - 1 });
    return;
  }
  const mapped = mapNode(ctx);
  const pending = node.inputs.map((name) => values.get(name)).find((v) => v?.kind === 'head');
  if (pending?.kind === 'head' && mapped?.kind !== 'alias') throw headError(model, pending, `${describeNode(node)} reads it`, ops);
  if (mapped === null) throw unsupportedOp(model, node, values, ops);
  const activation = (i: number): Value => {
    const v = valueOf(i);
    if (v === null) throw fail(`has no input ${i}`);
    if (v.kind === 'const') throw fail(`its input ${i} ("${node.inputs[i]}") is a constant tensor: cnnx layers read the image's features only`);
    return v;
  };
  const opId = (v: Value, what: string): number => {
    if (v.kind === 'pad') throw nodeError(model, v.node, `feeds ${what}: cnnx folds a Pad only into the conv or pool that reads it`);
    return v.kind === 'input' ? INPUT : (v as { id: number }).id;
  };
  switch (mapped.kind) {
    case 'constant':
      set({ kind: 'const', tensor: mapped.tensor });
      return;
    case 'alias':
      set(activationOrConst(valueOf(0), fail));
      return;
    case 'pad': {
      const source = activation(0);
      if (source.kind === 'pad') throw fail('reads another Pad: merge them into one');
      set({ kind: 'pad', source, sides: mapped.sides, mode: mapped.mode, node });
      return;
    }
    case 'join': {
      const inputs = node.inputs.map((_, i) => i).filter((i) => node.inputs[i] !== '').map((i) => opId(activation(i), describeNode(node)));
      if (inputs.length === 1) {
        set(activation(node.inputs.findIndex((name) => name !== '')));
        return;
      }
      ops.push({ node, draft: null, join: mapped.join, inputs, nonNegative: false });
      set({ kind: 'op', id: ops.length - 1 });
      return;
    }
    case 'layer': {
      let input = activation(0);
      let draft = mapped.draft;
      if (input.kind === 'pad') {
        const nonNegative = input.source.kind === 'op' && ops[input.source.id].nonNegative;
        draft = absorbPad(draft, input.sides, input.mode, nonNegative, fail);
        input = input.source;
      }
      ops.push({ node, draft, join: null, inputs: [opId(input, describeNode(node))], nonNegative: mapped.nonNegative });
      set({ kind: 'op', id: ops.length - 1 });
      return;
    }
  }
}

/** A constant computed from constants (the pad amounts PyTorch's exporter builds with ConstantOfShape, Concat...). */
function foldable(node: OnnxNode, valueOf: (i: number) => Value | null, opset: number): OnnxTensor | null {
  if (!FOLDABLE.has(node.op) || (node.domain !== '' && node.domain !== 'ai.onnx')) return null;
  const inputs = node.inputs.map((_, i) => valueOf(i));
  if (inputs.some((v) => v !== null && v.kind !== 'const')) return null;
  return foldConstant(node, inputs.map((v) => (v && v.kind === 'const' ? v.tensor : null)), opset);
}

function activationOrConst(v: Value | null, fail: (m: string) => CnnxError): Value {
  if (v === null) throw fail('has no input');
  return v;
}

/** The error for an op cnnx cannot map, suggesting --until at the last node before it that it can. */
function unsupportedOp(model: OnnxModel, node: OnnxNode, values: Map<string, Value>, ops: readonly MutableOp[]): CnnxError {
  const custom = node.domain !== '' && node.domain !== 'ai.onnx';
  const what = custom ? `an op of the custom domain "${node.domain}"` : 'not a conv-network op';
  let before = values.get(node.inputs[0] ?? '');
  if (before?.kind === 'pad') before = before.source;
  return nodeError(model, node, `${what}; cnnx imports feature extractors${untilHint(before?.kind === 'op' ? before.id : INPUT, ops)}`);
}

/** The error for a partly matched GeM or normalize head: what its last node computes, and what reads it instead of the next step. */
function headError(model: OnnxModel, head: Extract<Value, { kind: 'head' }>, instead: string, ops: readonly MutableOp[]): CnnxError {
  const { step } = head;
  const message = `computes ${describeStep(step)}, which cnnx maps only within a whole ${step.head} head (${HEAD_CHAINS[step.head]}), but ${instead}`;
  return nodeError(model, head.node, `${message}${untilHint(head.source, ops)}`);
}

/** `: add --until NAME ...`, naming the op an import can stop at (the one before an op cnnx cannot map). */
function untilHint(before: number, ops: readonly MutableOp[]): string {
  const name = before >= 0 ? ops[before].node.name : '';
  return name ? `: add --until ${name} to keep the graph up to that node` : ': add --until NODE to keep the graph up to the node before it';
}

/** Folds each batch norm into the conv it reads when that conv feeds nothing else (its output then exists only normalised). */
function foldBatchNorms(ops: MutableOp[], output: number): void {
  const consumers = new Array<number>(ops.length).fill(0);
  consumers[output]++;
  for (const op of ops) for (const i of op.inputs) if (i >= 0) consumers[i]++;
  for (const op of ops) {
    const source = op.inputs[0];
    if (op.draft?.type !== 'batchnorm2d' || source < 0) continue;
    const conv = ops[source];
    if (conv.draft?.type !== 'conv2d' || consumers[source] !== 1) continue;
    op.draft = foldBatchNorm(conv.draft, op.draft);
    op.inputs = [...conv.inputs];
    conv.inputs = [];
  }
}

/**
 * A concat whose inputs start with exactly another concat's inputs reads that concat instead
 * (cat(a, b, c) = cat(cat(a, b), c)). DenseNet's layers each concatenate all the features before
 * them; regrouped, every layer reads the previous concat, and the graph becomes series-parallel.
 */
function regroupConcats(ops: MutableOp[]): void {
  const original = ops.map((op) => [...op.inputs]);
  const concats: number[] = [];
  ops.forEach((op, id) => {
    if (op.join !== 'concat') return;
    const mine = original[id];
    let best = -1;
    for (const other of concats) {
      const theirs = original[other];
      if (theirs.length < mine.length && theirs.length > (best < 0 ? 1 : original[best].length) && theirs.every((x, i) => x === mine[i])) best = other;
    }
    if (best >= 0) op.inputs = [best, ...mine.slice(original[best].length)];
    concats.push(id);
  });
}

/**
 * Splits back out the inner concats an exporter merged into the outer one (cat(a, cat(b, c), d) written
 * as one Concat of a, b, c, d: Inception v3's InceptionE): consecutive inputs whose paths from the
 * concat's fork meet again below it become a concat of their own, labelled `cat`, `cat_1`, ... as torch.fx
 * numbers them, so the graph nests.
 * Returns the output's id after the insertions.
 */
function nestConcats(ops: MutableOp[], output: number): number {
  for (;;) {
    const idom = dominators(ops, output);
    const split = ops.findIndex((op, id) => op.join === 'concat' && id <= output && innerRuns(op.inputs, idom.get(id)!, idom).length > 0);
    if (split < 0) return output;
    const runs = innerRuns(ops[split].inputs, idom.get(split)!, idom);
    // The new concats go just before the one they come out of (ids stay in topological order).
    const shift = (i: number): number => (i >= split ? i + runs.length : i);
    for (const op of ops) op.inputs = op.inputs.map(shift);
    const outer = ops[split];
    // torch.fx's names: the inner cats run first (cat, cat_1, ...), so the outer one, named after them, takes the next number.
    const inner: MutableOp[] = runs.map(([a, b], k) => ({ node: outer.node, draft: null, join: 'concat', inputs: outer.inputs.slice(a, b), nonNegative: false, label: k === 0 ? 'cat' : `cat_${k}` }));
    ops.splice(split, 0, ...inner);
    outer.label = `cat_${runs.length}`;
    const inputs: number[] = [];
    let k = 0;
    for (let i = 0; i < outer.inputs.length; ) {
      if (k < runs.length && runs[k][0] === i) {
        inputs.push(split + k);
        i = runs[k++][1];
      } else inputs.push(outer.inputs[i++]);
    }
    outer.inputs = inputs;
    output = shift(output);
  }
}

/**
 * The runs [a, b) of 2+ consecutive `inputs` of a concat with fork `fork` that share a branch below it
 * (the same child of the fork on their dominator chains); none when a branch's inputs are not consecutive.
 */
function innerRuns(inputs: readonly number[], fork: number, idom: ReadonlyMap<number, number>): [number, number][] {
  const heads = inputs.map((i) => {
    if (i === fork) return fork;
    let h = i;
    while (idom.get(h) !== fork) h = idom.get(h)!;
    return h;
  });
  const runs: [number, number][] = [];
  for (let a = 0; a < heads.length; ) {
    let b = a + 1;
    while (b < heads.length && heads[b] === heads[a]) b++;
    if (heads[a] !== fork && b - a >= 2) runs.push([a, b]);
    a = b;
  }
  // A branch that comes back after another one cannot be one inner concat without reordering the channels.
  const seen = heads.filter((h, i) => i === 0 || h !== heads[i - 1]);
  return new Set(seen).size === seen.length ? runs : [];
}

/** Keeps the ops the output depends on, renumbered in order. */
function compact(ops: readonly MutableOp[], output: number): { ops: GraphOp[]; output: number } {
  const needed = new Set<number>([output]);
  for (let id = output; id >= 0; id--) if (needed.has(id)) for (const i of ops[id].inputs) if (i >= 0) needed.add(i);
  const ids = [...needed].sort((a, b) => a - b);
  const renumber = new Map<number, number>(ids.map((id, i) => [id, i]));
  const kept = ids.map((id) => {
    const op = ops[id];
    return { node: op.node, draft: op.draft, join: op.join, inputs: op.inputs.map((i) => (i < 0 ? INPUT : renumber.get(i)!)), label: op.label };
  });
  return { ops: kept, output: renumber.get(output)! };
}

/** input.channels: the declared channel dimension, else what the first conv reading the input expects. */
function inputChannels(model: OnnxModel, input: { name: string; dims: readonly (number | string | null)[] | null }, ops: readonly GraphOp[]): number {
  const declared = input.dims?.[1];
  if (typeof declared === 'number' && declared > 0) return declared;
  const reader = ops.find((op) => op.inputs.includes(INPUT) && op.draft?.type === 'conv2d');
  if (reader) return reader.draft!.params.in_channels as number;
  throw new CnnxError('import.graph', `${model.file}: input "${input.name}" has no fixed channel count (dimension 1 is ${JSON.stringify(declared ?? 'unknown')}) and no conv reads it directly to tell`);
}
