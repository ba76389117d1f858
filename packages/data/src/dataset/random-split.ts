/** `randomSplit`: `torch.utils.data.random_split`, with PyTorch's permutation. */
import { ArgumentError, defaultGenerator, type Generator } from '@loom/tensor';
import { log } from '../internal/log';
import { toShared } from '../internal/shared';
import type { Dataset } from './dataset';
import { Subset } from './subset';

/** `math.isclose`'s default relative tolerance, which decides whether lengths are fractions. */
const FRACTION_SUM_REL_TOL = 1e-9;

/**
 * Splits `dataset` into non-overlapping random subsets of the given lengths, or of the
 * given fractions of its length (summing to 1: each gets `floor(n * fraction)`, and
 * the remainder is handed out one by one, round-robin from the first). The order is
 * PyTorch's: `randperm(n, generator)` cut in pieces, so the same seed gives the same
 * split as `torch.utils.data.random_split`.
 *
 * @example
 * ```ts
 * const [train, val] = randomSplit(dataset, [0.8, 0.2], new Generator(42));
 * const [a, b] = randomSplit(range10, [3, 7]); // from the default generator
 * ```
 */
export function randomSplit<T>(dataset: Dataset<T>, lengths: readonly number[], generator: Generator = defaultGenerator): Subset<T>[] {
  const n = dataset.length;
  let sizes = [...lengths];
  const sum = sizes.reduce((a, b) => a + b, 0);
  if (isClose(sum, 1) && sum <= 1) {
    sizes = sizes.map((fraction, i) => {
      if (!(fraction >= 0 && fraction <= 1)) throw new ArgumentError(`randomSplit: Fraction at index ${i} is not between 0 and 1 (got ${fraction})`);
      return Math.floor(n * fraction);
    });
    const remainder = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) sizes[i % sizes.length]! += 1;
    sizes.forEach((size, i) => {
      if (size === 0) log(`randomSplit: Length of split at index ${i} is 0. This might result in an empty dataset.`);
    });
  }
  sizes.forEach((size, i) => {
    if (!Number.isInteger(size) || size < 0) {
      throw new ArgumentError(`randomSplit: lengths[${i}] is ${size}: expected a non-negative integer, or fractions that sum to 1`);
    }
  });
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== n) {
    throw new ArgumentError(`randomSplit: Sum of input lengths does not equal the length of the input dataset! (lengths sum to ${total}, the dataset has ${n} samples)`);
  }
  // One shared copy of the permutation; each Subset keeps a view of its piece.
  const permutation = toShared(generator.randperm(total));
  let offset = 0;
  return sizes.map((size) => {
    const piece = permutation.subarray(offset, offset + size);
    offset += size;
    return new Subset(dataset, piece);
  });
}

/** Python's `math.isclose(a, b)` with its default tolerances. */
function isClose(a: number, b: number): boolean {
  return Math.abs(a - b) <= FRACTION_SUM_REL_TOL * Math.max(Math.abs(a), Math.abs(b));
}
