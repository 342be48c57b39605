// The packers on the SIMD module (winograd_filters_f32, conv_weights_f32: what a fast engine's packers run) against
// the JavaScript ones (winogradFilter and packConv's loop in pack.ts, what a heap without the module runs): the same
// packed bytes for tiles of 4 and 6 and the GEMM routines' panels, odd channel counts,
// groups, batchnorm folded in, calls split into chunks, and values at the edges of float32 (signed zeros,
// subnormals, infinities, NaN).
import { describe, expect, it } from 'vitest';
import { SharedHeap, type MainThreadSimd } from '../../src/engine/fast/memory.js';
import { packConv, packWinograd2d } from '../../src/engine/fast/pack.js';
import { relaxedSimdAvailable } from '../../src/wasm/features.js';
import { instantiateHere, loadSimdModule, type SimdBuild } from '../../src/wasm/loader.js';
import type { BatchNorm2dLayer, Conv2dLayer } from '../../src/network/types.js';
import { mulberry32 } from '../helpers.js';
import { plainConv } from './routine-check.js';

const EDGES = [0, -0, 1e-40, -3e-45, 3.4e38, -3.4e38, Infinity, -Infinity, NaN, 1, -1];

/** A conv (3x3 unless `k` says) with weights over six decades (every 7th an edge value when `edges`) and a bias. */
function conv(r: () => number, cin: number, cout: number, groups: number, edges: boolean, k: [number, number] = [3, 3]): Conv2dLayer {
  const n = cout * (cin / groups) * k[0] * k[1];
  const weight = Float32Array.from({ length: n }, (_, i) => (edges && i % 7 === 0 ? EDGES[(i / 7) % EDGES.length] : (r() * 2 - 1) * 10 ** Math.floor(r() * 6 - 3)));
  return { ...plainConv({ cin, cout, k, groups, weight }), bias: Float32Array.from({ length: cout }, () => r() - 0.5) };
}

function batchnorm(r: () => number, channels: number): BatchNorm2dLayer {
  const floats = (f: () => number) => Float32Array.from({ length: channels }, f);
  return {
    type: 'batchnorm2d', index: 1, path: 'layers[1]', inputs: [0], channels, eps: 1e-5,
    weight: floats(() => r() * 2 - 1), bias: floats(() => r() - 0.5), runningMean: floats(() => r() - 0.5), runningVar: floats(() => r() * 2),
  };
}

type Packer = (heap: SharedHeap) => void;

/**
 * Packs on a fresh heap whose simd is `simd` (the module instantiated over that heap's memory, an object standing
 * in for it, or none: JavaScript) and returns the floats from the first pack on, and the heap's top after.
 */
function packed(simd: WebAssembly.Module | MainThreadSimd | null, pack: Packer, limit?: number): { floats: Float32Array; top: number } {
  const heap = new SharedHeap(limit);
  if (simd instanceof WebAssembly.Module) heap.simd = instantiateHere(simd, heap.memory) as unknown as MainThreadSimd;
  else if (simd) heap.simd = simd;
  const from = heap.mark;
  pack(heap);
  return { floats: heap.floatsAt(from, (heap.mark - from) / 4).slice(), top: heap.mark };
}

/** A float as text that tells -0 from 0. */
const text = (x: number): string => (Object.is(x, -0) ? '-0' : String(x));

/** Float for float, by Object.is: -0 is not 0, NaN is NaN. */
function sameFloats(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) expect(`${what}: float ${i} is ${text(actual[i])}`).toBe(`${what}: float ${i} is ${text(expected[i])}`);
  }
}

const builds: SimdBuild[] = relaxedSimdAvailable() ? ['plain', 'fma'] : ['plain'];

describe.each(builds)('conv_weights_f32 (%s build)', (build) => {
  it('packs the bytes packConv packs in JavaScript, for random layers', async () => {
    const module = await loadSimdModule(build);
    const r = mulberry32(13);
    const kernels: [number, number][] = [[1, 1], [3, 3], [2, 2], [1, 3], [5, 5]];
    for (let t = 0; t < 30; t++) {
      // Group counts cycle by 4 and kernels by 5, so every kernel meets every group count.
      const groups = [1, 2, 3, 4][t % 4];
      const cin = groups * (1 + Math.floor(r() * 9));
      const cout = groups * (1 + Math.floor(r() * 11));
      const k = kernels[t % kernels.length];
      const layer = conv(r, cin, cout, groups, t % 3 === 0, k);
      const bn = t % 2 === 1 ? batchnorm(r, cout) : null;
      const pack: Packer = (heap) => packConv(heap, layer, bn);
      const js = packed(null, pack);
      const wasm = packed(module, pack);
      expect(wasm.top).toBe(js.top);
      sameFloats(wasm.floats, js.floats, `${k.join('x')}, ${cin} -> ${cout}, groups ${groups}${bn ? ', batchnorm' : ''}`);
    }
  });

  it('splits a large layer into calls of whole blocks and packs the same bytes', async () => {
    // 1024 x 70 weights: calls of 16 output channels (16384 weights / 1024, whole blocks of 4), the last of 6.
    const module = await loadSimdModule(build);
    const r = mulberry32(3);
    const layer = conv(r, 1024, 70, 1, false, [1, 1]);
    const bn = batchnorm(r, 70);
    const pack: Packer = (heap) => packConv(heap, layer, bn);
    sameFloats(packed(module, pack).floats, packed(null, pack).floats, '1x1, 1024 -> 70');
  });
});

describe.each(builds)('winograd_filters_f32 (%s build)', (build) => {
  it('packs the bytes the JavaScript transform packs, for random layers of every layout', async () => {
    const module = await loadSimdModule(build);
    const r = mulberry32(11);
    let cases = 0;
    for (let t = 0; t < 36; t++) {
      const groups = [1, 1, 2, 3][t % 4];
      const cin = groups * (1 + Math.floor(r() * 9));
      const cout = groups * (1 + Math.floor(r() * 11));
      const layer = conv(r, cin, cout, groups, t % 3 === 0);
      const bn = t % 2 === 1 ? batchnorm(r, cout) : null;
      const packers: [string, Packer][] = [
        ['winograd2d (tiles of 4)', (heap) => packWinograd2d(heap, layer, bn, 4)],
        ['winograd2d (tiles of 6)', (heap) => packWinograd2d(heap, layer, bn, 6)],
      ];
      for (const [name, pack] of packers) {
        const js = packed(null, pack);
        const wasm = packed(module, pack);
        expect(wasm.top, name).toBe(js.top);
        sameFloats(wasm.floats, js.floats, `${name}, ${cin} -> ${cout}, groups ${groups}${bn ? ', batchnorm' : ''}`);
        cases++;
      }
    }
    expect(cases).toBe(72);
  });

  it('splits a large layer into calls of whole blocks and packs the same bytes', async () => {
    // 140 x 70 filters: calls of 28 output channels (4096 filters / 140, whole blocks of 4), the last of 14.
    const module = await loadSimdModule(build);
    const r = mulberry32(5);
    const layer = conv(r, 140, 70, 1, false);
    const bn = batchnorm(r, 70);
    for (const tile of [4, 6] as const) {
      const pack: Packer = (heap) => packWinograd2d(heap, layer, bn, tile);
      sameFloats(packed(module, pack).floats, packed(null, pack).floats, `140 -> 70, tiles of ${tile}`);
    }
  });
});

describe('the Winograd packers on a heap with the SIMD module', () => {
  const layer = conv(mulberry32(9), 64, 64, 1, false);
  const pack: Packer = (heap) => packWinograd2d(heap, layer, null, 6);

  it('pack in JavaScript when the heap has no room for the filters copy', () => {
    const js = packed(null, pack);
    const calls: number[] = [];
    const recording: MainThreadSimd = { winograd_filters_f32: (...args) => void calls.push(args[1]), conv_weights_f32: () => undefined };
    // Room for the packed weights and bias, not for the module's copy of the filters beside them.
    const tight = packed(recording, pack, js.top);
    expect(calls).toEqual([]);
    sameFloats(tight.floats, js.floats, 'the JavaScript fallback');
  });

  it('leave the weights to the module when there is room: it writes every float of them', () => {
    const calls: number[] = [];
    const recording: MainThreadSimd = { winograd_filters_f32: (...args) => void calls.push(args[1]), conv_weights_f32: () => undefined };
    const roomy = packed(recording, pack);
    // 64 output channels of 64 inputs: one call of 64 (4096 filters / 64).
    expect(calls).toEqual([64]);
    // Nothing else wrote the weights: a module that writes nothing leaves the fresh memory's zeros.
    expect(roomy.floats.subarray(0, 64 * 64 * 64).every((v) => v === 0)).toBe(true);
  });
});
