// Small-Cin convs with a fused pool on the direct path (conv rows folded into an L1 row accumulator chunk by chunk, W3's shape):
// within tolerance of the reference, bit-identical across threads 1/2/3 and band splits.
import { describe as group, expect, it } from 'vitest';
import { createReferenceEngine } from '../../src/engine/reference.js';
import type { Shape } from '../../src/engine/tensor.js';
import type { Layer } from '../../src/network/types.js';
import { ALL_MODES, bandMatchesWhole, caseFor, describe, fastEnginesPerThreadCount, firstMismatch, int, mulberry32, pick, sameBytes, wholeRun, type Case } from './fast-nets.js';

const reference = createReferenceEngine();
const engines = fastEnginesPerThreadCount();

/** Conv widths around the 4/8-pixel strips and the column chunks (CW = 256 for K <= 16, more pixels for larger pools). */
const WIDTHS = [1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 255, 256, 257, 263, 384, 385, 520];

function randomCase(seed: number): Case {
  const r = mulberry32(seed);
  for (;;) {
    const cin = pick(r, [1, 1, 2, 3]);
    const oc = pick(r, [1, 3, 4, 5, 8, 9, 13]);
    const kh = int(r, 1, 5), kw = int(r, 1, 5);
    const conv: Layer = {
      type: 'conv2d', index: 0, inChannels: cin, outChannels: oc, kernelSize: [kh, kw], stride: [pick(r, [1, 1, 2]), 1], dilation: [pick(r, [1, 1, 2]), pick(r, [1, 1, 2])],
      padding: { top: int(r, 0, kh - 1), bottom: int(r, 0, kh - 1), left: int(r, 0, kw - 1), right: int(r, 0, kw - 1) }, paddingMode: pick(r, ALL_MODES), groups: 1,
      weight: Float32Array.from({ length: oc * cin * kh * kw }, () => r() * 2 - 1), bias: r() < 0.7 ? Float32Array.from({ length: oc }, () => r() - 0.5) : null,
    };
    const pk: [number, number] = [int(r, 1, 4), pick(r, [2, 3, 4, int(r, 1, 4)])];
    const pool: Layer = r() < 0.5
      ? { type: 'maxpool2d', index: 2, kernelSize: pk, stride: pk, padding: [0, 0], dilation: [1, 1], ceilMode: false }
      : { type: 'avgpool2d', index: 2, kernelSize: pk, stride: pk, padding: [0, 0], ceilMode: false, countIncludePad: true, divisorOverride: r() < 0.2 ? 3 : null };
    const layers: Layer[] = [conv, r() < 0.8 ? { type: 'relu', index: 1 } : { type: 'leaky_relu', index: 1, negativeSlope: 0.1 }, pool];
    const input: Shape = { channels: cin, height: int(r, 1, 12), width: pick(r, WIDTHS) };
    const c = caseFor(r, layers, input);
    if (c) return c;
  }
}


group('fast engine: small-Cin conv + fused pool on the direct path', () => {
  it('matches the reference (all padding modes, widths around strips and chunks); threads 1, 2, 3 and band splits give identical bytes', async () => {
    let fused = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const c = randomCase(seed * 31337);
      const ref = await wholeRun(reference, c);
      const outs = [];
      for (const t of [1, 2, 3]) outs.push(await wholeRun(engines.get(t)!, c));
      if (/^0-2 conv2d\[direct\]\+(relu|leaky_relu)\+(max|avg)pool2d$/.test(engines.get(3)!.lastTimings[0]?.label ?? '')) fused++;
      const bad = firstMismatch(outs[0].data, ref.data, outs[0]);
      expect(bad, `seed ${seed}: ${describe(c.net, c.input)}: ${bad}`).toBeNull();
      expect(sameBytes(outs[1].data, outs[0].data), `seed ${seed} threads 2`).toBe(true);
      expect(sameBytes(outs[2].data, outs[0].data), `seed ${seed} threads 3`).toBe(true);
      // A band of pooled rows equals the same rows of the whole run.
      const s = c.shapes[2];
      if (s.height > 1) {
        const cut = 1 + Math.floor(mulberry32(seed)() * (s.height - 1));
        for (const out of [{ start: 0, end: cut }, { start: cut, end: s.height }]) {
          expect(await bandMatchesWhole(engines.get(2)!, c, 2, outs[0].data, out), `seed ${seed} rows ${out.start}..${out.end}: ${describe(c.net, c.input)}`).toBe(true);
        }
      }
    }
    // Most cases fuse the pool into the conv (ceil-free, stride == kernel); the rest take the unfused path.
    expect(fused).toBeGreaterThan(80);
  });
});
