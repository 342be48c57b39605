// Streaming for speed: a network that streams as one stage, on an image whose whole run would hold several bands' runs, streams
// even though it fits whole (streamingPays), and `cnnx apply` does so only where its outputs allow (.npy files); deep networks
// and small images run whole as before. The streamed bytes equal a whole run's (stream.test.ts).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { needsStreaming } from '../../src/batch/streamed.js';
import type { BatchFormat } from '../../src/batch/plan.js';
import { loadNetwork, parseNetwork } from '../../src/network/load.js';
import { selectLayers } from '../../src/network/run.js';
import type { Network } from '../../src/network/types.js';
import { planBands, streamingPays, worstBandBytes } from '../../src/stream/band-plan.js';
import { splitStages } from '../../src/stream/stages.js';
import { blackPng } from '../fuzz/craft.js';
import { FAST, ROOT, tempDir } from '../helpers.js';

const SEED = path.join(ROOT, 'examples', 'seed-convnet.json');
const PHOTO = { channels: 3, height: 3000, width: 4000 };

/** Five blocks of two 3x3 convs (VGG's shape, 8 to 64 channels): streamed in stages. */
async function deep(): Promise<Network> {
  const layers: unknown[] = [];
  for (let b = 0; b < 5; b++) {
    for (let k = 0; k < 2; k++) layers.push({ type: 'conv2d', out_channels: 8 << Math.min(b, 3), kernel_size: 3, padding: 1, weight: { random: { seed: 2 * b + k + 1 } } }, { type: 'relu' });
    layers.push({ type: 'maxpool2d', kernel_size: 2, stride: 2 });
  }
  return parseNetwork({ input: { channels: 3 }, layers }, { file: 'deep.json', dir: ROOT, hash: '' });
}

describe('streaming for speed', () => {
  it('pays for a one-stage network on a 4000x3000 photo, not on a 640x480 one, nor for a network streamed in stages', async () => {
    const seed = await loadNetwork(SEED);
    const last = [seed.layers.length - 1];
    expect(splitStages(seed, PHOTO, last[0])).toHaveLength(1);
    expect(streamingPays(seed, PHOTO, last, FAST)).toBe(true);
    expect(streamingPays(seed, { channels: 3, height: 480, width: 640 }, last, FAST)).toBe(false);
    const vgg = await deep();
    expect(splitStages(vgg, PHOTO, vgg.layers.length - 1).length).toBeGreaterThan(1);
    expect(streamingPays(vgg, PHOTO, [vgg.layers.length - 1], FAST)).toBe(false);
  });

  it('sizes a one-stage network\'s bands to runs of at most 512 MiB however much memory there is', async () => {
    const seed = await loadNetwork(SEED);
    const stages = splitStages(seed, PHOTO, seed.layers.length - 1);
    const plan = planBands(stages, PHOTO, 64 * 2 ** 30, 0, 'photo', FAST);
    expect(plan.bands).toBeGreaterThan(2);
    expect(worstBandBytes(stages, PHOTO, plan.bandRows, FAST).runs).toBeLessThanOrEqual(2 ** 29);
    // The tallest such band: one more row would pass the cap.
    expect(worstBandBytes(stages, PHOTO, plan.bandRows + 1, FAST).runs).toBeGreaterThan(2 ** 29);
  });

  it('cnnx apply streams such an image when its outputs are .npy files, and runs it whole otherwise', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'photo.png');
    writeFileSync(file, await blackPng(PHOTO.width, PHOTO.height));
    const small = path.join(dir, 'small.png');
    writeFileSync(small, await blackPng(640, 480));
    const seed = await loadNetwork(SEED);
    const selection = selectLayers(seed, []);
    const engine = { kind: 'fast' as const, weightBytes: () => 0 };
    const settings = { maxMemory: 64 * 2 ** 30 };
    const decide = (input: string, format: BatchFormat, outputs: string[]) =>
      needsStreaming({ item: { name: path.basename(input), file: input, relative: path.basename(input) }, outputs }, seed, selection, format, settings, engine);
    expect(await decide(file, 'npy', [path.join(dir, 'out.npy')])).toBe(true);
    expect(await decide(file, 'npy', ['-'])).toBe(false);
    expect(await decide(file, 'png', [path.join(dir, 'out.png')])).toBe(false);
    expect(await decide(file, 'safetensors', [path.join(dir, 'out.safetensors')])).toBe(false);
    expect(await decide(small, 'npy', [path.join(dir, 'small.npy')])).toBe(false);
  });
});
