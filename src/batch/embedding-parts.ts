// Embedding parts on disk: their names (carrying the shard), the closing rule, and what a folder already holds (for --skip-existing).
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { CnnxError } from '../errors.js';
import { isTempOf } from '../io/atomic.js';
import type { Shard } from './shard.js';

/** A part closes at this many rows unless --part-rows says otherwise. */
export const DEFAULT_PART_ROWS = 100_000;
/** ... or before its .npy would pass this many bytes (always holding at least one row), so parts of wide rows stay a manageable size. */
export const PART_BYTES = 2 ** 30;

/**
 * `part-` alone, or `part-03-of-08-` with --shard 3/8: N machines write into one folder without
 * colliding, and parts sort by shard, then by number, which is the input order of a run never resumed.
 */
export function partPrefix(shard: Shard | undefined): string {
  if (!shard) return 'part-';
  const width = Math.max(2, String(shard.count).length);
  return `part-${String(shard.index).padStart(width, '0')}-of-${String(shard.count).padStart(width, '0')}-`;
}

/** `part-00007` (no extension): the .npy and .parquet of a part share it. */
export function partStem(prefix: string, seq: number): string {
  return `${prefix}${String(seq).padStart(5, '0')}`;
}

/** What every part's Parquet metadata records about the run that wrote it. */
export interface PartIdentity {
  readonly specSha256: string;
  readonly layer: string;
}

export interface ExistingParts {
  /** Inputs (by `path`, as the report names them) already in a part of any shard. */
  readonly done: ReadonlySet<string>;
  /** The row length of the parts already there, or null when there are none. */
  readonly dim: number | null;
  /** The number of this run's next part: after the highest of its prefix. */
  readonly nextSeq: number;
}

const KEY = { producer: 'producer', spec: 'cnnx_spec_sha256', layer: 'cnnx_layer', dim: 'cnnx_dim' } as const;

/** Key-value metadata written into every part's .parquet. */
export function partMetadata(identity: PartIdentity, dim: number, extra: Record<string, string>): { key: string; value: string }[] {
  return [
    { key: KEY.producer, value: 'cnnx' },
    { key: KEY.spec, value: identity.specSha256 },
    { key: KEY.layer, value: identity.layer },
    { key: KEY.dim, value: String(dim) },
    ...Object.entries(extra).map(([key, value]) => ({ key, value })),
  ];
}

/**
 * Looks at `dir` before a run. Without --skip-existing, parts of this prefix already there are an
 * error (a new run would mix with them). With it, every cnnx part (any shard) says which inputs are
 * done; parts of another network or layer are an error. Either way, what a killed run of this
 * prefix left (temp files, a .npy whose .parquet never appeared) is removed: a part exists when its
 * .parquet exists, and only one process writes a prefix at a time.
 */
export async function scanParts(dir: string, prefix: string, identity: PartIdentity, skipExisting: boolean): Promise<ExistingParts> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw new CnnxError('usage.output', `-o ${dir}: cannot read the folder: ${error.message}`);
  });
  const own = new RegExp(`^${prefix}(\\d{5,})\\.(npy|parquet)$`);
  const ownParquet = names.filter((n) => own.test(n) && n.endsWith('.parquet'));
  if (!skipExisting && ownParquet.length > 0) {
    throw new CnnxError(
      'usage.output',
      `-o ${dir} already holds parts of such a run (${ownParquet.sort()[0]}${ownParquet.length > 1 ? ` and ${ownParquet.length - 1} more` : ''}): add --skip-existing to finish it, or write to an empty folder`
    );
  }
  const stems = new Set(ownParquet.map((n) => n.slice(0, -'.parquet'.length)));
  const leftovers = names.filter((n) => isTempOf(n, own) || (own.test(n) && n.endsWith('.npy') && !stems.has(n.slice(0, -'.npy'.length))));
  await Promise.all(leftovers.map((n) => rm(path.join(dir, n), { force: true })));
  const nextSeq = Math.max(-1, ...[...stems].map((s) => Number(s.slice(prefix.length)))) + 1;

  const done = new Set<string>();
  let dim: number | null = null;
  if (skipExisting) {
    for (const name of names.filter((n) => n.endsWith('.parquet') && !n.startsWith('.')).sort()) {
      const part = await readPart(path.join(dir, name));
      if (!part) continue;
      if (part.specSha256 !== identity.specSha256 || part.layer !== identity.layer) {
        throw new CnnxError(
          'usage.output',
          `${path.join(dir, name)} holds rows of another network or layer (layer "${part.layer}", spec sha256 ${part.specSha256.slice(0, 12)}; this run: layer "${identity.layer}", ${identity.specSha256.slice(0, 12)}): write to another folder`
        );
      }
      dim ??= part.dim;
      for (const p of part.paths) done.add(p);
    }
  }
  return { done, dim, nextSeq };
}

/** A part's identity and paths, or null for a Parquet file cnnx did not write. */
async function readPart(file: string): Promise<(PartIdentity & { dim: number; paths: string[] }) | null> {
  let bytes: ArrayBuffer;
  try {
    const buffer = await readFile(file);
    bytes = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
    const kv = new Map((parquetMetadata(bytes).key_value_metadata ?? []).map((e) => [e.key, e.value ?? '']));
    if (kv.get(KEY.producer) !== 'cnnx') return null;
    const rows = await parquetReadObjects({ file: bytes, columns: ['path'] });
    return { specSha256: kv.get(KEY.spec) ?? '', layer: kv.get(KEY.layer) ?? '', dim: Number(kv.get(KEY.dim)), paths: rows.map((r) => String(r.path)) };
  } catch (error) {
    throw new CnnxError('usage.output', `${file}: cannot read this part: ${(error as Error).message}`);
  }
}
