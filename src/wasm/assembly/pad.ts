// pad_f32: copies band rows into a padded scratch plane per channel, border cells taken from index tables (any padding mode).
// The band may already sit inside the padded plane (the engine copied the input there): its rows are then not copied again.
import { copyFloats, fillFloats } from './copy';
import { checkRange, field } from './descriptor';
import { PAD } from './layout';

/**
 * Fills padded rows [i0, i1) of the descriptor at d, counted over all channels (item i is row
 * i % ROWS of channel i / ROWS), so a one-channel map still splits across threads.
 */
export function pad_f32(d: usize, i0: i32, i1: i32): void {
  if (!ASC_NO_ASSERT) {
    PAD.check(d);
    checkRange(i0, i1, 'items: 0 <= i0 <= i1');
    assert(field(d, PAD.ROWS) > 0 && field(d, PAD.W) > 0 && field(d, PAD.LEFT) >= 0 && field(d, PAD.LEFT) + field(d, PAD.W) <= field(d, PAD.PW), 'pad.ROWS, W > 0, LEFT + W <= PW');
    assert(field(d, PAD.SRC_PITCH) >= field(d, PAD.W) && field(d, PAD.DST_PLANE) >= field(d, PAD.ROWS) * field(d, PAD.PW), 'pad.SRC_PITCH >= W, DST_PLANE >= ROWS x PW');
    assert(field(d, PAD.SRC) != 0 && field(d, PAD.DST) != 0 && field(d, PAD.ROWTAB) != 0 && field(d, PAD.COLTAB) != 0, 'pad.SRC, DST, ROWTAB, COLTAB set');
  }
  const rows = field(d, PAD.ROWS);
  for (let c = i0 / rows; c * rows < i1; c++) {
    const ra = max(0, i0 - c * rows);
    const rb = min(rows, i1 - c * rows);
    padRows(d, c, ra, rb, <usize>field(d, PAD.DST) + (<usize>(c * field(d, PAD.DST_PLANE) + ra * field(d, PAD.PW)) << 2));
  }
}

/** Writes padded rows [ra, rb) of channel c of the descriptor at d, PW floats each, one after another from dst (DST's rows, or a routine's own scratch). */
export function padRows(d: usize, c: i32, ra: i32, rb: i32, dst: usize): void {
  const w = field(d, PAD.W);
  const pw = field(d, PAD.PW);
  const left = field(d, PAD.LEFT);
  const rowtab: usize = <usize>field(d, PAD.ROWTAB);
  const coltab: usize = <usize>field(d, PAD.COLTAB);
  const gather = field(d, PAD.GATHER) != 0;
  const fill = reinterpret<f32>(field(d, PAD.FILL));
  const pitch = field(d, PAD.SRC_PITCH);
  const src: usize = <usize>field(d, PAD.SRC) + (<usize>(c * field(d, PAD.SRC_PLANE)) << 2);
  for (let r = ra; r < rb; r++) {
    const drow = dst + (<usize>((r - ra) * pw) << 2);
    const sr = load<i32>(rowtab + (<usize>r << 2));
    if (sr < 0) {
      fillFloats(drow, pw, fill);
      continue;
    }
    const srow = src + (<usize>(sr * pitch) << 2);
    if (gather) {
      for (let x = 0; x < pw; x++) {
        const sx = load<i32>(coltab + (<usize>x << 2));
        store<f32>(drow + (<usize>x << 2), sx < 0 ? fill : load<f32>(srow + (<usize>sx << 2)));
      }
      continue;
    }
    const inner = drow + (<usize>left << 2);
    if (srow != inner) copyFloats(inner, srow, w);
    // Border cells read the row's own interior (in place, another row's borders may not be filled yet).
    for (let x = 0; x < pw; x++) {
      if (x == left) x = left + w;
      if (x >= pw) break;
      const sx = load<i32>(coltab + (<usize>x << 2));
      store<f32>(drow + (<usize>x << 2), sx < 0 ? fill : load<f32>(inner + (<usize>sx << 2)));
    }
  }
}
