// Parametric 2-D filters written from OpenCV's published formulas (Gaussian, Sobel/Scharr, Gabor) plus LoG, DoG, box and Kirsch.

/**
 * A 2-D kernel, row-major (`values[y * width + x]`), cross-correlation weights (PyTorch's
 * convention): row 0 is the top row, x points right, y points down.
 */
export interface Kernel2d {
  readonly height: number;
  readonly width: number;
  readonly values: Float64Array;
}

/** Programming errors only: the library validates user parameters before calling in here. */
function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new RangeError(message);
}

/** The 2-D kernel `column ⊗ row` (value at (y, x) = column[y] * row[x]), how OpenCV builds separable kernels. */
export function outer(column: ArrayLike<number>, row: ArrayLike<number>): Kernel2d {
  const height = column.length;
  const width = row.length;
  const values = new Float64Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) values[y * width + x] = column[y] * row[x];
  }
  return { height, width, values };
}

/**
 * True convolution from cross-correlation weights (ImageMagick's `Convolve`, textbook convolution):
 * the kernel rotated by 180 degrees. In row-major order that is the flat array reversed.
 */
export function flipKernel<T extends Float32Array | Float64Array | number[]>(values: T, height: number, width: number): T {
  assert(values.length === height * width, `flipKernel: ${values.length} values for ${height}x${width}`);
  const flipped = values.slice() as T;
  flipped.reverse();
  return flipped;
}

// ---------------------------------------------------------------- Gaussian family

/**
 * OpenCV's default sigma for a k-tap Gaussian when none is given (getGaussianKernel with
 * sigma <= 0): 0.3 * ((k - 1) * 0.5 - 1) + 0.8.
 */
export function defaultGaussianSigma(size: number): number {
  return 0.3 * ((size - 1) * 0.5 - 1) + 0.8;
}

/**
 * The odd size that covers +-3 sigma: OpenCV GaussianBlur's rule when only sigma is given
 * (its 8-bit variant, round(6 sigma + 1) made odd), used when a spec gives sigma but no size.
 */
export function defaultGaussianSize(sigma: number): number {
  return Math.round(sigma * 6 + 1) | 1;
}

/**
 * OpenCV getGaussianKernel(k, sigma <= 0) does not sample the bell for k = 1, 3, 5, 7 and 9:
 * it returns binomial-like tables. Stored as integer numerators over a power of two so the
 * values are exact; 9 is OpenCV 4's addition (OpenCV 3 used the sigma rule there).
 */
const FIXED_GAUSSIAN_TABLES: ReadonlyMap<number, { numerators: readonly number[]; denominator: number }> = new Map([
  [1, { numerators: [1], denominator: 1 }],
  [3, { numerators: [1, 2, 1], denominator: 4 }],
  [5, { numerators: [1, 4, 6, 4, 1], denominator: 16 }],
  [7, { numerators: [2, 7, 14, 18, 14, 7, 2], denominator: 64 }],
  [9, { numerators: [4, 13, 30, 51, 60, 51, 30, 13, 4], denominator: 256 }],
]);

/**
 * The 1-D Gaussian of OpenCV getGaussianKernel(size, sigma): odd size; sigma undefined or
 * <= 0 means "OpenCV's default" (fixed table for size <= 9, else the sigma rule). Sums to 1.
 */
export function gaussian1d(size: number, sigma?: number): Float64Array {
  assert(Number.isInteger(size) && size >= 1 && size % 2 === 1, `gaussian1d: size must be odd, got ${size}`);
  const useDefault = sigma === undefined || !(sigma > 0);
  const table = useDefault ? FIXED_GAUSSIAN_TABLES.get(size) : undefined;
  if (table) return Float64Array.from(table.numerators, (n) => n / table.denominator);
  const s = useDefault ? defaultGaussianSigma(size) : (sigma as number);
  const half = (size - 1) / 2;
  const values = new Float64Array(size);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const x = i - half;
    values[i] = Math.exp((-x * x) / (2 * s * s));
    sum += values[i];
  }
  for (let i = 0; i < size; i++) values[i] /= sum;
  return values;
}

/** The 2-D Gaussian blur: outer product of gaussian1d with itself (OpenCV GaussianBlur with sigmaY = sigmaX). */
export function gaussian(size: number, sigma?: number): Kernel2d {
  const g = gaussian1d(size, sigma);
  return outer(g, g);
}

/**
 * Laplacian of Gaussian, MATLAB fspecial('log') recipe: the sampled Gaussian normalised to sum 1,
 * times (r^2 - 2 sigma^2) / sigma^4, then shifted so the kernel sums to exactly 0 (flat areas give 0).
 * Negative centre, the sign of the Laplacian itself (as laplacian-4).
 */
export function log(size: number, sigma: number): Kernel2d {
  assert(Number.isInteger(size) && size >= 1 && size % 2 === 1, `log: size must be odd, got ${size}`);
  assert(sigma > 0, `log: sigma must be > 0, got ${sigma}`);
  const half = (size - 1) / 2;
  const s2 = sigma * sigma;
  const bell = new Float64Array(size * size);
  let bellSum = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const r2 = (x - half) ** 2 + (y - half) ** 2;
      bell[y * size + x] = Math.exp(-r2 / (2 * s2));
      bellSum += bell[y * size + x];
    }
  }
  const values = new Float64Array(size * size);
  let sum = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const r2 = (x - half) ** 2 + (y - half) ** 2;
      values[y * size + x] = ((bell[y * size + x] / bellSum) * (r2 - 2 * s2)) / (s2 * s2);
      sum += values[y * size + x];
    }
  }
  const mean = sum / values.length;
  for (let i = 0; i < values.length; i++) values[i] -= mean;
  return { height: size, width: size, values };
}

/**
 * Difference of Gaussians, narrow minus wide: gaussian(size, sigma1) - gaussian(size, sigma2),
 * each OpenCV's normalised Gaussian, so the result sums to 0. Positive centre when sigma1 < sigma2.
 */
export function dog(size: number, sigma1: number, sigma2: number): Kernel2d {
  assert(sigma1 > 0 && sigma2 > 0, 'dog: sigmas must be > 0');
  const narrow = gaussian(size, sigma1);
  const wide = gaussian(size, sigma2);
  const values = new Float64Array(size * size);
  for (let i = 0; i < values.length; i++) values[i] = narrow.values[i] - wide.values[i];
  return { height: size, width: size, values };
}

/** Box blur: size x size, every weight 1/size^2 (OpenCV blur / normalised boxFilter). */
export function box(size: number): Kernel2d {
  assert(Number.isInteger(size) && size >= 1, `box: size must be a positive integer, got ${size}`);
  return { height: size, width: size, values: new Float64Array(size * size).fill(1 / (size * size)) };
}

// ---------------------------------------------------------------- derivatives

/** Polynomial product of two coefficient lists (1-D full convolution). */
function polyMul(a: readonly number[], b: readonly number[]): number[] {
  const result = new Array<number>(a.length + b.length - 1).fill(0);
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) result[i + j] += a[i] * b[j];
  return result;
}

/**
 * One 1-D factor of OpenCV's Sobel operator: `order`-th difference of a binomial smoother of
 * `size` taps, i.e. the coefficients of (1 + z)^(size - 1 - order) * (z - 1)^order, listed
 * from the left (negative x) tap; `normalize` divides by 2^(size - 1 - order) as getDerivKernels does.
 */
export function sobel1d(order: number, size: number, normalize = false): Float64Array {
  assert(Number.isInteger(order) && order >= 0 && size > order, `sobel1d: need size > order, got size ${size}, order ${order}`);
  let coefficients = [1];
  for (let i = 0; i < size - 1 - order; i++) coefficients = polyMul(coefficients, [1, 1]);
  for (let i = 0; i < order; i++) coefficients = polyMul(coefficients, [-1, 1]);
  const scale = normalize ? 1 / 2 ** (size - 1 - order) : 1;
  return Float64Array.from(coefficients, (c) => c * scale);
}

/**
 * OpenCV getDerivKernels(dx, dy, ksize) for ksize 1..31 odd, or -1 for Scharr: returns the row
 * (x) factor and the column (y) factor. ksize 1 means "no smoothing": a differentiated axis then
 * uses 3 taps, an undifferentiated one a single tap.
 */
export function derivKernels(dx: number, dy: number, ksize: number, normalize = false): { kx: Float64Array; ky: Float64Array } {
  assert(dx >= 0 && dy >= 0 && dx + dy > 0, `derivKernels: need dx + dy > 0, got ${dx}, ${dy}`);
  if (ksize === -1) {
    assert(dx + dy === 1, 'derivKernels: Scharr takes exactly one first derivative');
    return { kx: scharr1d(dx, normalize), ky: scharr1d(dy, normalize) };
  }
  assert(Number.isInteger(ksize) && ksize >= 1 && ksize <= 31 && ksize % 2 === 1, `derivKernels: ksize must be odd 1..31, got ${ksize}`);
  const sizeX = ksize === 1 && dx > 0 ? 3 : ksize;
  const sizeY = ksize === 1 && dy > 0 ? 3 : ksize;
  return { kx: sobel1d(dx, sizeX, normalize), ky: sobel1d(dy, sizeY, normalize) };
}

/**
 * One factor of the 3-tap Scharr operator: smoother (3, 10, 3), derivative (-1, 0, 1).
 * OpenCV's normalize scales the smoother by 1/32 (not 1/16) and leaves the derivative unscaled.
 */
function scharr1d(order: number, normalize: boolean): Float64Array {
  const taps = order === 0 ? [3, 10, 3] : [-1, 0, 1];
  const scale = normalize && order === 0 ? 1 / 32 : 1;
  return Float64Array.from(taps, (t) => t * scale);
}

/** The 2-D Sobel kernel of order (dx, dy): ky ⊗ kx, as OpenCV's Sobel applies it with sepFilter2D. */
export function sobel(dx: number, dy: number, ksize = 3, normalize = false): Kernel2d {
  const { kx, ky } = derivKernels(dx, dy, ksize, normalize);
  return outer(ky, kx);
}

/** The 3x3 Scharr kernel (dx, dy) = (1, 0) or (0, 1), OpenCV's Scharr / Sobel with ksize -1. */
export function scharr(dx: number, dy: number, normalize = false): Kernel2d {
  return sobel(dx, dy, -1, normalize);
}

// ---------------------------------------------------------------- Gabor

/**
 * OpenCV getGaborKernel(ksize, sigma, theta, lambd, gamma, psi), angles in radians. With x right
 * and y down, g(x, y) = exp(-(x'^2 + gamma^2 y'^2) / (2 sigma^2)) cos(2 pi x' / lambda + psi),
 * x' = x cos(theta) + y sin(theta), y' = -x sin(theta) + y cos(theta); OpenCV then stores g(x, y)
 * at the cell (-x, -y) from the centre (a 180-degree turn), which we reproduce: it flips the
 * sign of odd (psi = 90 degrees) Gabors. An even size k gives k + 1 taps, as OpenCV does.
 */
export function gabor(size: number, sigma: number, theta: number, lambda: number, gamma: number, psi: number): Kernel2d {
  assert(Number.isInteger(size) && size >= 1, `gabor: size must be a positive integer, got ${size}`);
  assert(sigma > 0 && lambda > 0 && gamma > 0, 'gabor: sigma, lambda and gamma must be > 0');
  const radius = Math.floor(size / 2);
  const side = 2 * radius + 1;
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const ex = -0.5 / (sigma * sigma);
  const sigmaY = sigma / gamma;
  const ey = -0.5 / (sigmaY * sigmaY);
  const frequency = (2 * Math.PI) / lambda;
  const values = new Float64Array(side * side);
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) {
      // The 180-degree storage turn: cell (row, col) holds the formula at (-x, -y).
      const x = radius - col;
      const y = radius - row;
      const xr = x * c + y * s;
      const yr = -x * s + y * c;
      values[row * side + col] = Math.exp(ex * xr * xr + ey * yr * yr) * Math.cos(frequency * xr + psi);
    }
  }
  return { height: side, width: side, values };
}

// ---------------------------------------------------------------- compass masks

/** The eight compass directions, clockwise from north (up). */
export const COMPASS_DIRECTIONS = ['n', 'ne', 'e', 'se', 's', 'sw', 'w', 'nw'] as const;
export type CompassDirection = (typeof COMPASS_DIRECTIONS)[number];

/** The 3x3 ring cells (row, col) clockwise from the top-left corner; index 1 is north. */
const RING: readonly (readonly [number, number])[] = [
  [0, 0], [0, 1], [0, 2], [1, 2], [2, 2], [2, 1], [2, 0], [1, 0],
];

/**
 * Kirsch compass mask: weight 5 on the three ring cells centred on `direction`, -3 on the other
 * five, 0 at the centre (sum 0). It responds most, positively, where the image is brighter
 * towards `direction` than away from it.
 */
export function kirsch(direction: CompassDirection): Kernel2d {
  const turn = COMPASS_DIRECTIONS.indexOf(direction);
  assert(turn >= 0, `kirsch: unknown direction ${direction}`);
  const values = new Float64Array(9);
  const centre = 1 + turn; // ring index of the direction's own cell
  for (let i = 0; i < RING.length; i++) {
    const distance = Math.min((i - centre + 8) % 8, (centre - i + 8) % 8);
    const [row, col] = RING[i];
    values[row * 3 + col] = distance <= 1 ? 5 : -3;
  }
  return { height: 3, width: 3, values };
}
