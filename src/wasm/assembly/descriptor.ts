// Reading a descriptor (the i32 block the planner writes for each call; fields named in layout.ts, generated from
// ../layout.json), and the debug build's checks of one. Checks run only where asserts are compiled in (build/cnnx-debug.wasm).
/** Field i of the descriptor at d. */
@inline export function field(d: usize, i: i32): i32 {
  return load<i32>(d + (<usize>i << 2));
}

/** Bytes of the memory now (a u64: 65536 pages are 4 GiB). */
@inline function memoryBytes(): u64 {
  return <u64>memory.size() << 16;
}

/** Debug build: a 4-byte aligned block of `words` i32 at d, at or above `floor` (the reserved page's end) and inside the memory. */
export function checkBlock(d: usize, words: i32, floor: i32, what: string): void {
  assert((d & 3) == 0 && d >= <usize>floor && <u64>d + (<u64>words << 2) <= memoryBytes(), what);
}

/** Debug build: field i of d holds 0 (unused) or a 4-byte aligned address at or above `floor` and inside the memory. */
export function checkAddress(d: usize, i: i32, floor: i32, what: string): void {
  const a = <u32>field(d, i);
  assert(a == 0 || ((a & 3) == 0 && a >= <u32>floor && <u64>a < memoryBytes()), what);
}

/** Debug build: an item's range [a, b) (rows, units, blocks) starts at 0 or later and is ordered. */
export function checkRange(a: i32, b: i32, what: string): void {
  assert(0 <= a && a <= b, what);
}

/** Debug build: a per-thread index the engine can pass (at most 256 workers). */
export function checkTid(tid: i32): void {
  assert(0 <= tid && tid < 256, 'tid in [0, 256)');
}

/** Debug build: a conv routine's activation code (ACT.NONE, RELU, LEAKY or RELU6) and a fused pool code (POOL.NONE, MAX or AVG). */
export function checkCodes(act: i32, pool: i32): void {
  assert(0 <= act && act <= 3, 'ACT: NONE, RELU, LEAKY or RELU6');
  assert(0 <= pool && pool <= 2, 'POOL: NONE, MAX or AVG');
}
