/** `ConcatDataset`: datasets one after the other, as `torch.utils.data.ConcatDataset`. */
import { ArgumentError } from '@loom/tensor';
import { nestedWorkerSpec, type WorkerRecreatable, type WorkerSpec } from '../worker-spec';
import { Dataset, IterableDataset } from './dataset';

/**
 * The concatenation of map-style datasets: indices run through the first dataset,
 * then the second, and so on. Negative indices count from the end, as in PyTorch.
 *
 * @example
 * ```ts
 * const all = new ConcatDataset([trainingData, testData]);
 * all.length; // 70000
 * all.cumulativeSizes; // [60000, 70000]
 * ```
 */
export class ConcatDataset<T = unknown> extends Dataset<T> implements WorkerRecreatable {
  /** The datasets, in order. */
  readonly datasets: readonly Dataset<T>[];
  /** Running totals of the lengths: the index where each dataset ends. */
  readonly cumulativeSizes: readonly number[];

  constructor(datasets: Iterable<Dataset<T>>) {
    super();
    this.datasets = [...datasets];
    if (this.datasets.length === 0) throw new ArgumentError('ConcatDataset: datasets should not be an empty iterable');
    this.datasets.forEach((d, i) => {
      if ((d as unknown) instanceof IterableDataset) throw new ArgumentError(`ConcatDataset: datasets[${i}] is an IterableDataset: ConcatDataset does not support IterableDataset`);
    });
    let total = 0;
    this.cumulativeSizes = this.datasets.map((d) => (total += d.length));
  }

  getItem(index: number): T | Promise<T> {
    let idx = index;
    if (!Number.isInteger(idx) || idx >= this.length) {
      throw new ArgumentError(`ConcatDataset.getItem: index ${index} is out of range for ${this.length} samples`);
    }
    if (idx < 0) {
      if (-idx > this.length) throw new ArgumentError(`ConcatDataset.getItem: absolute value of index should not exceed dataset length (index ${index}, length ${this.length})`);
      idx += this.length;
    }
    const which = bisectRight(this.cumulativeSizes, idx);
    const start = which === 0 ? 0 : this.cumulativeSizes[which - 1]!;
    return this.datasets[which]!.getItem(idx - start);
  }

  get length(): number {
    return this.cumulativeSizes[this.cumulativeSizes.length - 1]!;
  }

  /** The specs of the parts; fails naming the first part that is not recreatable. */
  workerSpec(): WorkerSpec {
    const parts = this.datasets.map((d, i) => nestedWorkerSpec(d, 'ConcatDataset', `datasets[${i}]`));
    return { module: '@loom/data', exportName: 'ConcatDataset', args: [parts] };
  }
}

/** Python's `bisect.bisect_right`: the first position whose value exceeds `x`. */
function bisectRight(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x < sorted[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
