// The debug build of the module (build/cnnx-debug.wasm): each routine checks its descriptor and arguments first, and a
// violated check rejects the run with the routine's name and the check; valid plans run as on the plain build, byte for byte.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFastEngine } from '../../src/engine/fast/index.js';
import { CONV2D, PAD } from '../../src/engine/fast/layout.js';
import { SharedHeap } from '../../src/engine/fast/memory.js';
import { fullShapes, makePlan } from '../../src/engine/fast/plan.js';
import type { Plan } from '../../src/engine/fast/plan-types.js';
import type { Call } from '../../src/engine/fast/protocol.js';
import { WorkerPool } from '../../src/engine/fast/worker-pool.js';
import { tensor } from '../../src/engine/tensor.js';
import type { Conv2dLayer } from '../../src/network/types.js';
import { loadSimdModule } from '../../src/wasm/loader.js';
import { caseFor, mulberry32, network, sameBytes, wholeRun } from './fast-nets.js';

const conv: Conv2dLayer = {
  type: 'conv2d', index: 0, inChannels: 2, outChannels: 5, kernelSize: [3, 2], stride: [1, 1], dilation: [1, 1],
  padding: { top: 1, bottom: 1, left: 1, right: 0 }, paddingMode: 'zeros', groups: 1,
  weight: Float32Array.from({ length: 5 * 2 * 3 * 2 }, (_, i) => Math.sin(i)), bias: null,
};
const net = network(2, [conv, { type: 'relu', index: 1 }]);

let heap: SharedHeap;
let pool: WorkerPool;
let plan: Plan;

beforeAll(async () => {
  heap = new SharedHeap();
  pool = await WorkerPool.start(2, await loadSimdModule('debug'), heap.memory);
  const input = { tensor: tensor(2, 9, 13, new Float32Array(2 * 9 * 13)), y0: 0, fullHeight: 9 };
  const rows = fullShapes(net, { channels: 2, height: 9, width: 13 }).map((s) => ({ start: 0, end: s.height }));
  plan = makePlan({ heap, threads: 2, packs: new WeakMap(), algorithm: 'auto' }, net, input, rows, [1]);
});

afterAll(async () => {
  await pool.close();
});

/** The phases of the plan's conv step, and the first call to `entry` in them. */
function stepAndCall(entry: string): { phases: readonly (readonly (readonly Call[])[])[]; call: Call } {
  const step = plan.steps.find((s) => s.kind === 'wasm')!;
  if (step.kind !== 'wasm') throw new Error('no wasm step');
  const call = step.phases.flat(2).find(([name]) => name === entry)!;
  return { phases: step.phases, call };
}

/** Runs the conv step with word `field` of the descriptor `entry` reads set to `value` (restored after). */
async function runWith(entry: string, field: number, value: number): Promise<void> {
  const { phases, call } = stepAndCall(entry);
  const at = (call[1] >> 2) + field;
  const saved = heap.ints[at];
  heap.ints[at] = value;
  try {
    await pool.run(phases);
  } finally {
    heap.ints[at] = saved;
  }
}

describe('the debug build', () => {
  it('runs a valid plan: the conv step pads on pad_f32 and computes on direct_f32', async () => {
    expect(stepAndCall('pad_f32').call).toBeDefined();
    expect(stepAndCall('direct_f32').call).toBeDefined();
    await expect(pool.run(stepAndCall('direct_f32').phases)).resolves.toBeUndefined();
  });

  it('rejects a run whose descriptor holds a misaligned or outside address, naming the routine and the field', async () => {
    const { call } = stepAndCall('direct_f32');
    const out = heap.ints[(call[1] >> 2) + CONV2D.fields.OUT.index];
    await expect(runWith('direct_f32', CONV2D.fields.OUT.index, out + 2)).rejects.toThrow(/direct_f32: precondition failed: conv2d\.OUT: address \(src\/wasm\/assembly\/descriptor\.ts:\d+\)/);
    await expect(runWith('direct_f32', CONV2D.fields.W.index, heap.memory.buffer.byteLength)).rejects.toThrow(/direct_f32: precondition failed: conv2d\.W: address/);
    await expect(runWith('pad_f32', PAD.fields.ROWTAB.index, 1000)).rejects.toThrow(/pad_f32: precondition failed: pad\.ROWTAB: address/);
  });

  it('rejects counts, codes and routine fields the routine cannot run with', async () => {
    await expect(runWith('direct_f32', CONV2D.fields.K.index, 0)).rejects.toThrow(/direct_f32: precondition failed: conv2d\.K, OW, SY, IN_PITCH > 0 \(src\/wasm\/assembly\/conv2d\.ts:\d+\)/);
    await expect(runWith('direct_f32', CONV2D.fields.OCB.index, 7)).rejects.toThrow(/conv2d\.OC > 0, OCB == ceil\(OC \/ 4\)/);
    await expect(runWith('direct_f32', CONV2D.fields.ACT.index, 5)).rejects.toThrow(/ACT: NONE, RELU, LEAKY or RELU6/);
    await expect(runWith('direct_f32', CONV2D.fields.SX.index, 2)).rejects.toThrow(/direct: conv2d\.SX == 1, WINO == 0/);
    await expect(runWith('pad_f32', PAD.fields.LEFT.index, 40)).rejects.toThrow(/pad_f32: precondition failed: pad\.ROWS, W > 0, LEFT \+ W <= PW/);
  });

  it('rejects unordered ranges in a call, and keeps working afterwards', async () => {
    const { call } = stepAndCall('direct_f32');
    const [, d, , , b0, b1, tid] = call;
    await expect(pool.run([[[['direct_f32', d, 3, 1, b0, b1, tid]]]])).rejects.toThrow(/direct_f32: precondition failed: rows: 0 <= r0 <= r1/);
    await expect(pool.run([[[['direct_f32', d, 0, 1, 0, 9, tid]]]])).rejects.toThrow(/blocks: 0 <= b0 <= b1 <= OCB/);
    await expect(pool.run(stepAndCall('direct_f32').phases)).resolves.toBeUndefined();
  });

  it('is what createFastEngine({ debug: true }) runs: the plain build\'s bytes, and no fused multiply-adds', async () => {
    await expect(createFastEngine({ threads: 1, debug: true, fma: true })).rejects.toThrow(/options\.fma: the debug build has no fused multiply-adds/);
    const debug = await createFastEngine({ threads: 2, debug: true });
    const plain = await createFastEngine({ threads: 2, debug: false, fma: false });
    try {
      const c = caseFor(mulberry32(3), net.layers.slice(), { channels: 2, height: 17, width: 21 })!;
      expect(sameBytes((await wholeRun(debug, c)).data, (await wholeRun(plain, c)).data)).toBe(true);
    } finally {
      await debug.close();
      await plain.close();
    }
  });
});
