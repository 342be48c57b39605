// The routine list: one id per routine, used for its module, its wasm export, its step label and its test file; the
// first routine that applies runs a conv, and which one depends only on the layer, the algorithm setting and the output map's size.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROUTINES, routineFor } from '../../src/engine/fast/routines/index.js';
import type { Algorithm } from '../../src/engine/fast/plan-types.js';
import type { MapSize } from '../../src/engine/tiles.js';
import type { Conv2dLayer } from '../../src/network/types.js';
import { WASM_URLS } from '../../src/wasm/loader.js';
import { ROOT } from '../helpers.js';
import { plainConv } from './routine-check.js';

/** The export names of a .wasm file, read from its export section (compiling the FMA build needs relaxed SIMD). */
function exportNames(bytes: Uint8Array): Set<string> {
  let at = 8;
  const leb = (): number => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++];
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
  };
  const names = new Set<string>();
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    const end = at + size;
    if (id === 7) {
      for (let n = leb(); n > 0; n--) {
        const len = leb();
        names.add(Buffer.from(bytes.subarray(at, at + len)).toString('utf8'));
        at += len + 1;
        leb();
      }
    }
    at = end;
  }
  return names;
}

describe('routines', () => {
  it('each have one id: a module routines/<id>.ts, an export <id>_f32 in every build of the module, a test routine-<id>.test.ts', () => {
    const ids = ROUTINES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const builds = Object.values(WASM_URLS).map((url) => exportNames(readFileSync(url)));
    expect(builds[0].has('pad_f32')).toBe(true);
    for (const id of ids) {
      expect(existsSync(path.join(ROOT, 'src/engine/fast/routines', `${id}.ts`)), id).toBe(true);
      expect(existsSync(path.join(ROOT, 'test/engine', `routine-${id}.test.ts`)), id).toBe(true);
      for (const exports of builds) expect(exports.has(`${id}_f32`), id).toBe(true);
    }
    // The Winograd ones say so (the CLI's note on NaN inputs relies on it).
    expect(ROUTINES.filter((r) => r.winograd).map((r) => r.id)).toEqual(ids.filter((id) => id.startsWith('winograd')));
    // Direct runs anything, so it comes last.
    expect(ids[ids.length - 1]).toBe('direct');
  });

  it('pick the first that applies, by layer, setting and output map size only', () => {
    const small = { height: 28, width: 28 };
    const wide = { height: 224, width: 224 };
    const rank1 = Float32Array.from({ length: 9 }, (_, i) => [1, 2, 1][Math.floor(i / 3)] * [-1, 0, 1][i % 3]);
    const cases: [Conv2dLayer, Algorithm, string, MapSize?][] = [
      [plainConv({ cin: 3, cout: 32, k: [3, 3] }), 'auto', 'winograd2d_small'],
      [plainConv({ cin: 1, cout: 8, k: [3, 3] }), 'auto', 'winograd1d_small'],
      [plainConv({ cin: 1, cout: 8, k: [3, 3] }), 'winograd', 'winograd2d_small'],
      [plainConv({ cin: 1, cout: 8, k: [5, 5] }), 'auto', 'winograd1d_small'],
      [plainConv({ cin: 3, cout: 32, k: [3, 3] }), 'winograd-x', 'winograd1d_small'],
      [plainConv({ cin: 64, cout: 64, k: [3, 3] }), 'auto', 'winograd2d'],
      [plainConv({ cin: 64, cout: 64, k: [3, 3] }), 'auto', 'winograd2d_wide', wide],
      [plainConv({ cin: 64, cout: 64, k: [3, 3] }), 'winograd', 'winograd2d_wide', wide],
      [plainConv({ cin: 64, cout: 64, k: [3, 3] }), 'winograd-x', 'winograd1d', wide],
      [plainConv({ cin: 64, cout: 64, k: [3, 3] }), 'direct', 'direct', wide],
      [plainConv({ cin: 8, cout: 4, k: [3, 3] }), 'winograd', 'winograd2d', wide],
      [plainConv({ cin: 3, cout: 32, k: [3, 3] }), 'auto', 'winograd2d_small', wide],
      [plainConv({ cin: 64, cout: 64, k: [3, 3] }), 'winograd-x', 'winograd1d'],
      [plainConv({ cin: 64, cout: 64, k: [1, 3] }), 'auto', 'winograd1d'],
      [plainConv({ cin: 64, cout: 64, k: [3, 3], stride: [2, 1] }), 'auto', 'winograd1d'],
      [plainConv({ cin: 8, cout: 4, k: [3, 3] }), 'auto', 'direct'],
      [plainConv({ cin: 1, cout: 1, k: [3, 3], weight: rank1 }), 'auto', 'separable'],
      [plainConv({ cin: 1, cout: 1, k: [3, 3] }), 'auto', 'depthwise'],
      [plainConv({ cin: 4, cout: 8, k: [3, 3], groups: 4 }), 'auto', 'depthwise'],
      [plainConv({ cin: 4, cout: 16, k: [3, 3], groups: 4 }), 'auto', 'winograd1d_small'],
      [plainConv({ cin: 4, cout: 16, k: [2, 2], groups: 4 }), 'auto', 'direct'],
      [plainConv({ cin: 64, cout: 64, k: [3, 3], stride: [2, 2] }), 'auto', 'strided'],
      [plainConv({ cin: 3, cout: 32, k: [3, 3] }), 'direct', 'direct'],
      [plainConv({ cin: 1, cout: 1, k: [3, 3], weight: rank1 }), 'direct', 'direct'],
      [plainConv({ cin: 64, cout: 64, k: [3, 3], stride: [1, 2] }), 'direct', 'strided'],
    ];
    for (const [layer, algorithm, id, map = small] of cases) {
      expect(routineFor(layer, algorithm, map).id, `${layer.inChannels} -> ${layer.outChannels} ${layer.kernelSize.join('x')} s${layer.stride.join('x')} g${layer.groups} ${algorithm} ${map.width}`).toBe(id);
    }
  });
});
