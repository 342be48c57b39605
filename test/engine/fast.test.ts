// The fast engine against the reference engine: random stacks within tolerance, bit-identical across thread counts and band splits.
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, beforeAll, describe as group, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { createFastEngine, FastEngine } from '../../src/engine/fast/index.js';
import { createReferenceEngine } from '../../src/engine/reference.js';
import { tensor } from '../../src/engine/tensor.js';
import { neededRows } from '../../src/engine/band.js';
import type { Layer } from '../../src/network/types.js';
import { hasSimd, relaxedSimdAvailable } from '../../src/wasm/features.js';
import { bandOf, bandRows, describe, firstMismatch, mulberry32, network, randomCase, rowsFor, sameBytes, wholeRun } from './fast-nets.js';

const reference = createReferenceEngine();
// 'auto' engines by thread count; engines that use Winograd wherever it applies, whatever the channel
// count (2-D for 3x3 stride-1 convs, row-wise for other 3-wide ones); and engines that use row-wise only.
const engines = new Map<number, Engine>();
const winograd = new Map<number, Engine>();
const winogradX = new Map<number, Engine>();

beforeAll(async () => {
  for (const t of [1, 2, 3]) {
    engines.set(t, await createFastEngine({ threads: t }));
    winograd.set(t, await createFastEngine({ threads: t, algorithm: 'winograd' }));
    winogradX.set(t, await createFastEngine({ threads: t, algorithm: 'winograd-x' }));
  }
});
afterAll(async () => {
  for (const e of [...engines.values(), ...winograd.values(), ...winogradX.values()]) await e.close();
});


group('fast engine', () => {
  it('detects SIMD and fuses multiply-adds by default on every supported Node.js (Node 20 by a V8 flag it sets)', async () => {
    expect(hasSimd()).toBe(true);
    const engine = await FastEngine.create(1);
    // The debug project (CNNX_WASM_DEBUG=1, see vitest.config.ts) runs the debug build, which multiplies, then adds.
    expect(engine.debug).toBe(process.env.CNNX_WASM_DEBUG === '1');
    expect(engine.fma).toBe(!engine.debug);
    if (engine.fma) expect(relaxedSimdAvailable()).toBe(true);
    await engine.close();
    const plain = await FastEngine.create(1, 'auto', false, false);
    expect(plain.fma).toBe(false);
    await plain.close();
  });

  it('matches the reference on random stacks (sizes around 4/8-pixel strips, all padding modes, pools)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (seed) => {
        const c = randomCase(seed);
        const ref = await wholeRun(reference, c);
        for (const [name, engine] of [['auto', engines.get(2)!], ['winograd', winograd.get(2)!], ['winograd-x', winogradX.get(2)!]] as const) {
          const out = await wholeRun(engine, c);
          const bad = firstMismatch(out.data, ref.data, out);
          if (bad) throw new Error(`${name} seed ${seed}: ${describe(c.net, c.input)}: layer ${c.net.layers.length - 1}: ${bad}`);
        }
      }),
      { seed: 20261126, numRuns: 800 },
    );
  });

  it('matches the reference on wider convs (channels not multiples of 4, widths around 8-pixel strips and 8-tile Winograd strips)', async () => {
    const r = mulberry32(5);
    for (const oc of [1, 3, 4, 5, 8, 13]) {
      for (const w of [7, 8, 9, 15, 16, 17, 31, 32, 33, 35, 36, 37, 47, 65]) {
        const ic = 1 + Math.floor(r() * 9);
        const weight = Float32Array.from({ length: oc * ic * 9 }, () => r() - 0.5);
        const layers: Layer[] = [
          { type: 'conv2d', index: 0, inChannels: ic, outChannels: oc, kernelSize: [3, 3], stride: [1, 1], dilation: [1, 1], padding: { top: 1, bottom: 1, left: 1, right: 1 }, paddingMode: 'zeros', groups: 1, weight, bias: null },
          { type: 'relu', index: 1 },
          { type: 'maxpool2d', index: 2, kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false },
        ];
        const net = network(ic, layers);
        const input = { channels: ic, height: 9, width: w, data: Float32Array.from({ length: ic * 9 * w }, () => r() * 2 - 1) };
        const shapes = [{ channels: oc, height: 9, width: w }, { channels: oc, height: 9, width: w }, { channels: oc, height: 4, width: Math.floor(w / 2) }];
        const c = { net, input, shapes };
        for (const last of [0, 2]) {
          const ref = await wholeRun(reference, c, last);
          for (const engine of [engines.get(1)!, winograd.get(1)!, winogradX.get(1)!]) {
            const out = await wholeRun(engine, c, last);
            expect(firstMismatch(out.data, ref.data, out), `oc ${oc} w ${w} last ${last}`).toBeNull();
          }
        }
      }
    }
  });

  it('does not keep the process alive while idle (workers are unref\'d between runs)', () => {
    const script = `import { createFastEngine } from ${JSON.stringify(new URL('../../dist/engine/fast/index.js', import.meta.url).href)};
      const e = await createFastEngine({ threads: 2 });
      const net = { name: 'x', file: '', hash: '', input: { channels: 1 }, groups: [], names: new Map(), layers: [{ type: 'conv2d', index: 0, path: 'layers[0]', inputs: [-1], inChannels: 1, outChannels: 1, kernelSize: [1, 1], stride: [1, 1], dilation: [1, 1], padding: { top: 0, bottom: 0, left: 0, right: 0 }, paddingMode: 'zeros', groups: 1, weight: new Float32Array([2]), bias: null }] };
      const [out] = await e.run(net, { tensor: { channels: 1, height: 1, width: 2, data: new Float32Array([1, 2]) }, y0: 0, fullHeight: 1 }, [{ start: 0, end: 1 }], [0]);
      console.log(Array.from(out.tensor.data).join(','));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000, encoding: 'utf8' });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe('2,4');
  });

  it('rejects bad options', async () => {
    await expect(createFastEngine({ threads: 0 })).rejects.toThrow(/options.threads must be an integer from 1 to 256/);
    await expect(createFastEngine({ threads: 1.5 })).rejects.toMatchObject({ code: 'usage.engine' });
    await expect(createFastEngine({ algorithm: 'fft' as never })).rejects.toThrow(/options.algorithm/);
  });

  it('gives identical bytes with 1, 2 and 3 threads', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const c = randomCase(seed * 7919, { sizes: [13, 24, 31, 40] });
      for (const set of [engines, winograd, winogradX]) {
        const [a, b, d] = await Promise.all([1, 2, 3].map((t) => wholeRun(set.get(t)!, c)));
        expect(Buffer.from(b.data.buffer).equals(Buffer.from(a.data.buffer)), `seed ${seed} threads 2`).toBe(true);
        expect(Buffer.from(d.data.buffer).equals(Buffer.from(a.data.buffer)), `seed ${seed} threads 3`).toBe(true);
      }
    }
  });

  it('tells each worker\'s time in the last run when asked, with the same bytes', async () => {
    const c = randomCase(4242, { sizes: [40] });
    const engine = engines.get(2)! as FastEngine;
    const plain = await wholeRun(engine, c);
    expect(engine.lastThreadTimes).toEqual([]);
    engine.timeThreads = true;
    try {
      const timed = await wholeRun(engine, c);
      expect(Buffer.from(timed.data.buffer).equals(Buffer.from(plain.data.buffer))).toBe(true);
      expect(engine.lastThreadTimes).toHaveLength(2);
      expect(engine.lastThreadTimes.some((t) => t.busy > 0)).toBe(true);
    } finally {
      engine.timeThreads = false;
    }
  });

  it('times each step of a profiled run inside the run itself, with the same bytes', async () => {
    const c = randomCase(4343, { sizes: [40] });
    for (const t of [1, 2]) {
      const engine = engines.get(t)! as FastEngine;
      const plain = await wholeRun(engine, c);
      engine.profile = true;
      try {
        // Twice: the second run reads stamps the first left behind in the same places.
        for (let round = 0; round < 2; round++) {
          const t0 = performance.timeOrigin + performance.now();
          const timed = await wholeRun(engine, c);
          const elapsed = performance.timeOrigin + performance.now() - t0;
          expect(Buffer.from(timed.data.buffer).equals(Buffer.from(plain.data.buffer))).toBe(true);
          const steps = engine.lastTimings;
          expect(steps.length).toBeGreaterThan(1);
          const phases = steps.flatMap((s) => s.phases);
          expect(phases.length).toBeGreaterThan(0);
          // A SIMD step's time is its phases'; a step the main thread runs has none.
          for (const s of steps) if (s.phases.length > 0) expect(s.ms).toBeCloseTo(s.phases.reduce((a, b) => a + b, 0), 9);
          // Every phase's wall lies inside the run: they cannot add up to more than it took.
          for (const p of phases) expect(p).toBeGreaterThanOrEqual(0);
          const total = steps.reduce((a, s) => a + s.ms, 0);
          expect(total).toBeGreaterThan(0);
          expect(total).toBeLessThanOrEqual(elapsed);
        }
      } finally {
        engine.profile = false;
      }
    }
  });

  it('reuses its arena across geometries and networks without mixing them up', async () => {
    const a = randomCase(101, { sizes: [20, 33] });
    const b = randomCase(202, { sizes: [9, 17] });
    const engine = engines.get(2)!;
    const a1 = await wholeRun(engine, a);
    const b1 = await wholeRun(engine, b);
    const a2 = await wholeRun(engine, a);
    const b2 = await wholeRun(engine, b);
    expect(Buffer.from(a2.data.buffer).equals(Buffer.from(a1.data.buffer))).toBe(true);
    expect(Buffer.from(b2.data.buffer).equals(Buffer.from(b1.data.buffer))).toBe(true);
    // Several outputs at once keep their bands alive while later layers run.
    const rows = a.shapes.map((s) => ({ start: 0, end: s.height }));
    const all = a.net.layers.map((_, i) => i);
    const input = { tensor: tensor(a.input.channels, a.input.height, a.input.width, a.input.data), y0: 0, fullHeight: a.input.height };
    const [fast, ref] = await Promise.all([engine.run(a.net, input, rows, all), reference.run(a.net, input, rows, all)]);
    for (const i of all) expect(firstMismatch(fast[i].tensor.data, ref[i].tensor.data, fast[i].tensor), `layer ${i}`).toBeNull();
  });

  it('gives identical bytes with 1, 2 and 3 threads when work is split by channel blocks (few rows, many channels)', async () => {
    const r = mulberry32(11);
    for (const [ic, oc, size] of [[5, 37, 6], [16, 40, 10], [12, 64, 3]]) {
      const conv = (index: number, cin: number, cout: number): Layer => ({
        type: 'conv2d', index, inChannels: cin, outChannels: cout, kernelSize: [3, 3], stride: [1, 1], dilation: [1, 1],
        padding: { top: 1, bottom: 1, left: 1, right: 1 }, paddingMode: 'zeros', groups: 1,
        weight: Float32Array.from({ length: cout * cin * 9 }, () => r() - 0.5), bias: Float32Array.from({ length: cout }, () => r() - 0.5),
      });
      const net = network(ic, [conv(0, ic, oc), { type: 'relu', index: 1 }, conv(2, oc, oc), { type: 'relu', index: 3 }, { type: 'maxpool2d', index: 4, kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false }]);
      const half = Math.floor(size / 2);
      const c = { net, input: { channels: ic, height: size, width: size, data: Float32Array.from({ length: ic * size * size }, () => r() * 2 - 1) }, shapes: [0, 1, 2, 3].map(() => ({ channels: oc, height: size, width: size })).concat([{ channels: oc, height: half, width: half }]) };
      const ref = await wholeRun(reference, c);
      for (const set of [engines, winograd, winogradX]) {
        const [a, b, d] = await Promise.all([1, 2, 3].map((t) => wholeRun(set.get(t)!, c)));
        expect(firstMismatch(a.data, ref.data, a)).toBeNull();
        expect(Buffer.from(b.data.buffer).equals(Buffer.from(a.data.buffer))).toBe(true);
        expect(Buffer.from(d.data.buffer).equals(Buffer.from(a.data.buffer))).toBe(true);
      }
    }
  });

  it('computes a band of rows bit-identically to the whole-map run', async () => {
    // circular padding at a band edge reads the far side of the map: neededRows stretches the band to it.
    const modes = ['zeros', 'reflect', 'replicate', 'symmetric', 'circular'] as const;
    let compared = 0;
    for (let seed = 1; seed <= 80; seed++) {
      const set = [engines, winograd, winogradX][seed % 3];
      const c = randomCase(seed * 104729, { modes, sizes: [9, 16, 25, 33] });
      const last = c.net.layers.length - 1;
      const full = await wholeRun(set.get(2)!, c);
      const h = c.shapes[last].height;
      const r = mulberry32(seed);
      const cut = 1 + Math.floor(r() * Math.max(1, h - 1));
      for (const out of h > 1 ? [{ start: 0, end: cut }, { start: cut, end: h }] : [{ start: 0, end: 1 }]) {
        const { rows, input } = rowsFor(c.net, c.input.height, c.shapes, last, out);
        // neededRows includes the rows that mirroring pads read across an edge, so no engine refuses these bands.
        const [got] = await set.get(3)!.run(c.net, bandOf(c, input), rows, [last]);
        expect(got.y0).toBe(out.start);
        compared++;
        expect(sameBytes(got.tensor.data, bandRows(full.data, c.shapes[last], out)), `seed ${seed} ${describe(c.net, c.input)} rows ${out.start}..${out.end}`).toBe(true);
      }
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('refuses a band that lacks a row the layer reads (reflect padding wider than the kernel reach)', async () => {
    // conv k3x1 (untiled) with reflect padding 2 on top: output row 0 reads padded rows -2..0, i.e. rows 2, 1, 0.
    const layer: Layer = { type: 'conv2d', index: 0, inChannels: 1, outChannels: 1, kernelSize: [3, 1], stride: [1, 1], dilation: [1, 1],
      padding: { top: 2, bottom: 0, left: 0, right: 0 }, paddingMode: 'reflect', groups: 1, weight: Float32Array.from([-1, 0.5, 2]), bias: null };
    const net = network(1, [layer]);
    const H = 8, W = 5;
    const data = Float32Array.from({ length: H * W }, (_, i) => Math.sin(i));
    const need = neededRows(layer, { start: 0, end: 1 }, H, { height: H - 2, width: W });
    expect(need).toEqual({ start: 0, end: 3 });
    const band = (r0: number, r1: number) => ({ tensor: tensor(1, r1 - r0, W, data.slice(r0 * W, r1 * W)), y0: r0, fullHeight: H });
    const full = await wholeRun(engines.get(2)!, { net, input: { channels: 1, height: H, width: W, data }, shapes: [{ channels: 1, height: H, width: W }] });
    const [got] = await engines.get(2)!.run(net, band(need.start, need.end), [{ start: 0, end: 1 }], [0]);
    expect(Buffer.from(got.tensor.data.buffer).equals(Buffer.from(full.data.slice(0, W).buffer))).toBe(true);
    await expect(engines.get(2)!.run(net, band(0, 2), [{ start: 0, end: 1 }], [0])).rejects.toThrow(/outside the band/);
  });
});
