/** `WeightedRandomSampler`, as `torch.utils.data.WeightedRandomSampler`. */
import { ArgumentError, defaultGenerator, type Generator } from '@loom/tensor';
import { checkPositiveInteger } from '../internal/check';
import { checkWeights, multinomial } from './multinomial';
import type { Sampler } from './sampler';

/** Options of {@link WeightedRandomSampler}, PyTorch's keyword arguments. */
export interface WeightedRandomSamplerOptions {
  /** Draw with repeats (default true, as PyTorch); without, each index at most once. */
  replacement?: boolean;
  /** The generator to draw from (default: the default generator, at iteration time). */
  generator?: Generator;
}

/**
 * `numSamples` indices in [0, weights.length), index `i` drawn with probability
 * proportional to `weights[i]`: `torch.multinomial(weights, numSamples, replacement)`
 * per iteration, with PyTorch 1.13's CPU algorithms and numbers for the same seed.
 * (Ties between zero-weight indices without replacement may be ordered differently:
 * PyTorch leaves that order unspecified.)
 *
 * @example
 * ```ts
 * // Oversample a rare class 10x.
 * const weights = labels.map((y) => (y === rare ? 10 : 1));
 * new WeightedRandomSampler(weights, labels.length);
 * [...new WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5, { generator: new Generator(0) })];
 * ```
 */
export class WeightedRandomSampler implements Sampler<number> {
  /** The weights as doubles (PyTorch's `torch.as_tensor(weights, dtype=torch.double)`). */
  readonly weights: Float64Array;
  readonly numSamples: number;
  readonly replacement: boolean;
  readonly generator: Generator | undefined;

  constructor(weights: ArrayLike<number>, numSamples: number, options: WeightedRandomSamplerOptions = {}) {
    const where = 'WeightedRandomSampler';
    checkPositiveInteger(where, 'numSamples', numSamples);
    const replacement = options.replacement ?? true;
    if (typeof replacement !== 'boolean') throw new ArgumentError(`${where}: replacement should be a boolean value, but got replacement=${String(replacement)}`);
    if (typeof weights !== 'object' || weights === null || typeof weights.length !== 'number') {
      throw new ArgumentError(`${where}: weights should be a 1d sequence of numbers, got ${String(weights)}`);
    }
    this.weights = checkWeights(where, weights, numSamples, replacement);
    this.numSamples = numSamples;
    this.replacement = replacement;
    this.generator = options.generator;
  }

  *[Symbol.iterator](): Iterator<number> {
    yield* multinomial(this.weights, this.numSamples, this.replacement, this.generator ?? defaultGenerator);
  }

  get length(): number {
    return this.numSamples;
  }
}
