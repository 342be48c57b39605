// The host's data caches (L1d, L2, L3), read once from the operating system, and the planner's blocking budgets derived from them.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface CacheSizes {
  /** L1 data cache of one core, bytes. */
  readonly l1d: number;
  /** The L2 share of one core (an L2 that several cores share is divided between them), bytes. */
  readonly l2: number;
  /** The last-level cache, whole, bytes (0 when the machine has no L3 or does not say). */
  readonly l3: number;
  /** Where the sizes came from: the CNNX_CACHE_SIZES override, Linux sysfs, /proc/cpuinfo (one level only) or the defaults. */
  readonly source: 'env' | 'sysfs' | 'cpuinfo' | 'default';
}

const KiB = 1024;

/**
 * Sizes for a machine that does not say: small enough for any 64-bit CPU of the last decade (32 KiB L1d,
 * 512 KiB of L2 per core: Zen 1-3 have that, Intel and ARM server cores as much or more), so blocks sized
 * from them stay in cache wherever they run.
 */
export const DEFAULT_CACHES: CacheSizes = { l1d: 32 * KiB, l2: 512 * KiB, l3: 0, source: 'default' };

/** "48K", "1024K", "32M", "1024 KB" -> bytes; NaN when it is not a size. */
function parseSize(text: string): number {
  const m = /^\s*(\d+)\s*([KMG]?)i?B?\s*$/i.exec(text);
  if (!m) return NaN;
  return Number(m[1]) * { '': 1, K: KiB, M: KiB * KiB, G: KiB * KiB * KiB }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G'];
}

/** The CPU numbers of a Linux CPU list ("0-3,8-11", "0"), as sysfs and /proc/self/status write them; none where it is not one. */
export function cpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.trim().split(',')) {
    if (part === '') continue;
    const [a, b] = part.split('-').map(Number);
    for (let c = a; c <= (b ?? a); c++) cpus.push(c);
  }
  return cpus;
}

/**
 * The caches of cpu0 from Linux sysfs (`root` is /sys/devices/system/cpu): each cache/index* names its
 * level, type, size and the CPUs that share it; the L2 is divided between the cores (SMT siblings count
 * once) that share it. Null when the directory is absent (some VMs, containers, other systems).
 */
export function readSysfsCaches(root = '/sys/devices/system/cpu'): Omit<CacheSizes, 'source'> | null {
  const dir = path.join(root, 'cpu0', 'cache');
  let entries: string[];
  try {
    entries = readdirSync(dir).filter((e) => /^index\d+$/.test(e));
  } catch {
    return null;
  }
  const read = (...p: string[]): string => {
    try {
      return readFileSync(path.join(...p), 'utf8').trim();
    } catch {
      return '';
    }
  };
  const siblings = cpuList(read(root, 'cpu0', 'topology', 'thread_siblings_list')).length || 1;
  const found: { l1d: number; l2: number; l3: number } = { l1d: NaN, l2: NaN, l3: 0 };
  for (const e of entries) {
    const level = Number(read(dir, e, 'level'));
    const type = read(dir, e, 'type');
    const size = parseSize(read(dir, e, 'size'));
    if (!(size > 0) || type === 'Instruction') continue;
    const sharing = cpuList(read(dir, e, 'shared_cpu_list')).length || 1;
    if (level === 1) found.l1d = size;
    else if (level === 2) found.l2 = Math.floor(size / Math.max(1, Math.round(sharing / siblings)));
    else if (level === 3) found.l3 = size;
  }
  if (!(found.l1d > 0) && !(found.l2 > 0)) return null;
  return { l1d: found.l1d > 0 ? found.l1d : DEFAULT_CACHES.l1d, l2: found.l2 > 0 ? found.l2 : DEFAULT_CACHES.l2, l3: found.l3 };
}

/**
 * The one size x86 Linux prints in /proc/cpuinfo ("cache size : 1024 KB"): the L2 of one core on AMD and
 * Hygon (the kernel reads it from CPUID 0x80000006), the last level (L3) on Intel. Null when absent or
 * for another vendor (ARM prints none).
 */
export function parseCpuinfoCache(cpuinfo: string): Partial<Omit<CacheSizes, 'source'>> | null {
  const vendor = /^vendor_id\s*:\s*(\S+)/m.exec(cpuinfo)?.[1];
  const size = parseSize(/^cache size\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? '');
  if (!(size > 0)) return null;
  if (vendor === 'AuthenticAMD' || vendor === 'HygonGenuine') return { l2: size };
  if (vendor === 'GenuineIntel') return { l3: size };
  return null;
}

/** CNNX_CACHE_SIZES="L1D,L2,L3" in bytes or with K/M suffixes ("48K,1M,32M"): for a machine that misreports them. */
export function parseCacheOverride(text: string): Omit<CacheSizes, 'source'> | null {
  const [l1d, l2, l3 = '0'] = text.split(',').map((s) => s.trim());
  const sizes = [l1d, l2, l3].map((s) => (s === '0' ? 0 : parseSize(s ?? '')));
  if (!(sizes[0] > 0 && sizes[1] > 0 && sizes[2] >= 0)) return null;
  return { l1d: sizes[0], l2: sizes[1], l3: sizes[2] };
}

let detected: CacheSizes | undefined;

/** This machine's caches (read once; CNNX_CACHE_SIZES, when set and valid, wins at every call). */
export function cacheSizes(): CacheSizes {
  const override = process.env.CNNX_CACHE_SIZES;
  if (override) {
    const sizes = parseCacheOverride(override);
    if (sizes) return { ...sizes, source: 'env' };
  }
  detected ??= detect();
  return detected;
}

function detect(): CacheSizes {
  if (process.platform !== 'linux') return DEFAULT_CACHES;
  const sysfs = readSysfsCaches();
  if (sysfs) return { ...sysfs, source: 'sysfs' };
  let cpuinfo = '';
  try {
    cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return DEFAULT_CACHES;
  }
  const found = parseCpuinfoCache(cpuinfo);
  return found ? { ...DEFAULT_CACHES, ...found, source: 'cpuinfo' } : DEFAULT_CACHES;
}

/**
 * What the planner's blocking may fill, from the caches. None of it changes a result's bits: blocks
 * decide which outputs are computed together, never the order of any output's sum.
 */
export interface Blocking {
  /** Bytes of input rows a column chunk of the direct routine's fused pool reads: half the L1d. */
  readonly l1Chunk: number;
  /** Bytes of L2 a 2-D Winograd chunk may fill with U, V and M: most of the L2, some left for the input rows. */
  readonly l2Budget: number;
  /** Bytes of row-wise Winograd products per GEMM batch: half the L2. */
  readonly l2Products: number;
  /** Bytes of padded rows the depthwise routine pads for itself per thread, and reads back while they are hot: a quarter of the L2. */
  readonly ownPadding: number;
  /**
   * Bytes of packed pointwise strips each channel block runs over in turn while they stay in the L2: half of it, room
   * left for the block's weights and outputs passing through. Weights larger than the L2 stream from memory once per
   * group, so a narrow map's whole panel in one group reads them once (ResNet-50's layer4.0 conv2, K = 4608: 7 strips).
   */
  readonly stripGroup: number;
  /** Bytes left free around each thread's scratch buffer (ArenaAllocator.allocPerThread): one L2, at most 4 MiB. */
  readonly threadGap: number;
}

export function blocking(caches: CacheSizes = cacheSizes()): Blocking {
  return { l1Chunk: Math.floor(caches.l1d / 2), l2Budget: Math.floor((caches.l2 * 900) / 1024), l2Products: Math.floor(caches.l2 / 2), ownPadding: Math.floor(caches.l2 / 4), stripGroup: Math.floor(caches.l2 / 2), threadGap: Math.min(caches.l2, 4 << 20) };
}
