// Byte addresses in the shared memory (up to 4 GiB) as indices into typed arrays over the whole memory.

/** The index at byte address `ptr` in a Float32Array or Int32Array over the memory: unsigned, since addresses pass 2 GiB. */
export const index32 = (ptr: number): number => ptr >>> 2;

/** The index at byte address `ptr` in a Float64Array over the memory. */
export const index64 = (ptr: number): number => ptr >>> 3;
