/** `RandomSampler`, as `torch.utils.data.RandomSampler` of PyTorch 1.13, draw for draw. */
import { ArgumentError, Generator, defaultGenerator } from '@loom/tensor';
import { checkBoolean, checkPositiveInteger } from '../internal/check';
import type { Sampler, Sized } from './sampler';

/** PyTorch draws indices with replacement in chunks of this many (`RandomSampler.__iter__`). */
const REPLACEMENT_CHUNK = 32;

/** Options of {@link RandomSampler}, PyTorch's keyword arguments. */
export interface RandomSamplerOptions {
  /** Draw indices independently (with repeats); default false: permutations. */
  replacement?: boolean;
  /** How many indices one iteration yields; default the dataset's length. */
  numSamples?: number;
  /** The generator to draw from; default a fresh one per iteration, seeded from the default generator. */
  generator?: Generator;
}

/**
 * Random indices into a dataset: a permutation per iteration (or, with
 * `replacement`, independent draws). PyTorch's numbers for the same seed: without a
 * generator each iteration draws a seed from the default generator
 * (`randomInt64()`) and permutes with a fresh generator seeded with it; with one it
 * draws from that generator directly.
 *
 * @example
 * ```ts
 * manualSeed(0);
 * [...new RandomSampler(range10)]; // [6, 9, 0, 7, 3, 5, 4, 2, 1, 8], as PyTorch
 * new RandomSampler(dataset, { replacement: true, numSamples: 1000, generator: new Generator(1) });
 * ```
 */
export class RandomSampler implements Sampler<number> {
  readonly dataSource: Sized;
  readonly replacement: boolean;
  readonly generator: Generator | undefined;
  private readonly requestedSamples: number | undefined;

  constructor(dataSource: Sized, options: RandomSamplerOptions = {}) {
    this.dataSource = dataSource;
    this.replacement = options.replacement ?? false;
    this.requestedSamples = options.numSamples;
    this.generator = options.generator;
    checkBoolean('RandomSampler', 'replacement', this.replacement);
    checkPositiveInteger('RandomSampler', 'numSamples', this.numSamples);
  }

  /** The number of indices per iteration (read again each time: datasets may grow). */
  get numSamples(): number {
    return this.requestedSamples ?? this.dataSource.length;
  }

  *[Symbol.iterator](): Iterator<number> {
    const n = this.dataSource.length;
    if (n === 0) throw new ArgumentError('RandomSampler: cannot sample from an empty data source (length 0)');
    const generator = this.generator ?? new Generator(defaultGenerator.randomInt64());
    const numSamples = this.numSamples;
    if (this.replacement) {
      for (let k = 0; k < Math.floor(numSamples / REPLACEMENT_CHUNK); k++) yield* generator.randint(REPLACEMENT_CHUNK, 0, n);
      yield* generator.randint(numSamples % REPLACEMENT_CHUNK, 0, n);
    } else {
      for (let k = 0; k < Math.floor(numSamples / n); k++) yield* generator.randperm(n);
      // PyTorch permutes once more even when nothing of it is used: the draws count.
      yield* generator.randperm(n).subarray(0, numSamples % n);
    }
  }

  get length(): number {
    return this.numSamples;
  }
}
