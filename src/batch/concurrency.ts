// How much runs at once in a batch: images in flight (--jobs) and libvips threads, chosen so decode hides behind compute without oversubscribing cores.
import os from 'node:os';
import sharp from 'sharp';

/**
 * Default --jobs: cores + 2, at least 4. A folder computes one image per core (see engine-pool.ts),
 * while one more is decoded and one encoded/written; more only adds memory. Measured on 2 cores with
 * the seed network on 256x256 photos (200 images): jobs 3 took 4.53-4.58 s, 4 took 4.30-4.43 s,
 * 5 took 4.29-4.46 s.
 */
export function defaultJobs(cores: number = os.availableParallelism()): number {
  return Math.max(4, cores + 2);
}

/**
 * One libvips thread per image and no operation cache: the pipeline decodes several images side
 * by side on libuv's pool, so per-image threads would only compete with the engine's workers, and
 * the cache only grows memory when no file is read twice.
 */
export function configureSharpForBatch(): void {
  sharp.concurrency(1);
  sharp.cache(false);
}

/**
 * Decode worker threads: one per four cores, at least one. Decoding a photo costs a fraction of
 * running the network on it, and the engine's own workers need the cores.
 */
export function decodeThreads(cores: number = os.availableParallelism()): number {
  return Math.max(1, Math.floor(cores / 4));
}
