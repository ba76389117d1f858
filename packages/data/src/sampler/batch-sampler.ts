/** `BatchSampler`, as `torch.utils.data.BatchSampler`. */
import { ArgumentError } from '@loom/tensor';
import { checkBoolean, checkPositiveInteger } from '../internal/check';
import type { Sampler } from './sampler';

/**
 * Groups another sampler's indices into lists of `batchSize`; the last, shorter one
 * is yielded unless `dropLast`.
 *
 * @example
 * ```ts
 * [...new BatchSampler(new SequentialSampler(range10), 3, false)]; // [[0,1,2],[3,4,5],[6,7,8],[9]]
 * [...new BatchSampler(new SequentialSampler(range10), 3, true)];  // [[0,1,2],[3,4,5],[6,7,8]]
 * ```
 */
export class BatchSampler implements Sampler<number[]> {
  constructor(
    readonly sampler: Iterable<number> & { readonly length?: number },
    readonly batchSize: number,
    readonly dropLast: boolean,
  ) {
    checkPositiveInteger('BatchSampler', 'batchSize', batchSize);
    checkBoolean('BatchSampler', 'dropLast', dropLast);
  }

  *[Symbol.iterator](): Iterator<number[]> {
    let batch: number[] = [];
    for (const index of this.sampler) {
      batch.push(index);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0 && !this.dropLast) yield batch;
  }

  /** The number of batches; the inner sampler must have a `length`. */
  get length(): number {
    const n = this.sampler.length;
    if (typeof n !== 'number') throw new ArgumentError('BatchSampler.length: the sampler has no length (an iterable without one cannot say how many batches it makes)');
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
}
