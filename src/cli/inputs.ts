// Gathers the inputs of `cnnx apply`: arguments and --from-list, deduplicated, sorted, then this shard's slice.
import path from 'node:path';
import { CnnxError } from '../errors.js';
import { InputListBuilder, NameListBuilder, type InputList, type NameList } from '../batch/input-list.js';
import { expandList, readPathList } from '../batch/list.js';
import { shardRange, type Shard } from '../batch/shard.js';
import { expandArguments } from '../batch/walk.js';

export interface InputRequest {
  readonly args: readonly string[];
  readonly fromList?: string;
  readonly nul: boolean;
  readonly recursive: boolean;
  /** The output folder, when it exists: folder walks do not enter it (absolute). */
  readonly outputDir?: string;
}

export interface GatheredInputs {
  /** Every input, sorted by name: the list shards are cut from. */
  readonly items: InputList;
  /** Files passed over, sorted by name, tagged with their SKIP_REASONS index. */
  readonly skipped: NameList;
  /** True when inputs came from a folder or a list: outputs then go to a folder even for one input. */
  readonly many: boolean;
}

export async function gatherInputs(req: InputRequest): Promise<GatheredInputs> {
  const stdinUsers = req.args.filter((a) => a === '-').length + (req.fromList === '-' ? 1 : 0);
  if (stdinUsers > 1) throw new CnnxError('usage.stdin', 'stdin can be read once: give "-" as one input or use --from-list -, not both');
  if (req.args.length === 0 && req.fromList === undefined) throw new CnnxError('usage.inputs', 'apply needs inputs: images, .npy files, folders, "-" for stdin, or --from-list FILE');
  if (req.nul && req.fromList === undefined) throw new CnnxError('usage.list', '-0 goes with --from-list (NUL-separated paths, as find -print0 writes them)');

  const into = { inputs: new InputListBuilder(), skipped: new NameListBuilder() };
  const walked = await expandArguments(req.args, req.recursive, into, req.outputDir);
  // Listed files keep their folders below the list's common folder; listed folders are walked.
  if (req.fromList !== undefined) await expandList(await readPathList(req.fromList, req.nul), req.recursive, into, req.outputDir);
  if (into.inputs.count === 0) {
    const where = [...req.args, ...(req.fromList !== undefined ? [`--from-list ${req.fromList}`] : [])].join(', ');
    const skipped = into.skipped.count;
    throw new CnnxError('usage.inputs', `no images found in ${where}${skipped ? ` (${skipped} hidden or non-image files skipped)` : ''}`);
  }
  const items = into.inputs.build();
  return { items, skipped: skippedOnce(into.skipped, items, req.args.length > 1 || req.fromList !== undefined), many: walked.sawFolder || req.fromList !== undefined };
}

/**
 * The files passed over, sorted. With several sources (`in in/`, a folder and its files from
 * `find in -print0`) one file can be met twice: it is counted once, and not at all when it is an
 * input too (a listed dangling symlink fails as a missing file rather than also being skipped).
 */
function skippedOnce(skipped: NameListBuilder, items: InputList, severalSources: boolean): NameList {
  if (!severalSources) return skipped.build();
  const once = skipped.build((name) => path.resolve(name));
  if (once.length === 0) return once;
  // The skipped are few beside a list of a million inputs: hold theirs, and scan the inputs.
  const skippedKeys = new Set<string>();
  for (let i = 0; i < once.length; i++) skippedKeys.add(path.resolve(once.name(i)));
  const alsoInputs = new Set<string>();
  for (let i = 0; i < items.length; i++) {
    const key = path.resolve(items.name(i));
    if (skippedKeys.has(key)) alsoInputs.add(key);
  }
  return alsoInputs.size === 0 ? once : once.filter((i) => !alsoInputs.has(path.resolve(once.name(i))));
}

/** This shard's inputs and skipped entries (both sliced, so counts summed over shards are the totals). */
export function applyShard(inputs: GatheredInputs, shard: Shard | undefined): GatheredInputs {
  if (!shard) return inputs;
  return { ...inputs, items: inputs.items.slice(...shardRange(inputs.items.length, shard)), skipped: inputs.skipped.slice(...shardRange(inputs.skipped.length, shard)) };
}
