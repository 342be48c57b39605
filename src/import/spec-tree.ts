// The spec that an import writes: layer drafts with their weights, groups, and the one safetensors file the weights go to.
import type { TensorToWrite } from '../io/safetensors.js';

/** A weight as the spec will reference it. */
export interface Weight {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** One layer before it is named: spec parameters (snake_case, as written) and its weight-like fields. */
export interface LayerDraft {
  readonly type: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly weights: Readonly<Record<string, Weight>>;
}

/** A node of the written spec: a layer or a group, as JSON. */
export type SpecItem = Record<string, unknown>;

/** Collects the weights of a spec and hands out their references; everything goes into one safetensors file. */
export class WeightStore {
  private readonly tensors: TensorToWrite[] = [];
  private readonly names = new Set<string>();

  /** `file` is the safetensors file's name as the spec references it (beside the spec). */
  constructor(readonly file: string) {}

  ref(name: string, weight: Weight): { safetensors: string; tensor: string } {
    if (this.names.has(name)) throw new Error(`internal: tensor ${name} stored twice`);
    this.names.add(name);
    this.tensors.push({ name, shape: weight.shape, data: weight.data });
    return { safetensors: this.file, tensor: name };
  }

  all(): readonly TensorToWrite[] {
    return this.tensors;
  }

  /** Total bytes of float32 data. */
  get bytes(): number {
    return this.tensors.reduce((n, t) => n + t.data.byteLength, 0);
  }
}

/** The JSON of a named layer; each weight is stored as `NAME.KEY` (PyTorch's state_dict naming). */
export function layerJson(draft: LayerDraft, name: string | undefined, store: WeightStore): SpecItem {
  const item: SpecItem = { type: draft.type };
  if (name !== undefined) item.name = name;
  Object.assign(item, draft.params);
  for (const [key, weight] of Object.entries(draft.weights)) {
    item[key] = store.ref(name === undefined ? key : `${name}.${key}`, weight);
  }
  return item;
}

/** `n` or `[h, w]` as the spec writes pairs: one integer when both agree. */
export function pair(h: number, w: number): number | [number, number] {
  return h === w ? h : [h, w];
}

/** Padding in the spec's shortest form: n, [h, w], or [top, bottom, left, right]. */
export function padding(top: number, bottom: number, left: number, right: number): number | number[] {
  if (top === bottom && left === right) return pair(top, left);
  return [top, bottom, left, right];
}

/** A group node of the spec. */
export function sequential(name: string | undefined, layers: SpecItem[]): SpecItem {
  return name === undefined ? { type: 'sequential', layers } : { type: 'sequential', name, layers };
}

export function join(type: 'add' | 'concat', name: string | undefined, branches: SpecItem[][]): SpecItem {
  return name === undefined ? { type, branches } : { type, name, branches };
}
