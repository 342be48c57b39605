import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { tensor, type Tensor } from '../../src/engine/tensor.js';
import { CnnxError } from '../../src/errors.js';
import { colorAt, markerColor } from '../../src/render/colormap.js';
import { gridLayout, gridLayoutFor, gridTitle, renderGrid, resample, SEPARATOR_RGB, type GridOptions } from '../../src/render/grid.js';
import { parseGrid } from '../../src/render/grid-spec.js';

async function decode(png: Buffer): Promise<{ width: number; height: number; channels: number; px: (x: number, y: number) => number[] }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const px = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
  return { width: info.width, height: info.height, channels: info.channels, px };
}

/**
 * 4 channels of 8x16: 0 all zero, 1 constant 5, 2 a ramp 0..15 along x (same on every row),
 * 3 a checkerboard of ±100 (by far the most energy).
 */
function fourChannels(): Tensor {
  const H = 8;
  const W = 16;
  const t = tensor(4, H, W);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      t.data[(1 * H + y) * W + x] = 5;
      t.data[(2 * H + y) * W + x] = x;
      t.data[(3 * H + y) * W + x] = (x + y) % 2 === 0 ? 100 : -100;
    }
  }
  return t;
}

describe('gridLayout', () => {
  it('chooses a near-square grid with no empty column', () => {
    const shape = (c: number) => {
      const l = gridLayout(c, 64, 64, { labels: false });
      return [l.cols, l.rows];
    };
    expect(shape(1)).toEqual([1, 1]);
    expect(shape(4)).toEqual([2, 2]);
    expect(shape(5)).toEqual([3, 2]);
    expect(shape(12)).toEqual([4, 3]);
    expect(shape(32)).toEqual([6, 6]);
    expect(shape(64)).toEqual([8, 8]);
    for (let c = 1; c <= 100; c++) {
      const [cols, rows] = shape(c) as [number, number];
      expect(cols * rows).toBeGreaterThanOrEqual(c);
      expect(cols * (rows - 1)).toBeLessThan(c); // no empty row
      expect((cols - 1) * rows).toBeLessThan(c); // no empty column
      expect(Math.abs(cols - rows)).toBeLessThanOrEqual(Math.ceil(Math.sqrt(c)) / 2 + 1);
    }
  });

  it('gives wide maps fewer columns so the picture stays near-square', () => {
    const l = gridLayout(16, 32, 128, { labels: false });
    expect(l.cols).toBe(2);
    expect(l.rows).toBe(8);
    expect(l.width / l.height).toBeGreaterThan(0.6);
    expect(l.width / l.height).toBeLessThan(1.6);
  });

  it('honours a forced grid and rejects one that is too small', () => {
    expect(gridLayout(10, 8, 8, { grid: { cols: 10 } })).toMatchObject({ cols: 10, rows: 1 });
    expect(gridLayout(10, 8, 8, { grid: { rows: 3 } })).toMatchObject({ cols: 4, rows: 3 });
    expect(gridLayout(10, 8, 8, { grid: { cols: 5, rows: 4 } })).toMatchObject({ cols: 5, rows: 4 });
    expect(() => gridLayout(10, 8, 8, { grid: { cols: 3, rows: 3 } })).toThrowError(CnnxError);
    expect(() => gridLayout(10, 8, 8, { grid: { cols: 0 } })).toThrowError(/positive integer/);
  });

  it('parses --grid spellings', () => {
    expect(parseGrid('8x4')).toEqual({ cols: 8, rows: 4 });
    expect(parseGrid('8X')).toEqual({ cols: 8 });
    expect(parseGrid('8')).toEqual({ cols: 8 });
    expect(parseGrid('x3')).toEqual({ rows: 3 });
    for (const bad of ['', 'x', '0x2', '2x0', 'ax2', '2x3x4', '-1x2']) expect(() => parseGrid(bad)).toThrowError(CnnxError);
  });

  it('places tiles, labels and title at computed positions', () => {
    const l = gridLayout(5, 64, 64, { separator: 2, title: 'net · conv1 · 5x64x64' });
    // Title band 24 px, label band 12 + 4 px over each 64 px tile, 2 px separators.
    expect(l.tileWidth).toBe(64);
    expect(l.zoom).toBe(1);
    expect(l.tileRects[0]).toEqual({ slot: 0, channel: 0, x: 2, y: 24 + 2 + 16, width: 64, height: 64 });
    expect(l.tileRects[4]).toMatchObject({ channel: 4, x: 2 + 66, y: 24 + 2 + 16 + 64 + 2 + 16 });
    expect(l.labelPositions[4]).toEqual({ channel: 4, text: '4', x: 2 + 66 + 1, y: 24 + 2 + 82 + 10 + 2, fontSize: 12 });
    expect(l.width).toBe(2 + 3 * 66);
    expect(l.height).toBe(24 + 2 + 2 * (16 + 64 + 2));
    expect(l.title).toMatchObject({ text: 'net · conv1 · 5x64x64', x: 6 });
    // Every label lies in the band between the previous row and its own tile.
    for (const [i, p] of l.labelPositions.entries()) {
      const r = l.tileRects[i]!;
      expect(p.y).toBeLessThan(r.y);
      expect(p.y - p.fontSize * 0.75).toBeGreaterThan(r.y - 16);
      expect(p.x).toBeGreaterThanOrEqual(r.x);
    }
  });

  it('keeps the true channel index on each tile when reordered', () => {
    const l = gridLayout(3, 4, 4, { order: [2, 0, 1] });
    expect(l.tileRects.map((r) => r.channel)).toEqual([2, 0, 1]);
    expect(l.labelPositions.map((p) => p.text)).toEqual(['2', '0', '1']);
  });

  it('enlarges tiny maps by an integer factor to at least 64 px', () => {
    expect(gridLayout(1, 4, 4)).toMatchObject({ zoom: 16, tileWidth: 64, tileHeight: 64 });
    expect(gridLayout(1, 5, 3)).toMatchObject({ zoom: 13, tileWidth: 39, tileHeight: 65 });
    expect(gridLayout(1, 100, 100)).toMatchObject({ zoom: 1, tileWidth: 100 });
  });

  it('shrinks tiles so a 512-channel layer stays within 4096 px', () => {
    const l = gridLayout(512, 256, 256);
    expect(l.width).toBeLessThanOrEqual(4096);
    expect(l.height).toBeLessThanOrEqual(4096);
    expect(l.width).toBeGreaterThan(3500);
    expect(l.zoom).toBeLessThan(1);
    // Many tiny maps: enlarged, then capped by a whole factor so pixels stay square blocks.
    const tiny = gridLayout(4096, 4, 4);
    expect(Number.isInteger(tiny.zoom)).toBe(true);
    expect(Math.max(tiny.width, tiny.height)).toBeLessThanOrEqual(4096);
    expect(gridLayout(600, 300, 300, { maxSide: 1024 }).width).toBeLessThanOrEqual(1024);
  });

  it('widens the canvas to fit a long title', () => {
    const l = gridLayout(1, 64, 64, { title: 'a-rather-long-network-name · conv1 · 1x64x64' });
    expect(l.width).toBeGreaterThan(300);
  });
});

describe('resample', () => {
  it('repeats pixels when enlarging and averages blocks when shrinking, keeping NaN visible', () => {
    const src = new Float32Array([0, 1, 2, 3]);
    expect(Array.from(resample(src, 2, 2, 4, 4))).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
    expect(Array.from(resample(new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]), 2, 4, 1, 2))).toEqual([2.5, 4.5]);
    const shrunk = resample(new Float32Array([0, NaN, 1, 1]), 1, 4, 1, 2);
    expect(shrunk[0]).toBeNaN();
    expect(shrunk[1]).toBe(1);
  });
});

describe('renderGrid', () => {
  const t = fourChannels();

  it('draws each tile from its channel, with the expected grey levels', async () => {
    const options: GridOptions = { specName: 'seed-convnet', layerName: 'conv1' };
    const layout = gridLayoutFor(t, options);
    expect(layout.title?.text).toBe('seed-convnet · conv1 · 4x8x16');
    expect(layout.zoom).toBe(4); // 16 px longer side → 4x
    const img = await decode(await renderGrid(t, options));
    expect([img.width, img.height, img.channels]).toEqual([layout.width, layout.height, 3]);
    const rect = (c: number) => layout.tileRects.find((r) => r.channel === c)!;
    // Channel 2: x ramp 0..15 → 17 * x grey, each map pixel a 4x4 block.
    const r2 = rect(2);
    for (let mx = 0; mx < 16; mx++) {
      for (const [dx, dy] of [[0, 0], [3, 3], [1, 20]] as const) {
        expect(img.px(r2.x + mx * 4 + dx, r2.y + dy)).toEqual([17 * mx, 17 * mx, 17 * mx]);
      }
    }
    expect(img.px(rect(0).x + 10, rect(0).y + 10)).toEqual([0, 0, 0]); // all zero: black
    expect(img.px(rect(1).x + 10, rect(1).y + 10)).toEqual([128, 128, 128]); // constant: mid-grey
    const r3 = rect(3);
    expect(img.px(r3.x + 1, r3.y + 1)).toEqual([255, 255, 255]);
    expect(img.px(r3.x + 5, r3.y + 1)).toEqual([0, 0, 0]);
  });

  it('fills separators and borders with the separator colour', async () => {
    const layout = gridLayoutFor(t);
    const img = await decode(await renderGrid(t));
    const sep = [...SEPARATOR_RGB];
    for (const r of layout.tileRects) {
      for (const dy of [0, Math.floor(r.height / 2), r.height - 1]) {
        expect(img.px(r.x - 1, r.y + dy)).toEqual(sep); // left gap
        expect(img.px(r.x + r.width, r.y + dy)).toEqual(sep); // right gap
      }
      expect(img.px(r.x + 5, r.y + r.height)).toEqual(sep); // gap below
    }
    expect(img.px(0, img.height - 1)).toEqual(sep);
  });

  it('with sort energy puts the highest-energy channel first, still labelled with its index', async () => {
    const options: GridOptions = { sort: 'energy' };
    const layout = gridLayoutFor(t, options);
    expect(layout.tileRects.map((r) => r.channel)).toEqual([3, 2, 1, 0]);
    expect(layout.labelPositions[0]!.text).toBe('3');
    const img = await decode(await renderGrid(t, options));
    const first = layout.tileRects[0]!;
    expect(first.slot).toBe(0);
    // Slot 0 shows the checkerboard: alternating 4 px blocks of white and black.
    expect(img.px(first.x + 1, first.y + 1)).toEqual([255, 255, 255]);
    expect(img.px(first.x + 5, first.y + 1)).toEqual([0, 0, 0]);
    expect(img.px(first.x + 5, first.y + 5)).toEqual([255, 255, 255]);
  });

  it('draws labels and title as visible text', async () => {
    const layout = gridLayoutFor(t, { title: 'seed-convnet · conv1 · 4x8x16' });
    const img = await decode(await renderGrid(t, { title: 'seed-convnet · conv1 · 4x8x16' }));
    const sep = [...SEPARATOR_RGB];
    const bright = (x0: number, y0: number, w: number, h: number) => {
      let n = 0;
      for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) if (img.px(x, y)[0]! > 150 && img.px(x, y)[0] !== sep[0]) n++;
      return n;
    };
    // Each label "0".."3" leaves light pixels in its band; the band right of the digit stays empty.
    for (const p of layout.labelPositions) {
      expect(bright(p.x, p.y - p.fontSize, p.fontSize, p.fontSize + 2)).toBeGreaterThan(5);
      expect(bright(p.x + 20, p.y - p.fontSize, 10, p.fontSize + 2)).toBe(0);
    }
    expect(bright(0, 0, img.width, 24)).toBeGreaterThan(100);
  });

  it('applies colour maps, symmetric scaling for diverging, and a marker for NaN/Inf', async () => {
    const s = tensor(1, 2, 2, new Float32Array([-4, 0, 2, NaN]));
    const layout = gridLayoutFor(s, { cmap: 'diverging' });
    const r = layout.tileRects[0]!;
    const img = await decode(await renderGrid(s, { cmap: 'diverging' }));
    const block = r.width / 2;
    expect(img.px(r.x + 1, r.y + 1)).toEqual(colorAt('diverging', 0)); // -4 = -max|x|
    expect(img.px(r.x + block + 1, r.y + 1)).toEqual([255, 255, 255]); // 0 → white
    expect(img.px(r.x + 1, r.y + block + 1)).toEqual(colorAt('diverging', 0.75)); // 2 = max/2
    expect(img.px(r.x + block + 1, r.y + block + 1)).toEqual([...markerColor('diverging')]);

    const v = tensor(1, 1, 3, new Float32Array([1, Infinity, 3]));
    const vr = gridLayoutFor(v, { cmap: 'viridis' }).tileRects[0]!;
    const vi = await decode(await renderGrid(v, { cmap: 'viridis' }));
    const step = vr.width / 3;
    expect(vi.px(vr.x + 1, vr.y + 1)).toEqual(colorAt('viridis', 0));
    expect(vi.px(vr.x + step + 1, vr.y + 1)).toEqual([...markerColor('viridis')]);
    expect(vi.px(vr.x + 2 * step + 1, vr.y + 1)).toEqual(colorAt('viridis', 1));
  });

  it('accepts percentile scaling by name and rejects a bad sort', async () => {
    const ramp = tensor(1, 1, 101, Float32Array.from({ length: 101 }, (_, i) => i));
    const layout = gridLayoutFor(ramp, { scale: 'p10-p90' });
    const img = await decode(await renderGrid(ramp, { scale: 'p10-p90' }));
    const r = layout.tileRects[0]!;
    expect(img.px(r.x + 50 * layout.zoom, r.y)).toEqual([128, 128, 128]);
    expect(img.px(r.x + 5 * layout.zoom, r.y)).toEqual([0, 0, 0]);
    await expect(renderGrid(ramp, { sort: 'size' as 'index' })).rejects.toThrowError(CnnxError);
  });

  it('keeps big layers within the size cap', async () => {
    const big = tensor(64, 96, 96);
    for (let i = 0; i < big.data.length; i++) big.data[i] = (i * 7919) % 101;
    const img = await decode(await renderGrid(big, { maxSide: 512 }));
    expect(img.width).toBeLessThanOrEqual(512);
    expect(img.height).toBeLessThanOrEqual(512);
  });

  it('builds titles from spec, layer and shape', () => {
    expect(gridTitle(tensor(32, 256, 256), 'seed-convnet', 'conv1')).toBe('seed-convnet · conv1 · 32x256x256');
    expect(gridTitle(tensor(3, 4, 5))).toBe('3x4x5');
  });
});
