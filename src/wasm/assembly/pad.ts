// pad_f32: copies band rows into a padded scratch plane per channel, border cells taken from index tables (any padding mode).
// The band may already sit inside the padded plane (the engine copied the input there): its rows are then not copied again.
import { copyFloats, zeroFloats } from './copy';

export const P_SRC: i32 = 0; // byte address of band row 0, channel 0
export const P_SRC_PLANE: i32 = 1; // floats
export const P_W: i32 = 2; // source width (floats per source row)
export const P_DST: i32 = 3;
export const P_DST_PLANE: i32 = 4; // floats
export const P_PW: i32 = 5; // padded width
export const P_ROWS: i32 = 6; // padded rows
export const P_ROWTAB: i32 = 7; // i32[ROWS]: band row to read, or -1 for zeros
export const P_COLTAB: i32 = 8; // i32[PW]: source column to read, or -1 for zeros
export const P_LEFT: i32 = 9; // left padding
export const P_SRC_PITCH: i32 = 10; // floats between band rows (W, or PW when the band sits inside the padded plane)
export const P_WORDS: i32 = 11;

@inline function field(d: usize, i: i32): i32 {
  return load<i32>(d + (<usize>i << 2));
}

/**
 * Fills padded rows [i0, i1) of the descriptor at d, counted over all channels (item i is row
 * i % ROWS of channel i / ROWS), so a one-channel map still splits across threads.
 */
export function pad_f32(d: usize, i0: i32, i1: i32): void {
  const w = field(d, P_W);
  const pw = field(d, P_PW);
  const rows = field(d, P_ROWS);
  const left = field(d, P_LEFT);
  const rowtab: usize = <usize>field(d, P_ROWTAB);
  const coltab: usize = <usize>field(d, P_COLTAB);
  for (let c = i0 / rows; c * rows < i1; c++) {
    const src: usize = <usize>field(d, P_SRC) + (<usize>(c * field(d, P_SRC_PLANE)) << 2);
    const dst: usize = <usize>field(d, P_DST) + (<usize>(c * field(d, P_DST_PLANE)) << 2);
    const ra = max(0, i0 - c * rows);
    const rb = min(rows, i1 - c * rows);
    for (let r = ra; r < rb; r++) {
      const drow = dst + (<usize>(r * pw) << 2);
      const sr = load<i32>(rowtab + (<usize>r << 2));
      if (sr < 0) {
        zeroFloats(drow, pw);
        continue;
      }
      const srow = src + (<usize>(sr * field(d, P_SRC_PITCH)) << 2);
      const inner = drow + (<usize>left << 2);
      if (srow != inner) copyFloats(inner, srow, w);
      // Border cells read the row's own interior (in place, another row's borders may not be filled yet).
      for (let x = 0; x < pw; x++) {
        if (x == left) x = left + w;
        if (x >= pw) break;
        const sx = load<i32>(coltab + (<usize>x << 2));
        store<f32>(drow + (<usize>x << 2), sx < 0 ? 0 : load<f32>(inner + (<usize>sx << 2)));
      }
    }
  }
}
