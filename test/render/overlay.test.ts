import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { tensor } from '../../src/engine/tensor.js';
import { CnnxError } from '../../src/errors.js';
import { colorAt, markerColor } from '../../src/render/colormap.js';
import { overlayPixels, reduceMeanAbs, renderOverlay, stretchAlignment } from '../../src/render/overlay.js';

/** A uniform 8-bit RGB image. */
function flat(width: number, height: number, value: number) {
  return { rgb: new Uint8Array(width * height * 3).fill(value), width, height };
}

const at = (rgb: Uint8Array, width: number, x: number, y: number) => Array.from(rgb.subarray((y * width + x) * 3, (y * width + x) * 3 + 3));

/** Distance of a pixel from the faded grey background. */
const strength = (p: number[], g: number) => Math.abs(p[0]! - g) + Math.abs(p[1]! - g) + Math.abs(p[2]! - g);

describe('overlay', () => {
  // Input 24x24 of grey 100 → faded background 96 + 50 = 146.
  const input = flat(24, 24, 100);
  const bg = 146;
  // 5x5 map, one hot cell at row 2, column 3; cells every 4 px starting at pixel (2, 2).
  const map = tensor(1, 5, 5);
  map.data[2 * 5 + 3] = 1;
  const alignment = { jump: [4, 4] as [number, number], start: [2, 2] as [number, number] };

  it('puts a single hot output cell at start + i * jump', () => {
    const rgb = overlayPixels(map, input, alignment, { cmap: 'magma', opacity: 0.7 });
    // Strongest pixel is the cell centre: row 2 + 2*4 = 10, column 2 + 3*4 = 14.
    let best = { x: -1, y: -1, s: -1 };
    for (let y = 0; y < 24; y++) {
      for (let x = 0; x < 24; x++) {
        const s = strength(at(rgb, 24, x, y), bg);
        if (s > best.s) best = { x, y, s };
      }
    }
    expect([best.x, best.y]).toEqual([14, 10]);
    const hot = colorAt('magma', 1);
    expect(at(rgb, 24, 14, 10)).toEqual(hot.map((c) => Math.round(bg + 0.7 * (c - bg))));
    // Bilinear falloff reaches zero one cell (4 px) away; cells elsewhere leave the background as is.
    expect(strength(at(rgb, 24, 18, 10), bg)).toBe(0);
    expect(strength(at(rgb, 24, 14, 14), bg)).toBe(0);
    expect(strength(at(rgb, 24, 16, 10), bg)).toBeGreaterThan(0);
    expect(at(rgb, 24, 2, 2)).toEqual([bg, bg, bg]);
  });

  it('with nearest interpolation fills the whole cell extent and nothing else', () => {
    const rgb = overlayPixels(map, input, alignment, { interpolation: 'nearest', alphaByValue: false, opacity: 1, cmap: 'gray' });
    // Cell (2, 3) covers rows [8, 12) and columns [12, 16): white at full opacity.
    for (let y = 0; y < 24; y++) {
      for (let x = 0; x < 24; x++) {
        const inside = y >= 8 && y < 12 && x >= 12 && x < 16;
        const covered = y < 20 && x < 20; // 5 cells * 4 px from pixel 0 (start 2 - half a jump)
        expect(at(rgb, 24, x, y)).toEqual(inside ? [255, 255, 255] : covered ? [0, 0, 0] : [bg, bg, bg]);
      }
    }
  });

  it('handles fractional starts (stride-2 layers) by centring between pixels', () => {
    const one = tensor(1, 3, 3);
    one.data[4] = 1;
    const rgb = overlayPixels(one, flat(6, 6, 100), { jump: [2, 2], start: [0.5, 0.5] }, { opacity: 1, alphaByValue: false, cmap: 'gray' });
    // Centre cell (1, 1) sits at 2.5: pixels 2 and 3 on each axis share the peak equally.
    const v = (x: number, y: number) => at(rgb, 6, x, y)[0]!;
    expect(v(2, 2)).toBe(v(3, 3));
    expect(v(2, 3)).toBe(v(3, 2));
    expect(v(2, 2)).toBeGreaterThan(v(1, 2));
    expect(v(2, 2)).toBeGreaterThan(v(4, 2));
  });

  it('reduces many channels by mean |x| and marks NaN cells', () => {
    const m = tensor(2, 1, 2, new Float32Array([1, -3, -1, 1]));
    expect(Array.from(reduceMeanAbs(m).data)).toEqual([1, 2]);
    const withNan = tensor(1, 1, 2, new Float32Array([NaN, 1]));
    const rgb = overlayPixels(withNan, flat(2, 1, 0), { jump: [1, 1], start: [0, 0] }, { cmap: 'viridis' });
    expect(at(rgb, 2, 0, 0)).toEqual([...markerColor('viridis')]);
  });

  it('uses opacity proportional to distance from zero for the diverging map', () => {
    const m = tensor(1, 1, 3, new Float32Array([-2, 0, 2]));
    const rgb = overlayPixels(m, flat(3, 1, 100), { jump: [1, 1], start: [0, 0] }, { cmap: 'diverging', opacity: 1 });
    expect(at(rgb, 3, 0, 0)).toEqual(colorAt('diverging', 0));
    expect(at(rgb, 3, 1, 0)).toEqual([bg, bg, bg]);
    expect(at(rgb, 3, 2, 0)).toEqual(colorAt('diverging', 1));
  });

  it('stretchAlignment spreads the map over the whole input', () => {
    expect(stretchAlignment({ height: 4, width: 2 }, { height: 16, width: 16 })).toEqual({ jump: [4, 8], start: [1.5, 3.5] });
  });

  it('encodes a PNG at the input size and rejects bad inputs', async () => {
    const png = await renderOverlay(map, input, alignment);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', 24, 24, 3]);
    expect(() => overlayPixels(map, { rgb: new Uint8Array(10), width: 24, height: 24 }, alignment)).toThrowError(CnnxError);
    expect(() => overlayPixels(map, input, { jump: [0, 4], start: [0, 0] })).toThrowError(CnnxError);
  });
});
