/** `SequentialSampler`, as `torch.utils.data.SequentialSampler`. */
import type { Sampler, Sized } from './sampler';

/**
 * The indices `0, 1, ..., length - 1` in order: a DataLoader's sampler without
 * `shuffle`.
 *
 * @example
 * ```ts
 * [...new SequentialSampler(testData)]; // [0, 1, ..., 9999]
 * ```
 */
export class SequentialSampler implements Sampler<number> {
  constructor(readonly dataSource: Sized) {}

  *[Symbol.iterator](): Iterator<number> {
    const n = this.dataSource.length;
    for (let i = 0; i < n; i++) yield i;
  }

  get length(): number {
    return this.dataSource.length;
  }
}
