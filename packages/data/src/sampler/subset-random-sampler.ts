/** `SubsetRandomSampler`, as `torch.utils.data.SubsetRandomSampler`. */
import { defaultGenerator, type Generator } from '@loom/tensor';
import type { Sampler } from './sampler';

/**
 * The given indices in a random order, a new one per iteration, drawn with
 * `randperm(indices.length)` from `generator` (default: the default generator, at
 * iteration time, as PyTorch).
 *
 * @example
 * ```ts
 * const valIdx = Array.from({ length: 100 }, (_, i) => 900 + i);
 * new DataLoader(dataset, { batchSize: 10, sampler: new SubsetRandomSampler(valIdx) });
 * ```
 */
export class SubsetRandomSampler implements Sampler<number> {
  readonly indices: ArrayLike<number>;
  readonly generator: Generator | undefined;

  constructor(indices: ArrayLike<number>, options: { generator?: Generator } = {}) {
    this.indices = indices;
    this.generator = options.generator;
  }

  *[Symbol.iterator](): Iterator<number> {
    const order = (this.generator ?? defaultGenerator).randperm(this.indices.length);
    for (const i of order) yield this.indices[i]!;
  }

  get length(): number {
    return this.indices.length;
  }
}
