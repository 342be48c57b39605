// pixels_f32: an image's 8-bit interleaved pixels to the planar float32 input, one table lookup per sample.
import { checkRange, field } from './descriptor';
import { PIXELS } from './layout';

/**
 * Units [u0, u1) of the descriptor at d: unit u converts rows u % UNITS * UNIT_ROWS .. + UNIT_ROWS
 * (fewer in the last) of channel u / UNITS. Each value is the table's, so any partition gives the
 * same bits, and the same as src/engine/pixels.ts's applyLookup.
 */
export function pixels_f32(d: usize, u0: i32, u1: i32): void {
  if (!ASC_NO_ASSERT) {
    PIXELS.check(d);
    checkRange(u0, u1, 'units: 0 <= u0 <= u1');
    const have = field(d, PIXELS.HAVE);
    assert(1 <= have && have <= 4, 'pixels.HAVE: 1 to 4 samples a pixel');
    assert(field(d, PIXELS.W) > 0 && field(d, PIXELS.ROWS) > 0 && field(d, PIXELS.UNIT_ROWS) > 0 && field(d, PIXELS.UNITS) > 0, 'pixels.W, ROWS, UNIT_ROWS, UNITS > 0');
  }
  const have = <usize>field(d, PIXELS.HAVE);
  const w = field(d, PIXELS.W);
  const rows = field(d, PIXELS.ROWS);
  const unitRows = field(d, PIXELS.UNIT_ROWS);
  const units = field(d, PIXELS.UNITS);
  const src = <usize>field(d, PIXELS.SRC);
  const pitch = <usize>field(d, PIXELS.DST_PITCH) << 2;
  for (let u = u0; u < u1; u++) {
    const c = u / units;
    const y0 = (u % units) * unitRows;
    const y1 = min(rows, y0 + unitRows);
    const sample = <usize>load<i32>(<usize>field(d, PIXELS.SOURCES) + (<usize>c << 2));
    const table = <usize>field(d, PIXELS.TABLES) + (<usize>c << 10);
    let out = <usize>field(d, PIXELS.DST) + (<usize>(c * field(d, PIXELS.DST_PLANE)) << 2) + <usize>y0 * pitch;
    let s = src + <usize>y0 * <usize>w * have + sample;
    for (let y = y0; y < y1; y++, out += pitch) {
      let x = 0;
      // Four lookups a store.
      for (; x + 4 <= w; x += 4, s += have << 2) {
        let v = f32x4.splat(load<f32>(table + (<usize>load<u8>(s) << 2)));
        v = f32x4.replace_lane(v, 1, load<f32>(table + (<usize>load<u8>(s + have) << 2)));
        v = f32x4.replace_lane(v, 2, load<f32>(table + (<usize>load<u8>(s + 2 * have) << 2)));
        v = f32x4.replace_lane(v, 3, load<f32>(table + (<usize>load<u8>(s + 3 * have) << 2)));
        v128.store(out + (<usize>x << 2), v);
      }
      for (; x < w; x++, s += have) store<f32>(out + (<usize>x << 2), load<f32>(table + (<usize>load<u8>(s) << 2)));
    }
  }
}
