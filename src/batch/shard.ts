// --shard I/N: the I-th of N contiguous slices of the sorted input list, so N machines split a collection without talking.
import { InvalidArgumentError } from 'commander';

export interface Shard {
  /** 1-based, as jest and playwright count shards. */
  readonly index: number;
  readonly count: number;
}

/** Parses `I/N` with 1 <= I <= N (commander argument parser). */
export function parseShard(value: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new InvalidArgumentError('expected I/N with 1 <= I <= N, e.g. 1/4 (shards are numbered from 1)');
  }
  return { index, count };
}

/**
 * The shard's part of a sorted list of `length` items: [floor((I-1)L/N), floor(IL/N)).
 * Parts are contiguous, so each machine writes whole folders, and their sizes differ by at most one.
 */
export function shardRange(length: number, shard: Shard): [start: number, end: number] {
  return [Math.floor(((shard.index - 1) * length) / shard.count), Math.floor((shard.index * length) / shard.count)];
}
