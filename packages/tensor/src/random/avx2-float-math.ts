/**
 * Float arithmetic as PyTorch's AVX2 CPU kernels do it, so Loom's random numbers are
 * bit-identical to PyTorch's: fused multiply-adds in float32 and float64, and the
 * vectorised Box-Muller of `normal_fill_16_AVX2` with avx_mathfun.h's Cephes log and
 * sincos (the contractions GCC makes there included).
 */

/** Sizes from which PyTorch fills normals 16 at a time, pairing element k with k + 8 (`normal_kernel`, DistributionTemplates.h). */
export const NORMAL_BLOCK = 16;
const HALF_BLOCK = NORMAL_BLOCK / 2;

// ---------------------------------------------------------------------------------
// Float arithmetic as PyTorch's AVX2 kernels do it. `Math.fround` after each step is
// float32 arithmetic; the fused multiply-adds need more care (see fmaf).

/**
 * `fmaf(a, b, c)` for float32 `a`, `b`, `c`: `a * b` is exact in a double (48 bits),
 * so `a * b + c` is rounded once to double and once to float. That double rounding is
 * wrong only when the double lands exactly halfway between two floats while the exact
 * sum was not there: detect it with the sum's rounding error and round the other way.
 */
export function fmaf(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = Math.fround(s);
  if (r === s) return r;
  const t = s - p;
  const error = p - (s - t) + (c - t);
  if (error === 0) return r;
  const other = 2 * s - r; // the float on the other side when s is a halfway point
  if (Math.fround(other) !== other) return r;
  return (error > 0) === (other > r) ? other : r;
}

/** Veltkamp's splitter for doubles, 2^27 + 1. */
const SPLITTER = 134217729;

/**
 * The double `fma(a, b, c)` of the scalar normal kernel (`value * std + mean`), from
 * the exact product (Dekker) and sum (Knuth) errors. It can differ from a hardware
 * fma in the last bit of the double in rare ties, which the rounding to float hides.
 */
export function fma(a: number, b: number, c: number): number {
  if (b === 1 && c === 0) return a;
  const p = a * b;
  let t = SPLITTER * a;
  const aHigh = t - (t - a);
  const aLow = a - aHigh;
  t = SPLITTER * b;
  const bHigh = t - (t - b);
  const bLow = b - bHigh;
  const productError = aHigh * bHigh - p + aHigh * bLow + aLow * bHigh + aLow * bLow;
  const s = p + c;
  const u = s - p;
  const sumError = p - (s - u) + (c - u);
  return s + (productError + sumError);
}

// Constants of avx_mathfun.h (Cephes' logf/sinf/cosf by Pommier and Garberoglio), which
// stores each as a float.
const f = Math.fround;
const SQRT_HALF = f(0.707106781186547524);
const LOG_P = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
  2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
].map(f);
const LOG_Q1 = f(-2.1219444e-4);
const LOG_Q2 = f(0.693359375);
const FOUR_OVER_PI = f(1.27323954473516);
const MINUS_DP1 = f(-0.78515625);
const MINUS_DP2 = f(-2.4187564849853515625e-4);
const MINUS_DP3 = f(-3.77489497744594108e-8);
const SIN_P0 = f(-1.9515295891e-4);
const SIN_P1 = f(8.3321608736e-3);
const SIN_P2 = f(-1.6666654611e-1);
const COS_P0 = f(2.443315711809948e-5);
const COS_P1 = f(-1.388731625493765e-3);
const COS_P2 = f(4.166664568298827e-2);
/** `_mm256_set1_ps(2.0f * c10::pi<double>)`: 2π in double, then rounded to float. */
const TWO_PI_FLOAT = f(2 * Math.PI);
/** IEEE exponent bias and field of a float32. */
const FLOAT_EXPONENT_BIAS = 127;
const FLOAT_EXPONENT_MASK = 0x7f800000;
const FLOAT_HALF_BITS = 0x3f000000;

const bitsF32 = new Float32Array(1);
const bitsI32 = new Int32Array(bitsF32.buffer);

/**
 * `log256_ps` for one float `x` in (0, 1] (Box-Muller's 1 - u never leaves it). GCC
 * fuses a product into the addition that is its only use: each Horner step, and,
 * where a sum of two products leaves a choice, the product written first, so
 * `y * z + e * q1` becomes `fma(y, z, e * q1)`. Measured: with these fusions 300,000
 * randn values equal PyTorch's; fusing `e * q1` instead breaks about 1 in 5,000.
 */
function logFloat(x: number): number {
  bitsF32[0] = x;
  const bits = bitsI32[0];
  let e = f((bits >>> 23) - FLOAT_EXPONENT_BIAS + 1);
  bitsI32[0] = (bits & ~FLOAT_EXPONENT_MASK) | FLOAT_HALF_BITS;
  let m = bitsF32[0]; // mantissa scaled into [0.5, 1)
  if (m < SQRT_HALF) {
    e = f(e - 1);
    m = f(f(m - 1) + m);
  } else {
    m = f(m - 1);
  }
  const z = f(m * m);
  let y = fmaf(LOG_P[0], m, LOG_P[1]);
  for (let k = 2; k < LOG_P.length; k++) y = fmaf(y, m, LOG_P[k]);
  y = f(y * m);
  y = fmaf(y, z, f(e * LOG_Q1));
  y = f(y - f(z * 0.5));
  return f(f(m + y) + f(e * LOG_Q2));
}

/** Results of {@link sinCosFloat}, kept to avoid an allocation per call. */
const sinCos = { sin: 0, cos: 0 };

/** `sincos256_ps` for one float `x` >= 0 (Box-Muller's angle), with GCC's fusions. */
function sinCosFloat(x: number): void {
  let j = Math.trunc(f(x * FOUR_OVER_PI));
  j = (j + 1) & ~1;
  x = fmaf(j, MINUS_DP1, x);
  x = fmaf(j, MINUS_DP2, x);
  x = fmaf(j, MINUS_DP3, x);
  const z = f(x * x);
  let c = fmaf(COS_P0, z, COS_P1);
  c = fmaf(c, z, COS_P2);
  c = f(c * z);
  // `c * z - z * 0.5`: the product written first is the one fused (see logFloat).
  c = f(fmaf(c, z, -f(z * 0.5)) + 1);
  let s = fmaf(SIN_P0, z, SIN_P1);
  s = fmaf(s, z, SIN_P2);
  s = f(s * z);
  s = fmaf(s, x, x);
  // j is the even octant index nearest x / (π/4): for j = 2 or 6 the sine and cosine
  // polynomials trade places, and bit 4 of j or j - 2 flips the signs (Cephes).
  const swap = (j & 2) !== 0;
  // Adding the other lane's +0 as the vector code does turns a -0 into +0.
  const sin = (swap ? c : s) + 0;
  const cos = (swap ? s : c) + 0;
  sinCos.sin = (j & 4) !== 0 ? -sin : sin;
  sinCos.cos = ((j - 2) & 4) === 0 ? -cos : cos;
}

/**
 * `normal_fill_16_AVX2`: turns 16 uniforms at `data[start..start+16)` into normals,
 * pairing element k with element k + 8.
 */
export function boxMullerBlock(data: Float32Array, start: number, mean: number, std: number): void {
  for (let k = start; k < start + HALF_BLOCK; k++) {
    const radius = f(Math.sqrt(-2 * logFloat(1 - data[k])));
    sinCosFloat(f(TWO_PI_FLOAT * data[k + HALF_BLOCK]));
    data[k] = fmaf(f(radius * sinCos.cos), std, mean);
    data[k + HALF_BLOCK] = fmaf(f(radius * sinCos.sin), std, mean);
  }
}
