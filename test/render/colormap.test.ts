import { describe, expect, it } from 'vitest';
import { colorAt, COLORMAP_NAMES, isDiverging, markerColor, parseColormap } from '../../src/render/colormap.js';
import { CnnxError } from '../../src/errors.js';

/** Relative luminance-ish lightness (sRGB luma), enough to check monotonic brightness. */
const luma = ([r, g, b]: number[]) => 0.299 * r! + 0.587 * g! + 0.114 * b!;

describe('colour maps', () => {
  it('gray is the identity ramp, rounded like torchvision save_image', () => {
    expect(colorAt('gray', 0)).toEqual([0, 0, 0]);
    expect(colorAt('gray', 1)).toEqual([255, 255, 255]);
    expect(colorAt('gray', 0.5)).toEqual([128, 128, 128]);
    expect(colorAt('gray', 3 / 15)).toEqual([51, 51, 51]);
  });

  it('viridis and magma have the published endpoints', () => {
    expect(colorAt('viridis', 0)).toEqual([68, 1, 84]);
    expect(colorAt('viridis', 1)).toEqual([253, 231, 37]);
    expect(colorAt('magma', 0)).toEqual([0, 0, 4]);
    expect(colorAt('magma', 1)).toEqual([252, 253, 191]);
  });

  it('perceptual maps get brighter monotonically', () => {
    for (const name of ['gray', 'viridis', 'magma'] as const) {
      let prev = -1;
      for (let i = 0; i <= 100; i++) {
        const l = luma(colorAt(name, i / 100));
        expect(l).toBeGreaterThanOrEqual(prev - 0.5);
        prev = l;
      }
    }
  });

  it('diverging is blue below, white at 0.5, red above, with matched strength', () => {
    expect(colorAt('diverging', 0.5)).toEqual([255, 255, 255]);
    const [r0, , b0] = colorAt('diverging', 0);
    const [r1, , b1] = colorAt('diverging', 1);
    expect(b0).toBeGreaterThan(r0);
    expect(r1).toBeGreaterThan(b1);
    expect(Math.abs(luma(colorAt('diverging', 0)) - luma(colorAt('diverging', 1)))).toBeLessThan(5);
    expect(Math.abs(luma(colorAt('diverging', 0.25)) - luma(colorAt('diverging', 0.75)))).toBeLessThan(5);
    expect(isDiverging('diverging')).toBe(true);
    expect(isDiverging('viridis')).toBe(false);
  });

  it('clamps out-of-range input and draws NaN in a marker colour the map does not otherwise use', () => {
    expect(colorAt('viridis', -3)).toEqual(colorAt('viridis', 0));
    expect(colorAt('viridis', 7)).toEqual(colorAt('viridis', 1));
    for (const name of COLORMAP_NAMES) {
      const marker = [...markerColor(name)];
      expect(colorAt(name, NaN)).toEqual(marker);
      for (let i = 0; i <= 255; i++) expect(colorAt(name, i / 255)).not.toEqual(marker);
    }
  });

  it('parses names (grey as an alias) and rejects others', () => {
    expect(parseColormap('Viridis')).toBe('viridis');
    expect(parseColormap('grey')).toBe('gray');
    expect(() => parseColormap('jet')).toThrowError(CnnxError);
  });
});
