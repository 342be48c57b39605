// The filter library: every preset loads, filter strings parse, every error message, bank padding, and `cnnx kernels`.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { kernelsCommand } from '../../src/cli/kernels.js';
import { CnnxError } from '../../src/errors.js';
import { colorAt } from '../../src/render/colormap.js';
import { parseNpy } from '../../src/io/npy.js';
import {
  flipKernel,
  isFilterBank,
  KERNELS_DIR,
  listFilters,
  listGenerators,
  loadPresets,
  resolveFilter,
  resolveFilterBank,
} from '../../src/filters/library.js';

const WHERE = { file: 'net.json', path: 'layers[0] (conv2d).kernels' };
const tmp = mkdtempSync(join(tmpdir(), 'cnnx-filters-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The CnnxError `run` throws, after checking it is one (exit code 2: a spec/usage error). */
function failure(run: () => unknown): CnnxError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CnnxError);
    expect((error as CnnxError).exitCode).toBe(2);
    return error as CnnxError;
  }
  throw new Error('expected a CnnxError, nothing was thrown');
}

const REQUIRED = [
  'identity', 'box-3', 'box-5', 'gaussian-3', 'gaussian-5', 'gaussian-7', 'sobel-x', 'sobel-y', 'scharr-x', 'scharr-y',
  'prewitt-x', 'prewitt-y', 'laplacian-4', 'laplacian-8', 'log-5', 'sharpen', 'emboss', 'kirsch-n', 'kirsch-ne', 'kirsch-e',
  'kirsch-se', 'kirsch-s', 'kirsch-sw', 'kirsch-w', 'kirsch-nw', 'gabor-0', 'gabor-45', 'gabor-90', 'gabor-135',
];

describe('presets', () => {
  const files = readdirSync(KERNELS_DIR).filter((f) => f.endsWith('.json'));

  it('has every required preset, one file each, and lists them sorted', () => {
    const names = listFilters().map((f) => f.name);
    for (const name of REQUIRED) expect(names, name).toContain(name);
    expect(names).toHaveLength(files.length);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
  });

  it.each(files)('%s loads, with a one-line description and a source', (file) => {
    const f = resolveFilter(file.replace(/\.json$/, ''));
    expect(f.values).toHaveLength(f.height * f.width);
    expect(f.description).toMatch(/^[^\n]{10,}$/);
    expect(f.source.length).toBeGreaterThan(5);
    expect(f.values.every(Number.isFinite)).toBe(true);
  });

  it('sobel-x has the exact OpenCV values and sobel-y is its transpose', () => {
    const x = resolveFilter('sobel-x');
    expect([x.height, x.width]).toEqual([3, 3]);
    expect([...x.values]).toEqual([-1, 0, 1, -2, 0, 2, -1, 0, 1]);
    const y = resolveFilter('sobel-y');
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) expect(y.values[r * 3 + c]).toBe(x.values[c * 3 + r]);
  });

  it('follows the normalisation policy: smoothing sums to 1, derivatives to 0', () => {
    const sum = (name: string) => resolveFilter(name).values.reduce((a, b) => a + b, 0);
    for (const name of ['identity', 'box-3', 'box-5', 'gaussian-3', 'gaussian-5', 'gaussian-7', 'sharpen', 'emboss']) {
      expect(sum(name), name).toBeCloseTo(1, 12);
    }
    for (const name of ['sobel-x', 'sobel-y', 'scharr-x', 'scharr-y', 'prewitt-x', 'prewitt-y', 'laplacian-4', 'laplacian-8', 'log-5', 'kirsch-n', 'kirsch-sw', 'gabor-45']) {
      expect(Math.abs(sum(name)), name).toBeLessThan(1e-12);
    }
  });

  it('derivative presets give a positive response on a dark-to-bright edge in their direction', () => {
    // A left-to-right ramp (x), a top-to-bottom ramp (y): correlation = sum of weight * pixel.
    const respond = (name: string, image: (y: number, x: number) => number) => {
      const f = resolveFilter(name);
      let total = 0;
      for (let y = 0; y < f.height; y++) for (let x = 0; x < f.width; x++) total += f.values[y * f.width + x] * image(y, x);
      return total;
    };
    for (const name of ['sobel-x', 'scharr-x', 'prewitt-x', 'gabor-0', 'kirsch-e']) expect(respond(name, (_y, x) => x), name).toBeGreaterThan(0);
    for (const name of ['sobel-y', 'scharr-y', 'prewitt-y', 'gabor-90', 'kirsch-s']) expect(respond(name, (y) => y), name).toBeGreaterThan(0);
    expect(respond('kirsch-n', (y) => y)).toBeLessThan(0);
    expect(respond('gabor-45', (y, x) => x + y)).toBeGreaterThan(0);
    expect(respond('gabor-135', (y, x) => y - x)).toBeGreaterThan(0);
  });

  it('returns a copy, so callers cannot change the library', () => {
    resolveFilter('sobel-x').values[0] = 99;
    expect(resolveFilter('sobel-x').values[0]).toBe(-1);
  });
});

describe('invalid presets', () => {
  /** Writes one preset into a fresh folder and returns the load error. */
  function presetError(file: string, content: unknown): CnnxError {
    const dir = mkdtempSync(join(tmp, 'lib-'));
    writeFileSync(join(dir, file), typeof content === 'string' ? content : JSON.stringify(content));
    const error = failure(() => loadPresets(dir, 'kernels'));
    expect(error.code).toBe('filter.preset');
    return error;
  }
  const base = { name: 'edge', description: 'an edge', source: 'test' };

  it.each([
    ['ragged rows', 'edge.json', { ...base, values: [[1, 2, 3], [1, 2]] }, 'kernels/edge.json: values[1]: expected 3 numbers, got 2'],
    ['one number in a row', 'edge.json', { ...base, values: [[1], [1, 2]] }, 'kernels/edge.json: values[1]: expected 1 number, got 2'],
    ['a non-number', 'edge.json', { ...base, values: [[1, 'x']] }, 'kernels/edge.json: values[0][1]: expected a number, got "x"'],
    ['empty values', 'edge.json', { ...base, values: [] }, 'kernels/edge.json: values: expected a non-empty array of rows, got []'],
    ['name mismatch', 'edge.json', { ...base, name: 'edges', values: [[1]] }, 'kernels/edge.json: name: expected "edge" (the file name), got "edges"'],
    ['both forms', 'edge.json', { ...base, values: [[1]], generator: 'box' }, 'kernels/edge.json: expected exactly one of "values" (a matrix) or "generator" (with "params")'],
    ['unknown generator', 'edge.json', { ...base, generator: 'gausian', params: {} }, 'kernels/edge.json: generator: expected one of gaussian, log, dog, sobel, scharr, gabor, box, kirsch, got "gausian" (did you mean "gaussian"?)'],
    ['bad param', 'edge.json', { ...base, generator: 'gaussian', params: { size: 4 } }, 'kernels/edge.json: params.size: expected an odd integer from 1 to 1001, got 4'],
    ['unknown param', 'edge.json', { ...base, generator: 'gaussian', params: { sigam: 1 } }, 'kernels/edge.json: params.sigam: unknown parameter "sigam" (did you mean "sigma"?); gaussian takes size, sigma'],
    ['unknown key', 'edge.json', { ...base, values: [[1]], valeus: 1 }, 'kernels/edge.json: valeus: unknown key (did you mean "values"?)'],
    ['missing description', 'edge.json', { name: 'edge', source: 's', values: [[1]] }, 'kernels/edge.json: description: is required'],
    ['two-line description', 'edge.json', { ...base, description: 'a\nb', values: [[1]] }, 'kernels/edge.json: description: expected one non-empty line'],
    ['bad JSON', 'edge.json', '{"name": ', /^kernels\/edge\.json: not valid JSON: /],
  ] as const)('%s', (_label, file, content, expected) => {
    const { message } = presetError(file, content);
    if (typeof expected === 'string') expect(message).toBe(expected);
    else expect(message).toMatch(expected);
  });
});

describe('filter strings', () => {
  it('parses generator parameters, with spaces allowed, and names the filter by its spec', () => {
    const f = resolveFilter(' gaussian: size=5, sigma=1.2 ');
    expect(f.name).toBe('gaussian:size=5,sigma=1.2');
    expect([f.height, f.width]).toEqual([5, 5]);
    expect(f.description).toBe('Gaussian blur 5x5, sigma 1.2, sums to 1');
    expect(f.source).toBe('OpenCV getGaussianKernel(5, 1.2), outer product with itself');
  });

  it('fills defaults: gabor:theta=45 is gabor-45, sobel is sobel-x, sizes follow sigma', () => {
    expect([...resolveFilter('gabor:theta=45').values]).toEqual([...resolveFilter('gabor-45').values]);
    expect([...resolveFilter('gabor:theta=45,size=11').values]).toEqual([...resolveFilter('gabor-45').values]);
    expect([...resolveFilter('sobel').values]).toEqual([...resolveFilter('sobel-x').values]);
    expect([...resolveFilter('sobel:dy=1').values]).toEqual([...resolveFilter('sobel-y').values]);
    expect([...resolveFilter('scharr:dy=1').values]).toEqual([...resolveFilter('scharr-y').values]);
    expect([...resolveFilter('box:size=3').values]).toEqual([...resolveFilter('box-3').values]);
    expect([...resolveFilter('gaussian:size=7').values]).toEqual([...resolveFilter('gaussian-7').values]);
    expect([...resolveFilter('kirsch:direction=sw').values]).toEqual([...resolveFilter('kirsch-sw').values]);
    expect(resolveFilter('gaussian:sigma=2').height).toBe(13);
    expect(resolveFilter('dog').height).toBe(11);
    expect(resolveFilter('sobel:normalize=true').values[2]).toBe(0.125); // (1/4) * (1/2), as getDerivKernels
    expect(resolveFilter('gabor:size=10').height).toBe(11);
  });

  it.each([
    ['unknown filter', 'sobel-q', 'filter.unknown', 'unknown filter "sobel-q" (did you mean "sobel-x"?); run `cnnx kernels` to list them'],
    ['unknown filter, no suggestion', 'zzzzzzzz', 'filter.unknown', 'unknown filter "zzzzzzzz"; run `cnnx kernels` to list them'],
    ['generator typo', 'gausian:size=5', 'filter.unknown', 'unknown filter "gausian" (did you mean "gaussian"?); run `cnnx kernels` to list them'],
    ['prototype names are not filters', 'constructor', 'filter.unknown', 'unknown filter "constructor"; run `cnnx kernels` to list them'],
    ['unknown param', 'gaussian:size=5,sigam=1.2', 'filter.param', 'filter "gaussian:size=5,sigam=1.2": unknown parameter "sigam" (did you mean "sigma"?); gaussian takes size, sigma'],
    ['prototype param', 'gaussian:toString=1', 'filter.param', 'filter "gaussian:toString=1": unknown parameter "toString"; gaussian takes size, sigma'],
    ['even gaussian', 'gaussian:size=4', 'filter.value', 'filter "gaussian:size=4": size: expected an odd integer from 1 to 1001, got 4'],
    ['not a number', 'gabor:theta=north', 'filter.value', 'filter "gabor:theta=north": theta: expected an angle in degrees, got north'],
    ['negative sigma', 'gaussian:size=5,sigma=-1', 'filter.value', 'filter "gaussian:size=5,sigma=-1": sigma: expected a number greater than 0, got -1'],
    ['fractional int', 'box:size=2.5', 'filter.value', 'filter "box:size=2.5": size: expected an integer from 1 to 1001, got 2.5'],
    ['bad bool', 'sobel:normalize=yes', 'filter.value', 'filter "sobel:normalize=yes": normalize: expected true or false, got yes'],
    ['bad direction', 'kirsch:direction=nne', 'filter.value', 'filter "kirsch:direction=nne": direction: expected one of n, ne, e, se, s, sw, w, nw, got nne (did you mean "ne"?)'],
    ['no size or sigma', 'gaussian', 'filter.value', 'filter "gaussian": gaussian needs size or sigma (e.g. "gaussian:size=5" or "gaussian:sigma=1.5")'],
    ['order too high', 'sobel:dx=3,ksize=3', 'filter.value', 'filter "sobel:dx=3,ksize=3": ksize 3 allows derivative orders up to 2, got dx=3'],
    ['no derivative', 'sobel:dx=0', 'filter.value', 'filter "sobel:dx=0": dx + dy must be at least 1 (for no derivative use a gaussian)'],
    ['scharr order', 'scharr:dx=1,dy=1', 'filter.value', 'filter "scharr:dx=1,dy=1": Scharr takes one first derivative: dx=1,dy=0 or dx=0,dy=1, got dx=1,dy=1'],
    ['equal dog sigmas', 'dog:sigma1=2,sigma2=2', 'filter.value', 'filter "dog:sigma1=2,sigma2=2": sigma1 and sigma2 must differ (the difference would be 0)'],
    ['params on a preset', 'sobel-x:size=5', 'filter.param', 'filter "sobel-x:size=5": "sobel-x" is a preset and takes no parameters; generators with parameters: gaussian, log, dog, sobel, scharr, gabor, box, kirsch'],
    ['missing value', 'gaussian:size', 'filter.syntax', 'filter "gaussian:size": expected key=value parameters separated by commas, got "size"'],
    ['empty params', 'gaussian:', 'filter.syntax', 'filter "gaussian:": expected key=value parameters after ":"'],
    ['repeated param', 'box:size=3,size=5', 'filter.param', 'filter "box:size=3,size=5": parameter "size" given twice'],
    ['bank as one filter', 'gabor-bank:thetas=4', 'filter.bank', 'filter "gabor-bank:thetas=4": "gabor-bank" is a bank of several filters; use it as a whole "kernels" value or inside a "kernels" list'],
  ])('%s', (_label, spec, code, message) => {
    const error = failure(() => resolveFilter(spec));
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
  });

  it('places errors at the spec path, list items by index, with the filter name in the message', () => {
    const error = failure(() => resolveFilterBank(['sobel-x', 'sobel-q'], WHERE));
    expect(error.code).toBe('filter.unknown');
    expect(error.message).toBe('net.json: layers[0] (conv2d).kernels[1]: unknown filter "sobel-q" (did you mean "sobel-x"?); run `cnnx kernels` to list them');
    expect(failure(() => resolveFilterBank('sobel-q', WHERE)).message).toBe(
      'net.json: layers[0] (conv2d).kernels: unknown filter "sobel-q" (did you mean "sobel-x"?); run `cnnx kernels` to list them',
    );
    expect(failure(() => resolveFilterBank('gabor-bank:theta=8', WHERE)).message).toBe(
      'net.json: layers[0] (conv2d).kernels: filter "gabor-bank:theta=8": unknown parameter "theta" (did you mean "thetas"?); gabor-bank takes thetas, size, sigma, lambda, gamma, psi',
    );
    const typeError = failure(() => resolveFilterBank(['sobel-x', 3], WHERE));
    expect([typeError.code, typeError.message]).toEqual(['filter.bank', 'net.json: layers[0] (conv2d).kernels[1]: expected a filter name, got 3']);
    expect(failure(() => resolveFilterBank([], WHERE)).message).toBe(
      'net.json: layers[0] (conv2d).kernels: expected a filter name or a non-empty list of filter names, got []',
    );
  });
});

describe('banks', () => {
  it('stacks a list in order, K x H x W', () => {
    const bank = resolveFilterBank(['sobel-x', 'sobel-y'], WHERE);
    expect(bank.names).toEqual(['sobel-x', 'sobel-y']);
    expect([bank.height, bank.width]).toEqual([3, 3]);
    expect(bank.values).toBeInstanceOf(Float32Array);
    expect([...bank.values]).toEqual([...resolveFilter('sobel-x').values, ...resolveFilter('sobel-y').values]);
  });

  it('zero-pads smaller odd kernels, centred exactly', () => {
    const bank = resolveFilterBank(['gaussian-5', 'sobel-x', 'sobel:dx=1,dy=0,ksize=1'], WHERE);
    expect([bank.height, bank.width]).toEqual([5, 5]);
    const plane = (k: number) => Array.from(bank.values.subarray(k * 25, (k + 1) * 25));
    const sobelX = resolveFilter('sobel-x').values;
    const expected = new Array(25).fill(0);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) expected[(y + 1) * 5 + x + 1] = sobelX[y * 3 + x];
    expect(plane(1)).toEqual(expected);
    // The 1x3 Sobel sits in the middle row, columns 1..3.
    const row = new Array(25).fill(0);
    row[2 * 5 + 1] = -1;
    row[2 * 5 + 3] = 1;
    expect(plane(2)).toEqual(row);
  });

  it("keeps an even kernel's 'same' anchor: the extra zero row and column go on top and left", () => {
    const bank = resolveFilterBank(['box:size=2', 'identity'], WHERE);
    expect([bank.height, bank.width]).toEqual([3, 3]);
    expect(Array.from(bank.values.subarray(0, 9))).toEqual([0, 0, 0, 0, 0.25, 0.25, 0, 0.25, 0.25]);
    // An odd kernel in an even bank: the extra zeros go bottom and right.
    const even = resolveFilterBank(['box:size=4', 'identity'], WHERE);
    expect([even.height, even.width]).toEqual([4, 4]);
    expect(Array.from(even.values.subarray(16, 32))).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('expands bank generators, alone or inside a list, with member names that resolve back', () => {
    const bank = resolveFilterBank('gabor-bank:thetas=4,lambda=6', WHERE);
    expect(bank.names).toEqual(['gabor:theta=0,lambda=6', 'gabor:theta=45,lambda=6', 'gabor:theta=90,lambda=6', 'gabor:theta=135,lambda=6']);
    expect(Array.from(bank.values.subarray(121, 242))).toEqual(Array.from(Float32Array.from(resolveFilter('gabor:theta=45,lambda=6').values)));
    expect(resolveFilterBank('gabor-bank', WHERE).names).toHaveLength(8);
    expect(resolveFilterBank('gabor-bank:thetas=8', WHERE).names[1]).toBe('gabor:theta=22.5');
    const mixed = resolveFilterBank(['identity', 'kirsch-bank'], WHERE);
    expect(mixed.names).toEqual(['identity', 'kirsch-n', 'kirsch-ne', 'kirsch-e', 'kirsch-se', 'kirsch-s', 'kirsch-sw', 'kirsch-w', 'kirsch-nw']);
    expect(resolveFilterBank('sobel-x', WHERE).names).toEqual(['sobel-x']);
    expect(isFilterBank('gabor-bank:thetas=2')).toBe(true);
    expect(isFilterBank('gabor:theta=2')).toBe(false);
  });

  it('flipKernel turns a bank member into true convolution weights', () => {
    const bank = resolveFilterBank(['sobel-x'], WHERE);
    expect([...flipKernel(bank.values, 3, 3)]).toEqual([1, 0, -1, 2, 0, -2, 1, 0, -1]);
  });

  it('lists generators and banks with their parameters', () => {
    const gens = listGenerators();
    expect(gens.find((g) => g.name === 'gabor')?.params).toEqual(['size=11', 'sigma=2', 'theta=0', 'lambda=5', 'gamma=0.5', 'psi=90']);
    expect(gens.filter((g) => g.bank).map((g) => g.name)).toEqual(['gabor-bank', 'kirsch-bank']);
    for (const g of gens) expect(() => (g.bank ? resolveFilterBank(g.example, WHERE) : resolveFilter(g.example)), g.example).not.toThrow();
  });
});

describe('cnnx kernels', () => {
  async function run(name: string | undefined, options: { png?: string; npy?: string; json?: boolean } = {}): Promise<string[]> {
    const lines: string[] = [];
    await kernelsCommand(name, options, (line) => lines.push(line));
    return lines;
  }

  it('prints sobel-x with its description, source, convention and aligned values', async () => {
    expect(await run('sobel-x')).toEqual([
      'sobel-x  3x3',
      'Sobel derivative along x: positive where brightness rises to the right',
      'source: OpenCV getDerivKernels(1, 0, 3), ky outer kx (cv::Sobel dx=1, dy=0, ksize=3)',
      'convention: cross-correlation weights (PyTorch conv2d, no flip); row 0 is the top row; x points right, y points down',
      'sum: 0',
      '  -1   0   1',
      '  -2   0   2',
      '  -1   0   1',
    ]);
  });

  it('prints fractions exactly and parametric strings too', async () => {
    const lines = await run('gaussian-5');
    expect(lines[4]).toBe('sum: 1');
    expect(lines[5]).toBe('  0.00390625  0.01562500  0.02343750  0.01562500  0.00390625');
    const box = await run('box:size=2');
    expect(box.slice(0, 2)).toEqual(['box:size=2  2x2', 'box blur 2x2, every weight 1/4, sums to 1']);
    expect(box.slice(-2)).toEqual(['  0.25  0.25', '  0.25  0.25']);
  });

  it('lists every preset in aligned columns, then the generators', async () => {
    const lines = await run(undefined);
    expect(lines[0]).toBe('NAME         SIZE   DESCRIPTION');
    const sobel = lines.find((l) => l.startsWith('sobel-x '));
    expect(sobel).toBe('sobel-x      3x3    Sobel derivative along x: positive where brightness rises to the right');
    expect(lines.find((l) => l.startsWith('gabor-45 '))?.indexOf('11x11')).toBe(13);
    for (const f of listFilters()) expect(lines.some((l) => l.startsWith(`${f.name} `)), f.name).toBe(true);
    expect(lines.some((l) => /^ {2}gaussian +size,sigma +Gaussian blur/.test(l))).toBe(true);
    expect(lines.some((l) => /^ {2}gabor-bank +thetas=8,/.test(l))).toBe(true);
  });

  it('prints JSON', async () => {
    const one = JSON.parse((await run('sobel-y', { json: true })).join('\n'));
    expect(one.values).toEqual([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]);
    const all = JSON.parse((await run(undefined, { json: true })).join('\n'));
    expect(all.filters.map((f: { name: string }) => f.name)).toEqual(listFilters().map((f) => f.name));
  });

  it('exports (1, 1, kh, kw) float32 weights, and (K, 1, kh, kw) for a bank', async () => {
    const file = join(tmp, 'sobel-x.npy');
    expect(await run('sobel-x', { npy: file })).toEqual([`wrote ${file}: float32 weights of shape (1, 1, 3, 3)`]);
    const npy = parseNpy(new Uint8Array(readFileSync(file)), file);
    expect(npy.shape).toEqual([1, 1, 3, 3]);
    expect([...npy.data]).toEqual([-1, 0, 1, -2, 0, 2, -1, 0, 1]);
    const bankFile = join(tmp, 'kirsch.npy');
    await run('kirsch-bank', { npy: bankFile });
    const bank = parseNpy(new Uint8Array(readFileSync(bankFile)), bankFile);
    expect(bank.shape).toEqual([8, 1, 3, 3]);
    expect([...bank.data.subarray(9, 18)]).toEqual([...resolveFilter('kirsch-ne').values]);
  });

  it('draws a PNG: square cells, blue negative, white zero, red positive', async () => {
    const file = join(tmp, 'sobel-x.png');
    expect(await run('sobel-x', { png: file })).toEqual([`wrote ${file}: 168x168 pixels`]);
    const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([168, 168]);
    const pixel = (x: number, y: number) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
    // Corners of cells, away from the written value: (row 1, col 0) = -2 (the most negative), (0, 1) = 0, (1, 2) = 2, (0, 0) = -1.
    expect(pixel(56 + 4, 4)).toEqual([255, 255, 255]);
    expect(pixel(4, 56 + 4)).toEqual(colorAt('diverging', 0));
    expect(pixel(112 + 4, 56 + 4)).toEqual(colorAt('diverging', 1));
    expect(pixel(4, 4)).toEqual(colorAt('diverging', 0.25));
    const [r, g, b] = pixel(4, 56 + 4);
    expect(b).toBeGreaterThan(r);
    expect(b).toBeGreaterThan(g);
  });

  it('draws large kernels with smaller cells and banks side by side', async () => {
    const big = join(tmp, 'big.png');
    await run('gaussian:size=25,sigma=4', { png: big });
    expect(await sharp(big).metadata()).toMatchObject({ width: 500, height: 500 });
    const bank = join(tmp, 'bank.png');
    await run('gabor-bank:thetas=2,size=5', { png: bank });
    expect(await sharp(bank).metadata()).toMatchObject({ width: 2 * 5 * 56 + 28, height: 5 * 56 });
  });

  it('needs a name for --png and --npy, and reports unknown names', async () => {
    await expect(run(undefined, { png: join(tmp, 'x.png') })).rejects.toMatchObject({ code: 'usage.kernels', exitCode: 2 });
    await expect(run('sobel-q')).rejects.toMatchObject({
      code: 'filter.unknown',
      message: 'unknown filter "sobel-q" (did you mean "sobel-x"?); run `cnnx kernels` to list them',
    });
  });
});
