// Gathers the inputs of `cnnx apply`: arguments and --from-list, deduplicated, sorted, then this shard's slice.
import { CnnxError } from '../errors.js';
import { expandList, readPathList } from '../batch/list.js';
import { dedupeItems } from '../batch/plan.js';
import { shardSlice, type Shard } from '../batch/shard.js';
import { byName, expandArguments, type InputItem, type SkippedEntry } from '../batch/walk.js';

export interface InputRequest {
  readonly args: readonly string[];
  readonly fromList?: string;
  readonly nul: boolean;
  readonly recursive: boolean;
}

export interface GatheredInputs {
  /** Every input, sorted by name: the list shards are cut from. */
  readonly items: InputItem[];
  readonly skipped: SkippedEntry[];
  /** True when inputs came from a folder or a list: outputs then go to a folder even for one input. */
  readonly many: boolean;
}

export async function gatherInputs(req: InputRequest): Promise<GatheredInputs> {
  const stdinUsers = req.args.filter((a) => a === '-').length + (req.fromList === '-' ? 1 : 0);
  if (stdinUsers > 1) throw new CnnxError('usage.stdin', 'stdin can be read once: give "-" as one input or use --from-list -, not both');
  if (req.args.length === 0 && req.fromList === undefined) throw new CnnxError('usage.inputs', 'apply needs inputs: images, .npy files, folders, "-" for stdin, or --from-list FILE');
  if (req.nul && req.fromList === undefined) throw new CnnxError('usage.list', '-0 goes with --from-list (NUL-separated paths, as find -print0 writes them)');

  const walked = await expandArguments(req.args, req.recursive);
  const items = [...walked.items];
  const skipped = [...walked.skipped];
  if (req.fromList !== undefined) {
    const paths = await readPathList(req.fromList, req.nul);
    // Listed files keep their folders below the list's common folder; listed folders are walked.
    const listed = await expandList(paths, req.recursive);
    items.push(...listed.items);
    skipped.push(...listed.skipped);
  }
  if (items.length === 0) {
    const where = [...req.args, ...(req.fromList !== undefined ? [`--from-list ${req.fromList}`] : [])].join(', ');
    throw new CnnxError('usage.inputs', `no images found in ${where}${skipped.length ? ` (${skipped.length} hidden or non-image files skipped)` : ''}`);
  }
  return { items: dedupeItems(items).sort(byName), skipped: skipped.sort(byName), many: walked.sawFolder || req.fromList !== undefined };
}

/** This shard's inputs and skipped entries (both sliced, so counts summed over shards are the totals). */
export function applyShard(inputs: GatheredInputs, shard: Shard | undefined): GatheredInputs {
  if (!shard) return inputs;
  return { ...inputs, items: shardSlice(inputs.items, shard), skipped: shardSlice(inputs.skipped, shard) };
}
