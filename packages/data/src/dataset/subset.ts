/** `Subset`: a dataset restricted to some indices, as `torch.utils.data.Subset`. */
import { ArgumentError } from '@loom/tensor';
import { checkIndex } from '../internal/check';
import { sharedIndices } from '../internal/shared';
import { nestedWorkerSpec, type WorkerRecreatable, type WorkerSpec } from '../worker-spec';
import { Dataset } from './dataset';

/**
 * The samples of `dataset` at `indices`, in that order: `getItem(i)` is
 * `dataset.getItem(indices[i])`. The indices are kept as an `Int32Array` in shared
 * memory (workers share them).
 *
 * @example
 * ```ts
 * const firstThousand = new Subset(trainingData, Array.from({ length: 1000 }, (_, i) => i));
 * ```
 */
export class Subset<T = unknown> extends Dataset<T> implements WorkerRecreatable {
  /** The dataset the samples come from. */
  readonly dataset: Dataset<T>;
  /** The indices into `dataset`. */
  readonly indices: Int32Array;

  constructor(dataset: Dataset<T>, indices: ArrayLike<number>) {
    super();
    const n = dataset.length;
    for (let i = 0; i < indices.length; i++) {
      const index = indices[i]!;
      if (!Number.isInteger(index) || index < 0 || index >= n) {
        throw new ArgumentError(`Subset: indices[${i}] is ${index}: expected an integer in [0, ${n - 1}] (the dataset has ${n} samples)`);
      }
    }
    this.dataset = dataset;
    this.indices = sharedIndices(indices);
  }

  getItem(index: number): T | Promise<T> {
    checkIndex('Subset.getItem', index, this.indices.length);
    return this.dataset.getItem(this.indices[index]!);
  }

  get length(): number {
    return this.indices.length;
  }

  /** The inner dataset's spec and the shared indices; fails if the dataset is not recreatable. */
  workerSpec(): WorkerSpec {
    return { module: '@loom/data', exportName: 'Subset', args: [nestedWorkerSpec(this.dataset, 'Subset', 'dataset'), this.indices] };
  }
}
