// How much runs at once in a batch: images in flight (--jobs) and libvips threads, chosen so decode hides behind compute without oversubscribing cores.
import os from 'node:os';
import sharp from 'sharp';

/**
 * Default --jobs: cores + 1, at least 3. One image computes (the engine uses every core for it),
 * one is being decoded and one encoded/written; more only adds memory. Measured on 2 cores with
 * the seed network (see bench/batch.mjs and the README): 1 job runs decode and compute in series,
 * 2 recovers most of the overlap, 3 is within noise of 4-6.
 */
export function defaultJobs(cores: number = os.availableParallelism()): number {
  return Math.max(3, cores + 1);
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
