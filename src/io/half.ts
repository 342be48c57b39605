// Widening of 16-bit floats (IEEE half and bfloat16) to float32, shared by the .npy and safetensors readers.

const HALF_EXPONENT_MASK = 0x1f;
const HALF_MANTISSA_BITS = 10;
const HALF_MANTISSA_SCALE = 1 << HALF_MANTISSA_BITS;
const HALF_EXPONENT_BIAS = 15;
/** The smallest half subnormal, 2^-24: subnormals are mantissa * this, with no implicit leading 1. */
const HALF_SUBNORMAL_STEP = 2 ** -24;

/** The exact value of an IEEE 754 binary16 bit pattern (every half is exactly representable in float32). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> HALF_MANTISSA_BITS) & HALF_EXPONENT_MASK;
  const mantissa = bits & (HALF_MANTISSA_SCALE - 1);
  if (exponent === 0) return sign * mantissa * HALF_SUBNORMAL_STEP;
  if (exponent === HALF_EXPONENT_MASK) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / HALF_MANTISSA_SCALE) * 2 ** (exponent - HALF_EXPONENT_BIAS);
}

// bfloat16 is the top half of a float32, so widening is a shift; the scratch pair reinterprets the bits.
const bfloatScratchBits = new Uint32Array(1);
const bfloatScratchValue = new Float32Array(bfloatScratchBits.buffer);

/** The exact value of a bfloat16 bit pattern. */
export function bfloat16ToFloat(bits: number): number {
  bfloatScratchBits[0] = (bits & 0xffff) << 16;
  return bfloatScratchValue[0];
}
