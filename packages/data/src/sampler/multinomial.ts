/**
 * `torch.multinomial` on a 1-D double tensor, as PyTorch 1.13's CPU kernels draw it
 * (`aten/src/ATen/native/Sampling.cpp`, `cpu/MultinomialKernel.cpp`), for
 * `WeightedRandomSampler`.
 *
 * Two algorithms, as PyTorch 1.13 (later versions also take the first for one sample
 * with replacement):
 *   without replacement:  q_i ~ Exp(1), one per category in order;
 *       take the largest w_i / q_i (argmax, or topk for several: the Gumbel trick)
 *   with replacement:  normalised cumulative sums, then per sample one uniform double
 *       and a binary search for the first bucket >= it (the last bucket set to 1)
 * The uniform doubles are `uniform_real_distribution<double>`: 53 bits of `random64()`.
 */
import { ArgumentError, type Generator } from '@loom/tensor';

/** PyTorch refuses more categories than float32 can count exactly (`Sampling.cpp`). */
const MAX_CATEGORIES = 2 ** 24;
const TWO_POW_32 = 2 ** 32;
/** A uniform double keeps the low 53 bits of two words, the first word high: its low 21 bits. */
const DOUBLE_HIGH_MASK = 0x1fffff;
const DOUBLE_UNIT = 2 ** -53;

/**
 * Checks weights as PyTorch does before sampling and returns them as doubles.
 * @internal
 */
export function checkWeights(where: string, weights: ArrayLike<number>, numSamples: number, replacement: boolean): Float64Array {
  const w = Float64Array.from(weights);
  if (w.length === 0) throw new ArgumentError(`${where}: weights must not be empty (cannot sample from an empty distribution)`);
  if (w.length > MAX_CATEGORIES) throw new ArgumentError(`${where}: number of categories cannot exceed 2^24, got ${w.length}`);
  if (!replacement && numSamples > w.length) {
    throw new ArgumentError(`${where}: cannot sample n_sample > prob_dist.size(-1) samples without replacement (numSamples ${numSamples}, ${w.length} weights)`);
  }
  let sum = 0;
  w.forEach((v, i) => {
    if (!(v >= 0) || !Number.isFinite(v)) {
      throw new ArgumentError(`${where}: probability tensor contains either \`inf\`, \`nan\` or element < 0 (weights[${i}] is ${v})`);
    }
    sum += v;
  });
  if (!(sum > 0)) throw new ArgumentError(`${where}: invalid multinomial distribution (sum of probabilities <= 0)`);
  return w;
}

/** `torch.multinomial(weights, numSamples, replacement, generator=g)` for checked weights. @internal */
export function multinomial(weights: Float64Array, numSamples: number, replacement: boolean, generator: Generator): Int32Array {
  if (!replacement) return exponentialRace(weights, numSamples, generator);
  return inverseCdf(weights, numSamples, generator);
}

function uniformDouble(g: Generator): number {
  const high = g.nextUint32() & DOUBLE_HIGH_MASK;
  const low = g.nextUint32();
  return (high * TWO_POW_32 + low) * DOUBLE_UNIT;
}

/** `q = empty_like(w).exponential_(1); q = w / q`, then argmax or topk (largest first). */
function exponentialRace(weights: Float64Array, numSamples: number, g: Generator): Int32Array {
  const n = weights.length;
  const score = new Float64Array(n);
  // PyTorch's CPU exponential: -1/lambda * log(1 - u), 1 - u exact for a 53-bit u.
  for (let i = 0; i < n; i++) score[i] = weights[i]! / -Math.log(1 - uniformDouble(g));
  if (numSamples === 1) {
    let best = 0;
    for (let i = 1; i < n; i++) if (score[i]! > score[best]!) best = i;
    return Int32Array.of(best);
  }
  // Ties (zero weights) come out in index order; PyTorch's topk leaves their order unspecified.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[b]! - score[a]! || a - b);
  return Int32Array.from(order.slice(0, numSamples));
}

/** The with-replacement kernel: one uniform per sample, binary search in the normalised CDF. */
function inverseCdf(weights: Float64Array, numSamples: number, g: Generator): Int32Array {
  const n = weights.length;
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let j = 0; j < n; j++) cdf[j] = sum += weights[j]!;
  for (let j = 0; j < n; j++) cdf[j]! /= sum;
  cdf[n - 1] = 1;
  const out = new Int32Array(numSamples);
  for (let s = 0; s < numSamples; s++) {
    const u = uniformDouble(g);
    let left = 0;
    let right = n;
    while (right - left > 0) {
      const mid = left + ((right - left) >> 1);
      if (cdf[mid]! < u) left = mid + 1;
      else right = mid;
    }
    out[s] = left;
  }
  return out;
}
