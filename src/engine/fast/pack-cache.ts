// The fast engine's packed weights, kept for its life and found again by the arrays they were packed from, not by the
// Network object: a streamed image's stages are new Network objects cut from the same network, sharing its layers'
// arrays, so every image after the first reuses the first one's packs instead of packing (and keeping) its own.
import type { BatchNorm2dLayer, Conv2dLayer } from '../../network/types.js';

/** Per source array (a conv's weight, or a standalone batch norm's running mean), its packs by packKey. */
export type PackCache = WeakMap<Float32Array, Map<string, unknown>>;

const ids = new WeakMap<object, number>();
let nextId = 1;

/** A number for an array, the same for the same array for the life of the process; 0 for none. */
function idOf(a: object | null): number {
  if (a === null) return 0;
  let id = ids.get(a);
  if (id === undefined) ids.set(a, (id = nextId++));
  return id;
}

/** What a conv's pack depends on besides its weight array: the routine, the shape read from the layer, its bias and the batch norm folded in. */
function convKey(layer: Conv2dLayer, bn: BatchNorm2dLayer | null, routine: string): string {
  const norm = bn ? `${idOf(bn.weight)},${idOf(bn.bias)},${idOf(bn.runningMean)},${idOf(bn.runningVar)},${bn.eps}` : '-';
  return `${routine}|${layer.inChannels}|${layer.outChannels}|${layer.groups}|${layer.kernelSize.join('x')}|${idOf(layer.bias)}|${norm}`;
}

function cached<T>(cache: PackCache, source: Float32Array, key: string, make: () => T): T {
  let packs = cache.get(source);
  if (!packs) cache.set(source, (packs = new Map()));
  if (!packs.has(key)) packs.set(key, make());
  return packs.get(key) as T;
}

/** The pack of conv `layer` (with `bn` folded in) for `routine`: made by `make` the first time, the same afterwards. */
export function convPack<T>(cache: PackCache, layer: Conv2dLayer, bn: BatchNorm2dLayer | null, routine: string, make: () => T): T {
  return cached(cache, layer.weight, convKey(layer, bn, routine), make);
}

/** The per-channel scale and shift of a standalone batch norm: made by `make` the first time. */
export function affinePack<T>(cache: PackCache, bn: BatchNorm2dLayer, make: () => T): T {
  return cached(cache, bn.runningMean, `affine|${idOf(bn.weight)},${idOf(bn.bias)},${idOf(bn.runningVar)},${bn.eps}`, make);
}

/** Whether the engine has packed conv `layer`'s weights for some routine (then it allocates nothing more for them, as a rule). */
export function hasPacks(cache: PackCache, layer: Conv2dLayer): boolean {
  return cache.has(layer.weight);
}
