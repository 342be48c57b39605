// Auto-generated. Do not edit. Source: src/wasm/layout.json. Generator: scripts/gen-layout.mjs.
// The data layout the routines share with the planner (src/engine/fast/layout.ts is the same, for TypeScript).
import { checkAddress, checkBlock } from './descriptor';

/** The first 64 KiB of the shared memory, which the heap never allocates (src/engine/fast/memory.ts). */
export namespace MEMORY {
  /** static data of the module (only the debug build has any: its assert messages) lies below this address */
  export const STATIC_END: i32 = 16384;
  /** the workers' barrier: one i32, the phase in progress, the workers that joined the run and those that arrived (src/engine/fast/worker.ts) */
  export const BARRIER: i32 = 16384;
  /** one i32 work counter per phase of a run message, 64 bytes apart: the next item of that phase to take; in a profiled run, the f64 8 bytes after it holds when the phase ended */
  export const WORK_COUNTERS: i32 = 16512;
  /** bytes at address 0 the heap never allocates (null stays invalid) */
  export const RESERVED: i32 = 65536;
}

/** The scratch each thread of winograd2d_small has, from SCRATCH (src/wasm/assembly/winograd2d_small.ts, planned by src/engine/fast/routines/winograd2d_small.ts). */
export namespace WINOGRAD2D_SMALL_SCRATCH {
  /** one tile's outputs [4][4] (4 output channels a vector), past the transforms' rows at 0: B^T along x [6][6], then A^T along x [6][4] */
  export const Y: i32 = 640;
  /** the pooled outputs of 4 tiles, [2][8] (2x2 windows) or [4] (4x4), before they are transposed into channel rows */
  export const POOLED: i32 = 896;
  /** the products of 4 tiles and 2 blocks of 4 output channels: [36 points][4 tiles][2 blocks] vectors */
  export const M: i32 = 1152;
  /** the transformed input [C][36] vectors (lane i = tile i), then the row buffer */
  export const V: i32 = 5760;
}

/** The transform scratch each thread of winograd2d and winograd2d_wide has after its M (src/wasm/assembly/winograd2d.ts, planned by src/engine/fast/routines/winograd2d.ts). */
export namespace WINOGRAD2D_SCRATCH {
  /** where a group of 4 tiles spanning two V panels is staged ([points] vectors), past B^T along x's [tile + 2] rows of [8] vectors */
  export const STAGE: i32 = 1024;
  /** bytes of the scratch: STAGE's [64] vectors for 6x6 tiles; the output transform's A^T along x [tile + 2][tile] and y [tile][tile] fit too */
  export const BYTES: i32 = 2048;
}

/** The activation a routine applies after the bias (the ACT field); conv routines take NONE..RELU6. */
export namespace ACT {
  /** none */
  export const NONE: i32 = 0;
  /** relu: max(x, 0), NaN kept */
  export const RELU: i32 = 1;
  /** leaky_relu: x > 0 ? x : x * SLOPE */
  export const LEAKY: i32 = 2;
  /** relu6: min(max(x, 0), 6), NaN kept */
  export const RELU6: i32 = 3;
  /** hardtanh: min(max(x, LO), HI), NaN kept (eltwise only) */
  export const CLAMP: i32 = 4;
}

/** A pool fused into a conv routine's output (the POOL field), and the kinds pool_rows_f32 and the tile stores take. */
export namespace POOL {
  /** no fused pool */
  export const NONE: i32 = 0;
  /** max pool (NaN wins, as in PyTorch) */
  export const MAX: i32 = 1;
  /** average pool: the window's sum divided by POOL_DIV */
  export const AVG: i32 = 2;
  /** never in a descriptor: the 2-D Winograd tile stores' max pool of ReLU outputs (pmax and one NaN check, see f43.ts) */
  export const MAX_RELU: i32 = 3;
}

/** How the micro-kernels' epilogue writes a row (a fused pool's vertical reduction folds conv rows into an accumulator, older rows first). */
export namespace PUT {
  /** store the activated sums */
  export const STORE: i32 = 0;
  /** add them to what the row holds (average pool) */
  export const ADD: i32 = 1;
  /** keep the max of them and what the row holds (max pool) */
  export const MAX: i32 = 2;
}

/** The pad descriptor, read by pad_f32. A padded copy of a conv's input rows, [C][ROWS][PW], borders from index tables (any padding mode). The strided routine fills its tap panels with it (GATHER), and the depthwise routine pads a group's rows with it into its own scratch (padRows). */
export namespace PAD {
  /** addr: band row 0 of channel 0 (inside DST when the engine copied the input there) */
  export const SRC: i32 = 0;
  /** i32: floats between source channel planes */
  export const SRC_PLANE: i32 = 1;
  /** i32: source width (floats copied per row) */
  export const W: i32 = 2;
  /** addr: padded buffer: channel 0, padded row 0 */
  export const DST: i32 = 3;
  /** i32: floats between padded channel planes */
  export const DST_PLANE: i32 = 4;
  /** i32: padded width (floats per padded row) */
  export const PW: i32 = 5;
  /** i32: padded rows per channel */
  export const ROWS: i32 = 6;
  /** addr: i32[ROWS]: the band row each padded row copies, or -1 for zeros */
  export const ROWTAB: i32 = 7;
  /** addr: i32[PW]: the source column each padded column reads, or -1 for zeros */
  export const COLTAB: i32 = 8;
  /** i32: left padding (padded column of source column 0) */
  export const LEFT: i32 = 9;
  /** i32: floats between source rows (W, or PW when the band sits inside the padded buffer) */
  export const SRC_PITCH: i32 = 10;
  /** i32: 1: every column of a padded row comes from COLTAB (columns stored in phases for a strided conv), not only the borders */
  export const GATHER: i32 = 11;
  /** f32: the value of padded cells (0 for a conv; -inf for a max pool, where padding never wins) */
  export const FILL: i32 = 12;
  /** words in the descriptor */
  export const WORDS: i32 = 13;
  /** Debug build: the descriptor at d lies inside the memory, and each addr field holds 0 or an aligned address inside it. */
  export function check(d: usize): void {
    checkBlock(d, WORDS, MEMORY.RESERVED, 'pad descriptor: address');
    checkAddress(d, SRC, MEMORY.RESERVED, 'pad.SRC: address');
    checkAddress(d, DST, MEMORY.RESERVED, 'pad.DST: address');
    checkAddress(d, ROWTAB, MEMORY.RESERVED, 'pad.ROWTAB: address');
    checkAddress(d, COLTAB, MEMORY.RESERVED, 'pad.COLTAB: address');
  }
}

/** The conv2d descriptor, read by direct_f32, pointwise_f32, strided_f32, winograd1d_f32. A conv group as an indirect GEMM over input rows read in place (direct), gathered columns (strided) or row-wise Winograd transforms (winograd1d); + bias, activation and an optional pool with kernel = stride. */
export namespace CONV2D {
  /** addr: local input row 0 of the group's first channel (padded input, the band itself, or winograd1d's V) */
  export const IN: i32 = 0;
  /** i32: unused (keeps the other fields in place) */
  export const RESERVED: i32 = 1;
  /** i32: floats per input row (winograd1d: TP) */
  export const IN_PITCH: i32 = 2;
  /** addr: i32[K] (winograd1d: 6 tables of K): byte offset of reduction step k from a strip's first pixel */
  export const OFFS: i32 = 3;
  /** i32: reduction length: in/groups x kh x kw (winograd1d: in/groups x kh) */
  export const K: i32 = 4;
  /** addr: packed weights [OCB][K][4] (winograd1d: 6 panels W_XI bytes apart) */
  export const W: i32 = 5;
  /** i32: blocks of 4 output channels */
  export const OCB: i32 = 6;
  /** addr: f32[4 OCB] (zeros when the layer has none) */
  export const BIAS: i32 = 7;
  /** addr: local output row 0 of the group's first channel (0 with a fused pool: see POOL_OUT) */
  export const OUT: i32 = 8;
  /** i32: floats between output channel planes */
  export const OUT_PLANE: i32 = 9;
  /** i32: floats per output row */
  export const OUT_PITCH: i32 = 10;
  /** i32: output channels of the group */
  export const OC: i32 = 11;
  /** i32: conv output columns */
  export const OW: i32 = 12;
  /** i32: stride along y */
  export const SY: i32 = 13;
  /** i32: stride along x (strided: rows are gathered into COL first) */
  export const SX: i32 = 14;
  /** i32: activation code (ACT) */
  export const ACT: i32 = 15;
  /** f32: leaky_relu's negative slope */
  export const SLOPE: i32 = 16;
  /** addr: strided: per-thread gather panels [K][COL_PITCH] */
  export const COL: i32 = 17;
  /** i32: strided: bytes per thread of COL */
  export const COL_STRIDE: i32 = 18;
  /** i32: fused pool code (POOL): NONE, MAX or AVG */
  export const POOL: i32 = 19;
  /** i32: pool kernel height (= PSH) */
  export const PKH: i32 = 20;
  /** i32: pool kernel width */
  export const PKW: i32 = 21;
  /** i32: pool stride along y */
  export const PSH: i32 = 22;
  /** i32: pool stride along x */
  export const PSW: i32 = 23;
  /** addr: local pooled row 0 of the group's first channel */
  export const POOL_OUT: i32 = 24;
  /** i32: floats between pooled channel planes */
  export const POOL_OUT_PLANE: i32 = 25;
  /** i32: floats per pooled row */
  export const POOL_OUT_PITCH: i32 = 26;
  /** i32: pooled columns */
  export const POOL_OW: i32 = 27;
  /** f32: average pool divisor (1 for max) */
  export const POOL_DIV: i32 = 28;
  /** addr: fused pool: per-thread conv rows (or the direct routine's row accumulator) */
  export const SCRATCH: i32 = 29;
  /** i32: bytes per thread of SCRATCH */
  export const SCRATCH_STRIDE: i32 = 30;
  /** addr: strided: i32[K] = k x COL_PITCH x 4, the offsets into the gathered panel */
  export const OFFS_COL: i32 = 31;
  /** i32: strided: floats per gathered row */
  export const COL_PITCH: i32 = 32;
  /** i32: local conv row of local pooled row 0 */
  export const POOL_ROW_BASE: i32 = 33;
  /** i32: 1: row-wise Winograd F(4,3) (IN is then V, see winograd1d_input) */
  export const WINO: i32 = 34;
  /** i32: winograd1d: tiles per row */
  export const T: i32 = 35;
  /** i32: winograd1d: tile pitch in V and M (floats) */
  export const TP: i32 = 36;
  /** addr: winograd1d: per-thread products [6][4 OCB][NMAX TP] */
  export const M: i32 = 37;
  /** i32: winograd1d: bytes per thread of M */
  export const M_STRIDE: i32 = 38;
  /** i32: winograd1d: bytes between the 6 weight panels */
  export const W_XI: i32 = 39;
  /** addr: f32[4] zeros (the bias of the transformed products) */
  export const ZERO: i32 = 40;
  /** i32: winograd1d: output rows per GEMM (their tiles are one strip) */
  export const NMAX: i32 = 41;
  /** i32: fused pool: pooled rows per batch (their conv rows are one winograd1d GEMM) */
  export const PNP: i32 = 42;
  /** i32: direct with a fused pool: conv columns per chunk (a multiple of 8 and of PSW) */
  export const CW: i32 = 43;
  /** i32: no pool, no Winograd: bytes from an output float to the residual added to it before the activation (an add fused into the conv that ends a branch), 0: none */
  export const RES: i32 = 44;
  /** addr: pointwise: 0, or per-thread panels: each call first packs its rows' pixels, 8 at a time, into strips [K][8] (32 bytes a step) that the micro-kernels read in order, instead of K channel planes apart */
  export const PANEL: i32 = 45;
  /** i32: pointwise with PANEL: bytes per thread of PANEL, at least K x 32 x ceil(OW / 8) */
  export const PANEL_STRIDE: i32 = 46;
  /** addr: pointwise with PANEL: i32[K] = k x 32, the steps' offsets in a strip */
  export const PANEL_OFFS: i32 = 47;
  /** i32: pointwise with PANEL: strips a channel block runs over before the next block takes them (as many as half the L2 holds) */
  export const PANEL_GROUP: i32 = 48;
  /** words in the descriptor */
  export const WORDS: i32 = 49;
  /** Debug build: the descriptor at d lies inside the memory, and each addr field holds 0 or an aligned address inside it. */
  export function check(d: usize): void {
    checkBlock(d, WORDS, MEMORY.RESERVED, 'conv2d descriptor: address');
    checkAddress(d, IN, MEMORY.RESERVED, 'conv2d.IN: address');
    checkAddress(d, OFFS, MEMORY.RESERVED, 'conv2d.OFFS: address');
    checkAddress(d, W, MEMORY.RESERVED, 'conv2d.W: address');
    checkAddress(d, BIAS, MEMORY.RESERVED, 'conv2d.BIAS: address');
    checkAddress(d, OUT, MEMORY.RESERVED, 'conv2d.OUT: address');
    checkAddress(d, COL, MEMORY.RESERVED, 'conv2d.COL: address');
    checkAddress(d, POOL_OUT, MEMORY.RESERVED, 'conv2d.POOL_OUT: address');
    checkAddress(d, SCRATCH, MEMORY.RESERVED, 'conv2d.SCRATCH: address');
    checkAddress(d, OFFS_COL, MEMORY.RESERVED, 'conv2d.OFFS_COL: address');
    checkAddress(d, M, MEMORY.RESERVED, 'conv2d.M: address');
    checkAddress(d, ZERO, MEMORY.RESERVED, 'conv2d.ZERO: address');
    checkAddress(d, PANEL, MEMORY.RESERVED, 'conv2d.PANEL: address');
    checkAddress(d, PANEL_OFFS, MEMORY.RESERVED, 'conv2d.PANEL_OFFS: address');
  }
}

/** The winograd1d_input descriptor, read by winograd1d_input_f32. Row-wise Winograd F(4,3)'s input transform of padded rows: V = B^T d along x, [C][6][ROWS][TP]. */
export namespace WINOGRAD1D_INPUT {
  /** addr: padded input, channel 0, row 0 */
  export const SRC: i32 = 0;
  /** i32: floats per padded channel */
  export const SRC_PLANE: i32 = 1;
  /** i32: floats per padded row (>= 4 T + 2) */
  export const PW: i32 = 2;
  /** i32: padded rows per channel */
  export const ROWS: i32 = 3;
  /** addr: V: [channel][6][row][TP] */
  export const DST: i32 = 4;
  /** i32: tiles per row */
  export const T: i32 = 5;
  /** i32: tile pitch in V (floats) */
  export const TP: i32 = 6;
  /** words in the descriptor */
  export const WORDS: i32 = 7;
  /** Debug build: the descriptor at d lies inside the memory, and each addr field holds 0 or an aligned address inside it. */
  export function check(d: usize): void {
    checkBlock(d, WORDS, MEMORY.RESERVED, 'winograd1d_input descriptor: address');
    checkAddress(d, SRC, MEMORY.RESERVED, 'winograd1d_input.SRC: address');
    checkAddress(d, DST, MEMORY.RESERVED, 'winograd1d_input.DST: address');
  }
}

/** The depthwise descriptor, read by depthwise_f32, separable_f32, maxpool2d_f32. A conv with one input channel per group, all its groups in one descriptor, vectorised along x: direct taps (depthwise; an x-stride s reads padded rows whose columns are stored in s phases, or, with K3X3 2, plain rows) or two 1-D passes (separable); maxpool2d_f32 reads it too (OC 1, the max over the taps, no weights). Group g reads input plane g and writes output channels g OC .. g OC + OC - 1; its taps, factors and biases follow group g - 1's. */
export namespace DEPTHWISE {
  /** addr: local input row 0 of input channel 0 (padded input or band) */
  export const IN: i32 = 0;
  /** i32: floats between input channel planes */
  export const IN_PLANE: i32 = 1;
  /** i32: groups (input channels) */
  export const GROUPS: i32 = 2;
  /** i32: output rows of each group: unit u is row u % ROWS of group u / ROWS */
  export const ROWS: i32 = 3;
  /** i32: floats per input row */
  export const IN_PITCH: i32 = 4;
  /** i32: stride along y */
  export const SY: i32 = 5;
  /** i32: output columns */
  export const OW: i32 = 6;
  /** i32: output channels of the group (the channel multiplier) */
  export const OC: i32 = 7;
  /** i32: depthwise: taps, kh x kw */
  export const K: i32 = 8;
  /** addr: depthwise: i32[K] byte offsets of the taps from an output row's first pixel (x-stride > 1: into the column phases) */
  export const OFFS: i32 = 9;
  /** addr: depthwise: f32[GROUPS][OC][K] taps */
  export const W: i32 = 10;
  /** addr: f32[GROUPS][OC] */
  export const BIAS: i32 = 11;
  /** addr: local output row 0 of output channel 0 */
  export const OUT: i32 = 12;
  /** i32: floats between output channel planes */
  export const OUT_PLANE: i32 = 13;
  /** i32: floats per output row */
  export const OUT_PITCH: i32 = 14;
  /** i32: activation code (ACT) */
  export const ACT: i32 = 15;
  /** f32: leaky_relu's negative slope */
  export const SLOPE: i32 = 16;
  /** i32: 1: two 1-D passes (separable) */
  export const SEP: i32 = 17;
  /** i32: kernel height */
  export const KH: i32 = 18;
  /** addr: separable: i32[KH] = ky dy pitch x 4 */
  export const VOFFS: i32 = 19;
  /** addr: separable: f32[GROUPS][OC][KH] column factors */
  export const VW: i32 = 20;
  /** i32: kernel width */
  export const KW: i32 = 21;
  /** addr: separable: i32[KW] = kx dx x 4 */
  export const HOFFS: i32 = 22;
  /** addr: separable: f32[GROUPS][OC][KW] row factors (batchnorm folded in) */
  export const HW: i32 = 23;
  /** addr: separable: per-thread row of SPAN + 16 floats */
  export const TMP: i32 = 24;
  /** i32: separable: bytes per thread of TMP */
  export const TMP_STRIDE: i32 = 25;
  /** i32: separable: columns of the vertical pass, (OW - 1) + (KW - 1) dx + 1 */
  export const SPAN: i32 = 26;
  /** addr: 0: IN holds the padded rows; else a pad descriptor (its DST unused) whose rows of the group a unit reads are padded by the routine itself into the thread's PAD_TMP, and IN is unused */
  export const PAD: i32 = 27;
  /** addr: with PAD: per-thread padded rows of one group, PAD_ROWS rows of IN_PITCH floats */
  export const PAD_TMP: i32 = 28;
  /** i32: with PAD: bytes per thread of PAD_TMP */
  export const PAD_TMP_STRIDE: i32 = 29;
  /** i32: with PAD: padded rows PAD_TMP holds, at least READ_ROWS */
  export const PAD_ROWS: i32 = 30;
  /** i32: with PAD: padded rows one output row reads, (KH - 1) dy + 1 */
  export const READ_ROWS: i32 = 31;
  /** i32: depthwise: 0, or the x-stride (1 or 2) of a 3x3 conv with x-dilation 1 whose taps the routine holds in registers; at 2 it reads plain padded rows (no column phases) and takes their even and odd columns apart itself. OFFS are then kernel rows of 3 adjacent columns. maxpool2d_f32: the same for 3x3 windows with dilation 1, over rows it pads itself (PAD) */
  export const K3X3: i32 = 32;
  /** i32: depthwise with K3X3 and PAD: 1 when the padding is zeros, one column on the left and at most one on the right, dilation 1: the rows ROWTAB gives are read where they lie (PAD's SRC), padding columns made zero in registers, no PAD_TMP */
  export const IN_PLACE: i32 = 33;
  /** addr: with IN_PLACE: a row of zeros (padding rows), with zeros 16 bytes before it and past the widest read */
  export const ZERO: i32 = 34;
  /** words in the descriptor */
  export const WORDS: i32 = 35;
  /** Debug build: the descriptor at d lies inside the memory, and each addr field holds 0 or an aligned address inside it. */
  export function check(d: usize): void {
    checkBlock(d, WORDS, MEMORY.RESERVED, 'depthwise descriptor: address');
    checkAddress(d, IN, MEMORY.RESERVED, 'depthwise.IN: address');
    checkAddress(d, OFFS, MEMORY.RESERVED, 'depthwise.OFFS: address');
    checkAddress(d, W, MEMORY.RESERVED, 'depthwise.W: address');
    checkAddress(d, BIAS, MEMORY.RESERVED, 'depthwise.BIAS: address');
    checkAddress(d, OUT, MEMORY.RESERVED, 'depthwise.OUT: address');
    checkAddress(d, VOFFS, MEMORY.RESERVED, 'depthwise.VOFFS: address');
    checkAddress(d, VW, MEMORY.RESERVED, 'depthwise.VW: address');
    checkAddress(d, HOFFS, MEMORY.RESERVED, 'depthwise.HOFFS: address');
    checkAddress(d, HW, MEMORY.RESERVED, 'depthwise.HW: address');
    checkAddress(d, TMP, MEMORY.RESERVED, 'depthwise.TMP: address');
    checkAddress(d, PAD, MEMORY.RESERVED, 'depthwise.PAD: address');
    checkAddress(d, PAD_TMP, MEMORY.RESERVED, 'depthwise.PAD_TMP: address');
    checkAddress(d, ZERO, MEMORY.RESERVED, 'depthwise.ZERO: address');
  }
}

/** The winograd2d descriptor, read by winograd2d_f32, winograd2d_input_f32, winograd2d_wide_f32, winograd2d_wide_input_f32. 2-D Winograd F(4x4,3x3) (P = 36 transform points) or, for winograd2d_wide, F(6x6,3x3) (P = 64) for 3x3 stride-1 convs: input transform, P GEMMs M = U V, output transform (+ bias, activation, a 2x2 or, with 4x4 tiles, 4x4 pool). */
export namespace WINOGRAD2D {
  /** addr: padded input: channel 0, first padded row of tile row 0 */
  export const IN: i32 = 0;
  /** i32: floats per padded channel */
  export const IN_PLANE: i32 = 1;
  /** i32: floats per padded row (>= tile x TP + 2) */
  export const IN_PITCH: i32 = 2;
  /** i32: input channels of the group */
  export const C: i32 = 3;
  /** addr: packed U: P panels [OCB][C][4] */
  export const W: i32 = 4;
  /** i32: bytes between U's panels */
  export const W_XI: i32 = 5;
  /** i32: output channels of the group; OCB (in W, BIAS, M) is ceil(OC / 4) */
  export const OC: i32 = 6;
  /** addr: f32[4 OCB] */
  export const BIAS: i32 = 7;
  /** i32: TW rounded up to a multiple of 4: the input rows' pitch covers the columns of TP tiles (a row's last group of 4 tiles is transformed whole; tiles past the map's width are computed, never stored) */
  export const TP: i32 = 8;
  /** i32: tile rows per batch (one batch: input transform, P GEMMs, output transform) */
  export const NR: i32 = 9;
  /** addr: per-thread V [P][(NR TC + 3) / 8 panels, rounded up][C][8 tiles] (SHARED: one slot per batch and chunk) */
  export const V: i32 = 10;
  /** i32: bytes per V slot */
  export const V_STRIDE: i32 = 11;
  /** addr: per-thread M [P][4 x the item's blocks][NR TC] (row 0: block b0), then 2 KiB of transform scratch */
  export const M: i32 = 12;
  /** i32: bytes per thread of M */
  export const M_STRIDE: i32 = 13;
  /** addr: local output row 0 of the group's first channel (the pool's output when POOL != NONE) */
  export const OUT: i32 = 14;
  /** i32: floats between output channel planes */
  export const OUT_PLANE: i32 = 15;
  /** i32: floats per output row */
  export const OUT_PITCH: i32 = 16;
  /** i32: output columns (pooled columns with a pool) */
  export const OW: i32 = 17;
  /** i32: local output row of tile row 0's first row (<= 0) */
  export const ROW0: i32 = 18;
  /** i32: local output rows stored: [0, ROWS) */
  export const ROWS: i32 = 19;
  /** i32: activation code (ACT) */
  export const ACT: i32 = 20;
  /** f32: leaky_relu's negative slope */
  export const SLOPE: i32 = 21;
  /** i32: fused pool code (POOL): NONE, MAX or AVG */
  export const POOL: i32 = 22;
  /** i32: pool kernel = stride on both axes: 2, or 4 with 4x4 tiles */
  export const PK: i32 = 23;
  /** f32: average pool divisor */
  export const POOL_DIV: i32 = 24;
  /** i32: bytes between V's P planes (an odd number of 64-byte lines) */
  export const V_XI: i32 = 25;
  /** i32: bytes between M's P planes (likewise) */
  export const M_XI: i32 = 26;
  /** i32: tiles per chunk along x: TP, or fewer (a multiple of 8) to keep U, V and M in L2 */
  export const TC: i32 = 27;
  /** i32: 1: V is transformed beforehand by winograd2d_input_f32 or winograd2d_wide_input_f32 (threads split channel blocks) */
  export const SHARED: i32 = 28;
  /** i32: tile rows (what the input phase covers) */
  export const NT: i32 = 29;
  /** i32: tiles the map needs per tile row (TP - 3 .. TP); a batch packs its rows' tiles into V and M without gaps */
  export const TW: i32 = 30;
  /** words in the descriptor */
  export const WORDS: i32 = 31;
  /** Debug build: the descriptor at d lies inside the memory, and each addr field holds 0 or an aligned address inside it. */
  export function check(d: usize): void {
    checkBlock(d, WORDS, MEMORY.RESERVED, 'winograd2d descriptor: address');
    checkAddress(d, IN, MEMORY.RESERVED, 'winograd2d.IN: address');
    checkAddress(d, W, MEMORY.RESERVED, 'winograd2d.W: address');
    checkAddress(d, BIAS, MEMORY.RESERVED, 'winograd2d.BIAS: address');
    checkAddress(d, V, MEMORY.RESERVED, 'winograd2d.V: address');
    checkAddress(d, M, MEMORY.RESERVED, 'winograd2d.M: address');
    checkAddress(d, OUT, MEMORY.RESERVED, 'winograd2d.OUT: address');
  }
}

/** The winograd2d_small descriptor, read by winograd2d_small_f32. 2-D Winograd F(4x4,3x3) for 3x3 stride-1 convs with few input channels: products summed over channels in registers, no GEMM. */
export namespace WINOGRAD2D_SMALL {
  /** addr: padded input: channel 0, first padded row of unit 0 */
  export const IN: i32 = 0;
  /** i32: floats per padded channel */
  export const IN_PLANE: i32 = 1;
  /** i32: floats per padded row */
  export const IN_PITCH: i32 = 2;
  /** i32: input channels of the group */
  export const C: i32 = 3;
  /** i32: output channels of the group */
  export const OC: i32 = 4;
  /** addr: packed U: 36 panels [OCB][C][4] (packWinograd2d's tile 4) */
  export const W: i32 = 5;
  /** addr: f32[OCB][4] */
  export const BIAS: i32 = 6;
  /** i32: tile stride: 4 */
  export const S: i32 = 7;
  /** i32: groups of 4 tiles per tile row */
  export const TQ: i32 = 8;
  /** addr: local output row 0 of the group's first channel (the pool's output when POOL != NONE) */
  export const OUT: i32 = 9;
  /** i32: floats between output channel planes */
  export const OUT_PLANE: i32 = 10;
  /** i32: floats per output row */
  export const OUT_PITCH: i32 = 11;
  /** i32: conv output columns */
  export const OW: i32 = 12;
  /** i32: local output row (pooled with a pool) of unit 0's first row (<= 0) */
  export const ROW0: i32 = 13;
  /** i32: local output rows stored: [0, ROWS) */
  export const ROWS: i32 = 14;
  /** i32: activation code (ACT) */
  export const ACT: i32 = 15;
  /** f32: leaky_relu's negative slope */
  export const SLOPE: i32 = 16;
  /** i32: conv rows per unit of work: S, or the pool stride when it is a multiple of S */
  export const UNIT: i32 = 17;
  /** i32: fused pool code (POOL): NONE, MAX or AVG */
  export const POOL: i32 = 18;
  /** i32: pool kernel = stride along y */
  export const PKH: i32 = 19;
  /** i32: pool kernel = stride along x */
  export const PKW: i32 = 20;
  /** i32: pooled columns */
  export const POOL_OW: i32 = 21;
  /** f32: average pool divisor */
  export const POOL_DIV: i32 = 22;
  /** addr: per thread: WINOGRAD2D_SMALL_SCRATCH */
  export const SCRATCH: i32 = 23;
  /** i32: bytes per thread of SCRATCH */
  export const SCRATCH_STRIDE: i32 = 24;
  /** i32: floats per row of the row buffer when a tile row's rows go through it (no pool, or a square 2x2 / 4x4 one); 0: other pools */
  export const BUF_PITCH: i32 = 25;
  /** words in the descriptor */
  export const WORDS: i32 = 26;
  /** Debug build: the descriptor at d lies inside the memory, and each addr field holds 0 or an aligned address inside it. */
  export function check(d: usize): void {
    checkBlock(d, WORDS, MEMORY.RESERVED, 'winograd2d_small descriptor: address');
    checkAddress(d, IN, MEMORY.RESERVED, 'winograd2d_small.IN: address');
    checkAddress(d, W, MEMORY.RESERVED, 'winograd2d_small.W: address');
    checkAddress(d, BIAS, MEMORY.RESERVED, 'winograd2d_small.BIAS: address');
    checkAddress(d, OUT, MEMORY.RESERVED, 'winograd2d_small.OUT: address');
    checkAddress(d, SCRATCH, MEMORY.RESERVED, 'winograd2d_small.SCRATCH: address');
  }
}

/** The winograd1d_small descriptor, read by winograd1d_small_f32. Row-wise Winograd F(4,3) / F(4,5) for 3- or 5-wide convs with few input channels: a ring of transformed rows, products summed over channels and kernel rows in registers. */
export namespace WINOGRAD1D_SMALL {
  /** addr: padded input: channel 0, the padded row local output row 0 reads first */
  export const IN: i32 = 0;
  /** i32: floats per padded channel */
  export const IN_PLANE: i32 = 1;
  /** i32: floats per padded row (>= 16 TQ + 4) */
  export const IN_PITCH: i32 = 2;
  /** i32: input channels of the group */
  export const C: i32 = 3;
  /** i32: output channels of the group */
  export const OC: i32 = 4;
  /** addr: U: [KH rotations][OC][step chunks][(R + 3) / 2 point pairs][5 steps][2 points] x 4 lanes */
  export const W: i32 = 5;
  /** addr: f32[GROUPS][OC] */
  export const BIAS: i32 = 6;
  /** i32: kernel height (ring slots, at most 32) */
  export const KH: i32 = 7;
  /** i32: stride along y */
  export const SY: i32 = 8;
  /** i32: global padded row of local padded row 0 (>= 0): picks ring slots and weight rotations */
  export const ROW0: i32 = 9;
  /** i32: groups of 4 tiles (16 outputs) per row */
  export const TQ: i32 = 10;
  /** addr: local output row 0 of the group's first channel (the pool's output when POOL != NONE) */
  export const OUT: i32 = 11;
  /** i32: floats between output channel planes */
  export const OUT_PLANE: i32 = 12;
  /** i32: floats per output row */
  export const OUT_PITCH: i32 = 13;
  /** i32: conv output columns */
  export const OW: i32 = 14;
  /** i32: activation code (ACT) */
  export const ACT: i32 = 15;
  /** f32: leaky_relu's negative slope */
  export const SLOPE: i32 = 16;
  /** i32: fused pool code (POOL): NONE, MAX or AVG, kernel = stride */
  export const POOL: i32 = 17;
  /** i32: pool kernel height */
  export const PKH: i32 = 18;
  /** i32: pool kernel width */
  export const PKW: i32 = 19;
  /** i32: pooled columns */
  export const POOL_OW: i32 = 20;
  /** f32: average pool divisor */
  export const POOL_DIV: i32 = 21;
  /** addr: per thread: slot tags, the ring, M, the pool accumulator */
  export const SCRATCH: i32 = 22;
  /** i32: bytes per thread of SCRATCH */
  export const SCRATCH_STRIDE: i32 = 23;
  /** i32: kernel width: 3 (F(4,3), 6 points) or 5 (F(4,5), 8 points) */
  export const R: i32 = 24;
  /** words in the descriptor */
  export const WORDS: i32 = 25;
  /** Debug build: the descriptor at d lies inside the memory, and each addr field holds 0 or an aligned address inside it. */
  export function check(d: usize): void {
    checkBlock(d, WORDS, MEMORY.RESERVED, 'winograd1d_small descriptor: address');
    checkAddress(d, IN, MEMORY.RESERVED, 'winograd1d_small.IN: address');
    checkAddress(d, W, MEMORY.RESERVED, 'winograd1d_small.W: address');
    checkAddress(d, BIAS, MEMORY.RESERVED, 'winograd1d_small.BIAS: address');
    checkAddress(d, OUT, MEMORY.RESERVED, 'winograd1d_small.OUT: address');
    checkAddress(d, SCRATCH, MEMORY.RESERVED, 'winograd1d_small.SCRATCH: address');
  }
}

/** The eltwise descriptor, read by eltwise_f32. A per-value layer on whole channel runs: out = act(x * SCALE[c] + SHIFT[c] (+ y)): batchnorm2d and activations alone, an add of two maps, a copy into a concatenation's channels. Units are chunks of CHUNK floats of one channel (CHUNKS per channel). */
export namespace ELTWISE {
  /** addr: the first source: channel 0 at the first output row */
  export const X: i32 = 0;
  /** i32: floats between the first source's channel planes */
  export const X_PLANE: i32 = 1;
  /** addr: the second source (added to the first), channel 0 at the first output row; 0 for none */
  export const Y: i32 = 2;
  /** i32: floats between the second source's channel planes */
  export const Y_PLANE: i32 = 3;
  /** addr: the output: channel 0 at its first row */
  export const OUT: i32 = 4;
  /** i32: floats between output channel planes */
  export const OUT_PLANE: i32 = 5;
  /** i32: floats per channel (output rows x width, contiguous in every source and the output) */
  export const N: i32 = 6;
  /** i32: floats per unit (a multiple of 4) */
  export const CHUNK: i32 = 7;
  /** i32: units per channel: ceil(N / CHUNK) */
  export const CHUNKS: i32 = 8;
  /** addr: f32[C]: per-channel factor of the first source (batchnorm); 0 for 1 */
  export const SCALE: i32 = 9;
  /** addr: f32[C]: per-channel term added after the factor (batchnorm); 0 for 0 */
  export const SHIFT: i32 = 10;
  /** i32: activation code (ACT), applied last */
  export const ACT: i32 = 11;
  /** f32: leaky_relu's negative slope */
  export const SLOPE: i32 = 12;
  /** f32: CLAMP's lower bound */
  export const LO: i32 = 13;
  /** f32: CLAMP's upper bound */
  export const HI: i32 = 14;
  /** words in the descriptor */
  export const WORDS: i32 = 15;
  /** Debug build: the descriptor at d lies inside the memory, and each addr field holds 0 or an aligned address inside it. */
  export function check(d: usize): void {
    checkBlock(d, WORDS, MEMORY.RESERVED, 'eltwise descriptor: address');
    checkAddress(d, X, MEMORY.RESERVED, 'eltwise.X: address');
    checkAddress(d, Y, MEMORY.RESERVED, 'eltwise.Y: address');
    checkAddress(d, OUT, MEMORY.RESERVED, 'eltwise.OUT: address');
    checkAddress(d, SCALE, MEMORY.RESERVED, 'eltwise.SCALE: address');
    checkAddress(d, SHIFT, MEMORY.RESERVED, 'eltwise.SHIFT: address');
  }
}

/** The pixels descriptor, read by pixels_f32. An image's 8-bit pixels to the planar float32 input (src/engine/pixels.ts): each channel looks up one sample of every pixel in its table of 256 values. Units are runs of UNIT_ROWS rows of one channel (UNITS per channel). */
export namespace PIXELS {
  /** addr: the pixels: interleaved samples, HAVE a pixel, W pixels a row, ROWS rows */
  export const SRC: i32 = 0;
  /** i32: samples per pixel (1 to 4) */
  export const HAVE: i32 = 1;
  /** i32: pixels per row */
  export const W: i32 = 2;
  /** i32: rows */
  export const ROWS: i32 = 3;
  /** addr: i32[C]: the sample of a pixel each channel reads */
  export const SOURCES: i32 = 4;
  /** addr: f32[C][256]: each channel's value at each level */
  export const TABLES: i32 = 5;
  /** addr: channel 0, row 0 of the input (or of its place in the first layer's padded buffer) */
  export const DST: i32 = 6;
  /** i32: floats between channel planes */
  export const DST_PLANE: i32 = 7;
  /** i32: floats between rows */
  export const DST_PITCH: i32 = 8;
  /** i32: rows per unit */
  export const UNIT_ROWS: i32 = 9;
  /** i32: units per channel: ceil(ROWS / UNIT_ROWS) */
  export const UNITS: i32 = 10;
  /** words in the descriptor */
  export const WORDS: i32 = 11;
  /** Debug build: the descriptor at d lies inside the memory, and each addr field holds 0 or an aligned address inside it. */
  export function check(d: usize): void {
    checkBlock(d, WORDS, MEMORY.RESERVED, 'pixels descriptor: address');
    checkAddress(d, SRC, MEMORY.RESERVED, 'pixels.SRC: address');
    checkAddress(d, SOURCES, MEMORY.RESERVED, 'pixels.SOURCES: address');
    checkAddress(d, TABLES, MEMORY.RESERVED, 'pixels.TABLES: address');
    checkAddress(d, DST, MEMORY.RESERVED, 'pixels.DST: address');
  }
}
