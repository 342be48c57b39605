// Evaluates the small constant subgraphs exporters write for shapes, pad amounts and exponents (PyTorch's F.pad: ConstantOfShape, Concat, Reshape, Slice, Transpose, Cast; a learnable GeM p: Reciprocal).
import type { AttributeValue, OnnxNode, OnnxTensor } from './onnx-model.js';

/** A small constant as the evaluator works on it: C-order values. */
interface Small {
  readonly dims: readonly number[];
  readonly values: readonly number[];
  readonly dataType: number;
}

/** Values beyond this many elements are not folded: shape arithmetic is tiny; anything larger is a real tensor. */
const MAX_ELEMENTS = 4096;

const FLOAT = 1;
const INTEGER_TYPES = new Set([2, 3, 4, 5, 6, 7, 9, 12, 13]);

export const FOLDABLE = new Set(['ConstantOfShape', 'Concat', 'Reshape', 'Slice', 'Transpose', 'Cast', 'Unsqueeze', 'Squeeze', 'Gather', 'Shape', 'Add', 'Sub', 'Mul', 'Div', 'Reciprocal']);

const ARITHMETIC: Record<string, (a: number, b: number) => number> = { Add: (a, b) => a + b, Sub: (a, b) => a - b, Mul: (a, b) => a * b, Div: (a, b) => a / b };

/**
 * The constant output of `node` whose inputs are all constant (`inputs[i]` null when omitted), or
 * null when this op with these inputs is not one the evaluator folds (too large, unknown semantics).
 */
export function foldConstant(node: OnnxNode, inputs: readonly (OnnxTensor | null)[], opset: number): OnnxTensor | null {
  if (!FOLDABLE.has(node.op)) return null;
  if (inputs.some((t) => t && t.dims.reduce((a, b) => a * b, 1) > MAX_ELEMENTS)) return null;
  const small = inputs.map((t): Small | null => (t ? { dims: t.dims, values: t.numbers(), dataType: t.dataType } : null));
  const attr = (name: string): AttributeValue | undefined => node.attributes.get(name);
  const ints = (name: string): number[] | undefined => attr(name) as number[] | undefined;
  const x = small[0];
  let out: Small | null = null;
  switch (node.op) {
    case 'ConstantOfShape': {
      if (!x) return null;
      const value = attr('value') as OnnxTensor | undefined;
      const fill = value ? value.numbers()[0] ?? 0 : 0;
      const count = x.values.reduce((a, b) => a * b, 1);
      if (count > MAX_ELEMENTS) return null;
      out = { dims: x.values, values: new Array<number>(count).fill(fill), dataType: value?.dataType ?? FLOAT };
      break;
    }
    case 'Cast': {
      if (!x) return null;
      const to = attr('to') as number;
      out = { dims: x.dims, values: INTEGER_TYPES.has(to) ? x.values.map(Math.trunc) : x.values, dataType: to };
      break;
    }
    case 'Reshape': {
      if (!x || !small[1]) return null;
      const shape = small[1].values.map((d, i) => (d === 0 && attr('allowzero') !== 1 ? x.dims[i] : d));
      const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      const dims = shape.map((d) => (d === -1 ? x.values.length / known : d));
      if (dims.reduce((a, b) => a * b, 1) !== x.values.length) return null;
      out = { ...x, dims };
      break;
    }
    case 'Unsqueeze':
    case 'Squeeze': {
      if (!x) return null;
      const axes = (opset >= 13 ? small[1]?.values : ints('axes')) ?? null;
      if (node.op === 'Unsqueeze') {
        if (!axes) return null;
        const rank = x.dims.length + axes.length;
        const norm = axes.map((a) => (a < 0 ? a + rank : a));
        const dims: number[] = [];
        for (let i = 0, j = 0; i < rank; i++) dims.push(norm.includes(i) ? 1 : x.dims[j++]);
        out = { ...x, dims };
      } else {
        const norm = axes?.map((a) => (a < 0 ? a + x.dims.length : a));
        out = { ...x, dims: x.dims.filter((d, i) => (norm ? !norm.includes(i) : d !== 1)) };
      }
      break;
    }
    case 'Concat': {
      const parts = small.filter((t): t is Small => t !== null);
      if (parts.length === 0) return null;
      const rank = parts[0].dims.length;
      const axis = ((attr('axis') as number) + rank) % rank;
      out = concat(parts, axis);
      break;
    }
    case 'Transpose': {
      if (!x) return null;
      const perm = ints('perm') ?? x.dims.map((_, i) => x.dims.length - 1 - i);
      out = gather(x, perm.map((p) => x.dims[p]), (index) => {
        const source = new Array<number>(index.length);
        perm.forEach((p, i) => (source[p] = index[i]));
        return source;
      });
      break;
    }
    case 'Slice':
      if (!x) return null;
      out = slice(x, opset >= 10 ? small.slice(1).map((t) => t?.values ?? null) : [ints('starts') ?? null, ints('ends') ?? null, ints('axes') ?? null, null]);
      break;
    case 'Gather': {
      if (!x || !small[1]) return null;
      const rank = x.dims.length;
      const axis = (((attr('axis') as number | undefined) ?? 0) + rank) % rank;
      const indices = small[1];
      const dims = [...x.dims.slice(0, axis), ...indices.dims, ...x.dims.slice(axis + 1)];
      out = gather(x, dims, (index) => {
        const flat = indices.dims.length === 0 ? 0 : offset(indices.dims, index.slice(axis, axis + indices.dims.length));
        const i = indices.values[flat];
        return [...index.slice(0, axis), i < 0 ? i + x.dims[axis] : i, ...index.slice(axis + indices.dims.length)];
      });
      break;
    }
    case 'Shape': {
      if (!x) return null;
      const rank = x.dims.length;
      const bound = (v: number | undefined, fallback: number): number => (v === undefined ? fallback : Math.min(Math.max(v < 0 ? v + rank : v, 0), rank));
      const dims = x.dims.slice(bound(attr('start') as number | undefined, 0), bound(attr('end') as number | undefined, rank));
      out = { dims: [dims.length], values: dims, dataType: 7 };
      break;
    }
    case 'Reciprocal':
      // A learnable GeM p exports its root's exponent as Reciprocal(p).
      if (!x) return null;
      out = { ...x, values: x.values.map((v) => 1 / v) };
      break;
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div': {
      const y = small[1];
      if (!x || !y) return null;
      out = broadcast(x, y, ARITHMETIC[node.op], INTEGER_TYPES.has(x.dataType));
      break;
    }
  }
  if (!out) return null;
  const result = out;
  return { name: node.outputs[0] ?? '', dims: result.dims, dataType: result.dataType, floats: () => Float32Array.from(result.values), numbers: () => [...result.values] };
}

function offset(dims: readonly number[], index: readonly number[]): number {
  let at = 0;
  for (let d = 0; d < dims.length; d++) at = at * dims[d] + index[d];
  return at;
}

/** A tensor of `dims` whose element at each index is x's element at `source(index)`. */
function gather(x: Small, dims: readonly number[], source: (index: number[]) => number[]): Small {
  return { dims, dataType: x.dataType, values: valuesAt(dims, (index) => x.values[offset(x.dims, source(index))]) };
}

function concat(parts: readonly Small[], axis: number): Small | null {
  const dims = [...parts[0].dims];
  if (parts.some((p) => p.dims.length !== dims.length)) return null;
  dims[axis] = parts.reduce((n, p) => n + p.dims[axis], 0);
  const starts = parts.map((_, i) => parts.slice(0, i).reduce((n, p) => n + p.dims[axis], 0));
  return {
    dims,
    dataType: parts[0].dataType,
    values: valuesAt(dims, (index) => {
      let k = parts.length - 1;
      while (index[axis] < starts[k]) k--;
      const local = [...index];
      local[axis] -= starts[k];
      return parts[k].values[offset(parts[k].dims, local)];
    }),
  };
}

/** The values of a tensor of `dims`, element by element in C order. */
function valuesAt(dims: readonly number[], at: (index: number[]) => number): number[] {
  const count = dims.reduce((a, b) => a * b, 1);
  const values: number[] = [];
  const index = new Array<number>(dims.length).fill(0);
  for (let i = 0; i < count; i++) {
    values.push(at(index));
    for (let d = dims.length - 1; d >= 0; d--) {
      if (++index[d] < dims[d]) break;
      index[d] = 0;
    }
  }
  return values;
}

/** ONNX Slice: starts/ends clamped (INT64 extremes included), negative steps walk backwards. */
function slice(x: Small, [starts, ends, axesIn, stepsIn]: readonly (readonly number[] | null)[]): Small | null {
  if (!starts || !ends) return null;
  const rank = x.dims.length;
  const axes = (axesIn ?? starts.map((_, i) => i)).map((a) => (a < 0 ? a + rank : a));
  const first = x.dims.map(() => 0);
  const step = x.dims.map(() => 1);
  const dims = [...x.dims];
  for (let i = 0; i < axes.length; i++) {
    const a = axes[i];
    const n = x.dims[a];
    const s = stepsIn?.[i] ?? 1;
    if (s === 0) return null;
    const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
    const b = s > 0 ? clamp(starts[i], 0, n) : clamp(starts[i], -1, n - 1);
    const e = s > 0 ? clamp(ends[i], 0, n) : clamp(ends[i], -1, n - 1);
    first[a] = b;
    step[a] = s;
    dims[a] = Math.max(0, Math.ceil((e - b) / s));
  }
  return gather(x, dims, (index) => index.map((v, d) => first[d] + v * step[d]));
}

/** numpy-style broadcasting of a binary op; integer division truncates, as ONNX's Div on integers. */
function broadcast(a: Small, b: Small, op: (x: number, y: number) => number, integer: boolean): Small | null {
  const rank = Math.max(a.dims.length, b.dims.length);
  const pad = (d: readonly number[]): number[] => [...new Array<number>(rank - d.length).fill(1), ...d];
  const da = pad(a.dims);
  const db = pad(b.dims);
  const dims = da.map((n, i) => (n === 1 ? db[i] : n));
  if (da.some((n, i) => n !== db[i] && n !== 1 && db[i] !== 1)) return null;
  const at = (t: Small, d: readonly number[], index: readonly number[]): number => t.values[offset(d, index.map((v, i) => (d[i] === 1 ? 0 : v)))];
  const values = valuesAt(dims, (index) => {
    const v = op(at(a, da, index), at(b, db, index));
    return integer ? Math.trunc(v) : v;
  });
  return { dims, values, dataType: a.dataType };
}
