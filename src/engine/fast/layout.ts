// Auto-generated. Do not edit. Source: src/wasm/layout.json. Generator: scripts/gen-layout.mjs.
// The data layout the planner shares with the routines (src/wasm/assembly/layout.ts is the same, for AssemblyScript).

/** The first 64 KiB of the shared memory, which the heap never allocates (src/engine/fast/memory.ts). */
export const MEMORY = {
  /** static data of the module (only the debug build has any: its assert messages) lies below this address */
  STATIC_END: 16384,
  /** the workers' barrier: one i32, the phase in progress, the workers that joined the run and those that arrived (src/engine/fast/worker.ts) */
  BARRIER: 16384,
  /** one i32 work counter per phase of a run message, 64 bytes apart: the next item of that phase to take; in a profiled run, the f64 8 bytes after it holds when the phase ended */
  WORK_COUNTERS: 16512,
  /** bytes at address 0 the heap never allocates (null stays invalid) */
  RESERVED: 65536,
} as const;

/** The scratch each thread of winograd2d_small has, from SCRATCH (src/wasm/assembly/winograd2d_small.ts, planned by src/engine/fast/routines/winograd2d_small.ts). */
export const WINOGRAD2D_SMALL_SCRATCH = {
  /** one tile's outputs [4][4] (4 output channels a vector), past the transforms' rows at 0: B^T along x [6][6], then A^T along x [6][4] */
  Y: 640,
  /** the pooled outputs of 4 tiles, [2][8] (2x2 windows) or [4] (4x4), before they are transposed into channel rows */
  POOLED: 896,
  /** the products of 4 tiles and 2 blocks of 4 output channels: [36 points][4 tiles][2 blocks] vectors */
  M: 1152,
  /** the transformed input [C][36] vectors (lane i = tile i), then the row buffer */
  V: 5760,
} as const;

/** The transform scratch each thread of winograd2d and winograd2d_wide has after its M (src/wasm/assembly/winograd2d.ts, planned by src/engine/fast/routines/winograd2d.ts). */
export const WINOGRAD2D_SCRATCH = {
  /** where a group of 4 tiles spanning two V panels is staged ([points] vectors), past B^T along x's [tile + 2] rows of [8] vectors */
  STAGE: 1024,
  /** bytes of the scratch: STAGE's [64] vectors for 6x6 tiles; the output transform's A^T along x [tile + 2][tile] and y [tile][tile] fit too */
  BYTES: 2048,
} as const;

/** The activation a routine applies after the bias (the ACT field); conv routines take NONE..RELU6. */
export const ACT = {
  /** none */
  NONE: 0,
  /** relu: max(x, 0), NaN kept */
  RELU: 1,
  /** leaky_relu: x > 0 ? x : x * SLOPE */
  LEAKY: 2,
  /** relu6: min(max(x, 0), 6), NaN kept */
  RELU6: 3,
  /** hardtanh: min(max(x, LO), HI), NaN kept (eltwise only) */
  CLAMP: 4,
} as const;

/** A pool fused into a conv routine's output (the POOL field), and the kinds pool_rows_f32 and the tile stores take. */
export const POOL = {
  /** no fused pool */
  NONE: 0,
  /** max pool (NaN wins, as in PyTorch) */
  MAX: 1,
  /** average pool: the window's sum divided by POOL_DIV */
  AVG: 2,
  /** never in a descriptor: the 2-D Winograd tile stores' max pool of ReLU outputs (pmax and one NaN check, see f43.ts) */
  MAX_RELU: 3,
} as const;

/** How the micro-kernels' epilogue writes a row (a fused pool's vertical reduction folds conv rows into an accumulator, older rows first). */
export const PUT = {
  /** store the activated sums */
  STORE: 0,
  /** add them to what the row holds (average pool) */
  ADD: 1,
  /** keep the max of them and what the row holds (max pool) */
  MAX: 2,
} as const;

/** The pad descriptor, read by pad_f32. A padded copy of a conv's input rows, [C][ROWS][PW], borders from index tables (any padding mode). The strided routine fills its tap panels with it (GATHER), and the depthwise routine pads a group's rows with it into its own scratch (padRows). */
export const PAD = {
  name: 'pad',
  readers: ['pad_f32'],
  words: 13,
  fields: {
    /** band row 0 of channel 0 (inside DST when the engine copied the input there) */
    SRC: { index: 0, type: 'addr' },
    /** floats between source channel planes */
    SRC_PLANE: { index: 1, type: 'i32' },
    /** source width (floats copied per row) */
    W: { index: 2, type: 'i32' },
    /** padded buffer: channel 0, padded row 0 */
    DST: { index: 3, type: 'addr' },
    /** floats between padded channel planes */
    DST_PLANE: { index: 4, type: 'i32' },
    /** padded width (floats per padded row) */
    PW: { index: 5, type: 'i32' },
    /** padded rows per channel */
    ROWS: { index: 6, type: 'i32' },
    /** i32[ROWS]: the band row each padded row copies, or -1 for zeros */
    ROWTAB: { index: 7, type: 'addr' },
    /** i32[PW]: the source column each padded column reads, or -1 for zeros */
    COLTAB: { index: 8, type: 'addr' },
    /** left padding (padded column of source column 0) */
    LEFT: { index: 9, type: 'i32' },
    /** floats between source rows (W, or PW when the band sits inside the padded buffer) */
    SRC_PITCH: { index: 10, type: 'i32' },
    /** 1: every column of a padded row comes from COLTAB (columns stored in phases for a strided conv), not only the borders */
    GATHER: { index: 11, type: 'i32' },
    /** the value of padded cells (0 for a conv; -inf for a max pool, where padding never wins) */
    FILL: { index: 12, type: 'f32' },
  },
} as const;

/** The conv2d descriptor, read by direct_f32, pointwise_f32, strided_f32, winograd1d_f32. A conv group as an indirect GEMM over input rows read in place (direct), gathered columns (strided) or row-wise Winograd transforms (winograd1d); + bias, activation and an optional pool with kernel = stride. */
export const CONV2D = {
  name: 'conv2d',
  readers: ['direct_f32', 'pointwise_f32', 'strided_f32', 'winograd1d_f32'],
  words: 49,
  fields: {
    /** local input row 0 of the group's first channel (padded input, the band itself, or winograd1d's V) */
    IN: { index: 0, type: 'addr' },
    /** unused (keeps the other fields in place) */
    RESERVED: { index: 1, type: 'i32' },
    /** floats per input row (winograd1d: TP) */
    IN_PITCH: { index: 2, type: 'i32' },
    /** i32[K] (winograd1d: 6 tables of K): byte offset of reduction step k from a strip's first pixel */
    OFFS: { index: 3, type: 'addr' },
    /** reduction length: in/groups x kh x kw (winograd1d: in/groups x kh) */
    K: { index: 4, type: 'i32' },
    /** packed weights [OCB][K][4] (winograd1d: 6 panels W_XI bytes apart) */
    W: { index: 5, type: 'addr' },
    /** blocks of 4 output channels */
    OCB: { index: 6, type: 'i32' },
    /** f32[4 OCB] (zeros when the layer has none) */
    BIAS: { index: 7, type: 'addr' },
    /** local output row 0 of the group's first channel (0 with a fused pool: see POOL_OUT) */
    OUT: { index: 8, type: 'addr' },
    /** floats between output channel planes */
    OUT_PLANE: { index: 9, type: 'i32' },
    /** floats per output row */
    OUT_PITCH: { index: 10, type: 'i32' },
    /** output channels of the group */
    OC: { index: 11, type: 'i32' },
    /** conv output columns */
    OW: { index: 12, type: 'i32' },
    /** stride along y */
    SY: { index: 13, type: 'i32' },
    /** stride along x (strided: rows are gathered into COL first) */
    SX: { index: 14, type: 'i32' },
    /** activation code (ACT) */
    ACT: { index: 15, type: 'i32' },
    /** leaky_relu's negative slope */
    SLOPE: { index: 16, type: 'f32' },
    /** strided: per-thread gather panels [K][COL_PITCH] */
    COL: { index: 17, type: 'addr' },
    /** strided: bytes per thread of COL */
    COL_STRIDE: { index: 18, type: 'i32' },
    /** fused pool code (POOL): NONE, MAX or AVG */
    POOL: { index: 19, type: 'i32' },
    /** pool kernel height (= PSH) */
    PKH: { index: 20, type: 'i32' },
    /** pool kernel width */
    PKW: { index: 21, type: 'i32' },
    /** pool stride along y */
    PSH: { index: 22, type: 'i32' },
    /** pool stride along x */
    PSW: { index: 23, type: 'i32' },
    /** local pooled row 0 of the group's first channel */
    POOL_OUT: { index: 24, type: 'addr' },
    /** floats between pooled channel planes */
    POOL_OUT_PLANE: { index: 25, type: 'i32' },
    /** floats per pooled row */
    POOL_OUT_PITCH: { index: 26, type: 'i32' },
    /** pooled columns */
    POOL_OW: { index: 27, type: 'i32' },
    /** average pool divisor (1 for max) */
    POOL_DIV: { index: 28, type: 'f32' },
    /** fused pool: per-thread conv rows (or the direct routine's row accumulator) */
    SCRATCH: { index: 29, type: 'addr' },
    /** bytes per thread of SCRATCH */
    SCRATCH_STRIDE: { index: 30, type: 'i32' },
    /** strided: i32[K] = k x COL_PITCH x 4, the offsets into the gathered panel */
    OFFS_COL: { index: 31, type: 'addr' },
    /** strided: floats per gathered row */
    COL_PITCH: { index: 32, type: 'i32' },
    /** local conv row of local pooled row 0 */
    POOL_ROW_BASE: { index: 33, type: 'i32' },
    /** 1: row-wise Winograd F(4,3) (IN is then V, see winograd1d_input) */
    WINO: { index: 34, type: 'i32' },
    /** winograd1d: tiles per row */
    T: { index: 35, type: 'i32' },
    /** winograd1d: tile pitch in V and M (floats) */
    TP: { index: 36, type: 'i32' },
    /** winograd1d: per-thread products [6][4 OCB][NMAX TP] */
    M: { index: 37, type: 'addr' },
    /** winograd1d: bytes per thread of M */
    M_STRIDE: { index: 38, type: 'i32' },
    /** winograd1d: bytes between the 6 weight panels */
    W_XI: { index: 39, type: 'i32' },
    /** f32[4] zeros (the bias of the transformed products) */
    ZERO: { index: 40, type: 'addr' },
    /** winograd1d: output rows per GEMM (their tiles are one strip) */
    NMAX: { index: 41, type: 'i32' },
    /** fused pool: pooled rows per batch (their conv rows are one winograd1d GEMM) */
    PNP: { index: 42, type: 'i32' },
    /** direct with a fused pool: conv columns per chunk (a multiple of 8 and of PSW) */
    CW: { index: 43, type: 'i32' },
    /** no pool, no Winograd: bytes from an output float to the residual added to it before the activation (an add fused into the conv that ends a branch), 0: none */
    RES: { index: 44, type: 'i32' },
    /** pointwise: 0, or per-thread panels: each call first packs its rows' pixels, 8 at a time, into strips [K][8] (32 bytes a step) that the micro-kernels read in order, instead of K channel planes apart */
    PANEL: { index: 45, type: 'addr' },
    /** pointwise with PANEL: bytes per thread of PANEL, at least K x 32 x ceil(OW / 8) */
    PANEL_STRIDE: { index: 46, type: 'i32' },
    /** pointwise with PANEL: i32[K] = k x 32, the steps' offsets in a strip */
    PANEL_OFFS: { index: 47, type: 'addr' },
    /** pointwise with PANEL: strips a channel block runs over before the next block takes them (as many as half the L2 holds) */
    PANEL_GROUP: { index: 48, type: 'i32' },
  },
} as const;

/** The winograd1d_input descriptor, read by winograd1d_input_f32. Row-wise Winograd F(4,3)'s input transform of padded rows: V = B^T d along x, [C][6][ROWS][TP]. */
export const WINOGRAD1D_INPUT = {
  name: 'winograd1d_input',
  readers: ['winograd1d_input_f32'],
  words: 7,
  fields: {
    /** padded input, channel 0, row 0 */
    SRC: { index: 0, type: 'addr' },
    /** floats per padded channel */
    SRC_PLANE: { index: 1, type: 'i32' },
    /** floats per padded row (>= 4 T + 2) */
    PW: { index: 2, type: 'i32' },
    /** padded rows per channel */
    ROWS: { index: 3, type: 'i32' },
    /** V: [channel][6][row][TP] */
    DST: { index: 4, type: 'addr' },
    /** tiles per row */
    T: { index: 5, type: 'i32' },
    /** tile pitch in V (floats) */
    TP: { index: 6, type: 'i32' },
  },
} as const;

/** The depthwise descriptor, read by depthwise_f32, separable_f32, maxpool2d_f32. A conv with one input channel per group, all its groups in one descriptor, vectorised along x: direct taps (depthwise; an x-stride s reads padded rows whose columns are stored in s phases, or, with K3X3 2, plain rows) or two 1-D passes (separable); maxpool2d_f32 reads it too (OC 1, the max over the taps, no weights). Group g reads input plane g and writes output channels g OC .. g OC + OC - 1; its taps, factors and biases follow group g - 1's. */
export const DEPTHWISE = {
  name: 'depthwise',
  readers: ['depthwise_f32', 'separable_f32', 'maxpool2d_f32'],
  words: 35,
  fields: {
    /** local input row 0 of input channel 0 (padded input or band) */
    IN: { index: 0, type: 'addr' },
    /** floats between input channel planes */
    IN_PLANE: { index: 1, type: 'i32' },
    /** groups (input channels) */
    GROUPS: { index: 2, type: 'i32' },
    /** output rows of each group: unit u is row u % ROWS of group u / ROWS */
    ROWS: { index: 3, type: 'i32' },
    /** floats per input row */
    IN_PITCH: { index: 4, type: 'i32' },
    /** stride along y */
    SY: { index: 5, type: 'i32' },
    /** output columns */
    OW: { index: 6, type: 'i32' },
    /** output channels of the group (the channel multiplier) */
    OC: { index: 7, type: 'i32' },
    /** depthwise: taps, kh x kw */
    K: { index: 8, type: 'i32' },
    /** depthwise: i32[K] byte offsets of the taps from an output row's first pixel (x-stride > 1: into the column phases) */
    OFFS: { index: 9, type: 'addr' },
    /** depthwise: f32[GROUPS][OC][K] taps */
    W: { index: 10, type: 'addr' },
    /** f32[GROUPS][OC] */
    BIAS: { index: 11, type: 'addr' },
    /** local output row 0 of output channel 0 */
    OUT: { index: 12, type: 'addr' },
    /** floats between output channel planes */
    OUT_PLANE: { index: 13, type: 'i32' },
    /** floats per output row */
    OUT_PITCH: { index: 14, type: 'i32' },
    /** activation code (ACT) */
    ACT: { index: 15, type: 'i32' },
    /** leaky_relu's negative slope */
    SLOPE: { index: 16, type: 'f32' },
    /** 1: two 1-D passes (separable) */
    SEP: { index: 17, type: 'i32' },
    /** kernel height */
    KH: { index: 18, type: 'i32' },
    /** separable: i32[KH] = ky dy pitch x 4 */
    VOFFS: { index: 19, type: 'addr' },
    /** separable: f32[GROUPS][OC][KH] column factors */
    VW: { index: 20, type: 'addr' },
    /** kernel width */
    KW: { index: 21, type: 'i32' },
    /** separable: i32[KW] = kx dx x 4 */
    HOFFS: { index: 22, type: 'addr' },
    /** separable: f32[GROUPS][OC][KW] row factors (batchnorm folded in) */
    HW: { index: 23, type: 'addr' },
    /** separable: per-thread row of SPAN + 16 floats */
    TMP: { index: 24, type: 'addr' },
    /** separable: bytes per thread of TMP */
    TMP_STRIDE: { index: 25, type: 'i32' },
    /** separable: columns of the vertical pass, (OW - 1) + (KW - 1) dx + 1 */
    SPAN: { index: 26, type: 'i32' },
    /** 0: IN holds the padded rows; else a pad descriptor (its DST unused) whose rows of the group a unit reads are padded by the routine itself into the thread's PAD_TMP, and IN is unused */
    PAD: { index: 27, type: 'addr' },
    /** with PAD: per-thread padded rows of one group, PAD_ROWS rows of IN_PITCH floats */
    PAD_TMP: { index: 28, type: 'addr' },
    /** with PAD: bytes per thread of PAD_TMP */
    PAD_TMP_STRIDE: { index: 29, type: 'i32' },
    /** with PAD: padded rows PAD_TMP holds, at least READ_ROWS */
    PAD_ROWS: { index: 30, type: 'i32' },
    /** with PAD: padded rows one output row reads, (KH - 1) dy + 1 */
    READ_ROWS: { index: 31, type: 'i32' },
    /** depthwise: 0, or the x-stride (1 or 2) of a 3x3 conv with x-dilation 1 whose taps the routine holds in registers; at 2 it reads plain padded rows (no column phases) and takes their even and odd columns apart itself. OFFS are then kernel rows of 3 adjacent columns. maxpool2d_f32: the same for 3x3 windows with dilation 1, over rows it pads itself (PAD) */
    K3X3: { index: 32, type: 'i32' },
    /** depthwise with K3X3 and PAD: 1 when the padding is zeros, one column on the left and at most one on the right, dilation 1: the rows ROWTAB gives are read where they lie (PAD's SRC), padding columns made zero in registers, no PAD_TMP */
    IN_PLACE: { index: 33, type: 'i32' },
    /** with IN_PLACE: a row of zeros (padding rows), with zeros 16 bytes before it and past the widest read */
    ZERO: { index: 34, type: 'addr' },
  },
} as const;

/** The winograd2d descriptor, read by winograd2d_f32, winograd2d_input_f32, winograd2d_wide_f32, winograd2d_wide_input_f32. 2-D Winograd F(4x4,3x3) (P = 36 transform points) or, for winograd2d_wide, F(6x6,3x3) (P = 64) for 3x3 stride-1 convs: input transform, P GEMMs M = U V, output transform (+ bias, activation, a 2x2 or, with 4x4 tiles, 4x4 pool). */
export const WINOGRAD2D = {
  name: 'winograd2d',
  readers: ['winograd2d_f32', 'winograd2d_input_f32', 'winograd2d_wide_f32', 'winograd2d_wide_input_f32'],
  words: 31,
  fields: {
    /** padded input: channel 0, first padded row of tile row 0 */
    IN: { index: 0, type: 'addr' },
    /** floats per padded channel */
    IN_PLANE: { index: 1, type: 'i32' },
    /** floats per padded row (>= tile x TP + 2) */
    IN_PITCH: { index: 2, type: 'i32' },
    /** input channels of the group */
    C: { index: 3, type: 'i32' },
    /** packed U: P panels [OCB][C][4] */
    W: { index: 4, type: 'addr' },
    /** bytes between U's panels */
    W_XI: { index: 5, type: 'i32' },
    /** output channels of the group; OCB (in W, BIAS, M) is ceil(OC / 4) */
    OC: { index: 6, type: 'i32' },
    /** f32[4 OCB] */
    BIAS: { index: 7, type: 'addr' },
    /** TW rounded up to a multiple of 4: the input rows' pitch covers the columns of TP tiles (a row's last group of 4 tiles is transformed whole; tiles past the map's width are computed, never stored) */
    TP: { index: 8, type: 'i32' },
    /** tile rows per batch (one batch: input transform, P GEMMs, output transform) */
    NR: { index: 9, type: 'i32' },
    /** per-thread V [P][(NR TC + 3) / 8 panels, rounded up][C][8 tiles] (SHARED: one slot per batch and chunk) */
    V: { index: 10, type: 'addr' },
    /** bytes per V slot */
    V_STRIDE: { index: 11, type: 'i32' },
    /** per-thread M [P][4 x the item's blocks][NR TC] (row 0: block b0), then 2 KiB of transform scratch */
    M: { index: 12, type: 'addr' },
    /** bytes per thread of M */
    M_STRIDE: { index: 13, type: 'i32' },
    /** local output row 0 of the group's first channel (the pool's output when POOL != NONE) */
    OUT: { index: 14, type: 'addr' },
    /** floats between output channel planes */
    OUT_PLANE: { index: 15, type: 'i32' },
    /** floats per output row */
    OUT_PITCH: { index: 16, type: 'i32' },
    /** output columns (pooled columns with a pool) */
    OW: { index: 17, type: 'i32' },
    /** local output row of tile row 0's first row (<= 0) */
    ROW0: { index: 18, type: 'i32' },
    /** local output rows stored: [0, ROWS) */
    ROWS: { index: 19, type: 'i32' },
    /** activation code (ACT) */
    ACT: { index: 20, type: 'i32' },
    /** leaky_relu's negative slope */
    SLOPE: { index: 21, type: 'f32' },
    /** fused pool code (POOL): NONE, MAX or AVG */
    POOL: { index: 22, type: 'i32' },
    /** pool kernel = stride on both axes: 2, or 4 with 4x4 tiles */
    PK: { index: 23, type: 'i32' },
    /** average pool divisor */
    POOL_DIV: { index: 24, type: 'f32' },
    /** bytes between V's P planes (an odd number of 64-byte lines) */
    V_XI: { index: 25, type: 'i32' },
    /** bytes between M's P planes (likewise) */
    M_XI: { index: 26, type: 'i32' },
    /** tiles per chunk along x: TP, or fewer (a multiple of 8) to keep U, V and M in L2 */
    TC: { index: 27, type: 'i32' },
    /** 1: V is transformed beforehand by winograd2d_input_f32 or winograd2d_wide_input_f32 (threads split channel blocks) */
    SHARED: { index: 28, type: 'i32' },
    /** tile rows (what the input phase covers) */
    NT: { index: 29, type: 'i32' },
    /** tiles the map needs per tile row (TP - 3 .. TP); a batch packs its rows' tiles into V and M without gaps */
    TW: { index: 30, type: 'i32' },
  },
} as const;

/** The winograd2d_small descriptor, read by winograd2d_small_f32. 2-D Winograd F(4x4,3x3) for 3x3 stride-1 convs with few input channels: products summed over channels in registers, no GEMM. */
export const WINOGRAD2D_SMALL = {
  name: 'winograd2d_small',
  readers: ['winograd2d_small_f32'],
  words: 26,
  fields: {
    /** padded input: channel 0, first padded row of unit 0 */
    IN: { index: 0, type: 'addr' },
    /** floats per padded channel */
    IN_PLANE: { index: 1, type: 'i32' },
    /** floats per padded row */
    IN_PITCH: { index: 2, type: 'i32' },
    /** input channels of the group */
    C: { index: 3, type: 'i32' },
    /** output channels of the group */
    OC: { index: 4, type: 'i32' },
    /** packed U: 36 panels [OCB][C][4] (packWinograd2d's tile 4) */
    W: { index: 5, type: 'addr' },
    /** f32[OCB][4] */
    BIAS: { index: 6, type: 'addr' },
    /** tile stride: 4 */
    S: { index: 7, type: 'i32' },
    /** groups of 4 tiles per tile row */
    TQ: { index: 8, type: 'i32' },
    /** local output row 0 of the group's first channel (the pool's output when POOL != NONE) */
    OUT: { index: 9, type: 'addr' },
    /** floats between output channel planes */
    OUT_PLANE: { index: 10, type: 'i32' },
    /** floats per output row */
    OUT_PITCH: { index: 11, type: 'i32' },
    /** conv output columns */
    OW: { index: 12, type: 'i32' },
    /** local output row (pooled with a pool) of unit 0's first row (<= 0) */
    ROW0: { index: 13, type: 'i32' },
    /** local output rows stored: [0, ROWS) */
    ROWS: { index: 14, type: 'i32' },
    /** activation code (ACT) */
    ACT: { index: 15, type: 'i32' },
    /** leaky_relu's negative slope */
    SLOPE: { index: 16, type: 'f32' },
    /** conv rows per unit of work: S, or the pool stride when it is a multiple of S */
    UNIT: { index: 17, type: 'i32' },
    /** fused pool code (POOL): NONE, MAX or AVG */
    POOL: { index: 18, type: 'i32' },
    /** pool kernel = stride along y */
    PKH: { index: 19, type: 'i32' },
    /** pool kernel = stride along x */
    PKW: { index: 20, type: 'i32' },
    /** pooled columns */
    POOL_OW: { index: 21, type: 'i32' },
    /** average pool divisor */
    POOL_DIV: { index: 22, type: 'f32' },
    /** per thread: WINOGRAD2D_SMALL_SCRATCH */
    SCRATCH: { index: 23, type: 'addr' },
    /** bytes per thread of SCRATCH */
    SCRATCH_STRIDE: { index: 24, type: 'i32' },
    /** floats per row of the row buffer when a tile row's rows go through it (no pool, or a square 2x2 / 4x4 one); 0: other pools */
    BUF_PITCH: { index: 25, type: 'i32' },
  },
} as const;

/** The winograd1d_small descriptor, read by winograd1d_small_f32. Row-wise Winograd F(4,3) / F(4,5) for 3- or 5-wide convs with few input channels: a ring of transformed rows, products summed over channels and kernel rows in registers. */
export const WINOGRAD1D_SMALL = {
  name: 'winograd1d_small',
  readers: ['winograd1d_small_f32'],
  words: 25,
  fields: {
    /** padded input: channel 0, the padded row local output row 0 reads first */
    IN: { index: 0, type: 'addr' },
    /** floats per padded channel */
    IN_PLANE: { index: 1, type: 'i32' },
    /** floats per padded row (>= 16 TQ + 4) */
    IN_PITCH: { index: 2, type: 'i32' },
    /** input channels of the group */
    C: { index: 3, type: 'i32' },
    /** output channels of the group */
    OC: { index: 4, type: 'i32' },
    /** U: [KH rotations][OC][step chunks][(R + 3) / 2 point pairs][5 steps][2 points] x 4 lanes */
    W: { index: 5, type: 'addr' },
    /** f32[GROUPS][OC] */
    BIAS: { index: 6, type: 'addr' },
    /** kernel height (ring slots, at most 32) */
    KH: { index: 7, type: 'i32' },
    /** stride along y */
    SY: { index: 8, type: 'i32' },
    /** global padded row of local padded row 0 (>= 0): picks ring slots and weight rotations */
    ROW0: { index: 9, type: 'i32' },
    /** groups of 4 tiles (16 outputs) per row */
    TQ: { index: 10, type: 'i32' },
    /** local output row 0 of the group's first channel (the pool's output when POOL != NONE) */
    OUT: { index: 11, type: 'addr' },
    /** floats between output channel planes */
    OUT_PLANE: { index: 12, type: 'i32' },
    /** floats per output row */
    OUT_PITCH: { index: 13, type: 'i32' },
    /** conv output columns */
    OW: { index: 14, type: 'i32' },
    /** activation code (ACT) */
    ACT: { index: 15, type: 'i32' },
    /** leaky_relu's negative slope */
    SLOPE: { index: 16, type: 'f32' },
    /** fused pool code (POOL): NONE, MAX or AVG, kernel = stride */
    POOL: { index: 17, type: 'i32' },
    /** pool kernel height */
    PKH: { index: 18, type: 'i32' },
    /** pool kernel width */
    PKW: { index: 19, type: 'i32' },
    /** pooled columns */
    POOL_OW: { index: 20, type: 'i32' },
    /** average pool divisor */
    POOL_DIV: { index: 21, type: 'f32' },
    /** per thread: slot tags, the ring, M, the pool accumulator */
    SCRATCH: { index: 22, type: 'addr' },
    /** bytes per thread of SCRATCH */
    SCRATCH_STRIDE: { index: 23, type: 'i32' },
    /** kernel width: 3 (F(4,3), 6 points) or 5 (F(4,5), 8 points) */
    R: { index: 24, type: 'i32' },
  },
} as const;

/** The eltwise descriptor, read by eltwise_f32. A per-value layer on whole channel runs: out = act(x * SCALE[c] + SHIFT[c] (+ y)): batchnorm2d and activations alone, an add of two maps, a copy into a concatenation's channels. Units are chunks of CHUNK floats of one channel (CHUNKS per channel). */
export const ELTWISE = {
  name: 'eltwise',
  readers: ['eltwise_f32'],
  words: 15,
  fields: {
    /** the first source: channel 0 at the first output row */
    X: { index: 0, type: 'addr' },
    /** floats between the first source's channel planes */
    X_PLANE: { index: 1, type: 'i32' },
    /** the second source (added to the first), channel 0 at the first output row; 0 for none */
    Y: { index: 2, type: 'addr' },
    /** floats between the second source's channel planes */
    Y_PLANE: { index: 3, type: 'i32' },
    /** the output: channel 0 at its first row */
    OUT: { index: 4, type: 'addr' },
    /** floats between output channel planes */
    OUT_PLANE: { index: 5, type: 'i32' },
    /** floats per channel (output rows x width, contiguous in every source and the output) */
    N: { index: 6, type: 'i32' },
    /** floats per unit (a multiple of 4) */
    CHUNK: { index: 7, type: 'i32' },
    /** units per channel: ceil(N / CHUNK) */
    CHUNKS: { index: 8, type: 'i32' },
    /** f32[C]: per-channel factor of the first source (batchnorm); 0 for 1 */
    SCALE: { index: 9, type: 'addr' },
    /** f32[C]: per-channel term added after the factor (batchnorm); 0 for 0 */
    SHIFT: { index: 10, type: 'addr' },
    /** activation code (ACT), applied last */
    ACT: { index: 11, type: 'i32' },
    /** leaky_relu's negative slope */
    SLOPE: { index: 12, type: 'f32' },
    /** CLAMP's lower bound */
    LO: { index: 13, type: 'f32' },
    /** CLAMP's upper bound */
    HI: { index: 14, type: 'f32' },
  },
} as const;

/** The pixels descriptor, read by pixels_f32. An image's 8-bit pixels to the planar float32 input (src/engine/pixels.ts): each channel looks up one sample of every pixel in its table of 256 values. Units are runs of UNIT_ROWS rows of one channel (UNITS per channel). */
export const PIXELS = {
  name: 'pixels',
  readers: ['pixels_f32'],
  words: 11,
  fields: {
    /** the pixels: interleaved samples, HAVE a pixel, W pixels a row, ROWS rows */
    SRC: { index: 0, type: 'addr' },
    /** samples per pixel (1 to 4) */
    HAVE: { index: 1, type: 'i32' },
    /** pixels per row */
    W: { index: 2, type: 'i32' },
    /** rows */
    ROWS: { index: 3, type: 'i32' },
    /** i32[C]: the sample of a pixel each channel reads */
    SOURCES: { index: 4, type: 'addr' },
    /** f32[C][256]: each channel's value at each level */
    TABLES: { index: 5, type: 'addr' },
    /** channel 0, row 0 of the input (or of its place in the first layer's padded buffer) */
    DST: { index: 6, type: 'addr' },
    /** floats between channel planes */
    DST_PLANE: { index: 7, type: 'i32' },
    /** floats between rows */
    DST_PITCH: { index: 8, type: 'i32' },
    /** rows per unit */
    UNIT_ROWS: { index: 9, type: 'i32' },
    /** units per channel: ceil(ROWS / UNIT_ROWS) */
    UNITS: { index: 10, type: 'i32' },
  },
} as const;
