/**
 * `TensorDataset`: samples are the rows of tensors that share their first dim, as
 * `torch.utils.data.TensorDataset`.
 */
import { ArgumentError, ShapeError, type DType, type Tensor } from '@loom/tensor';
import { checkIndex } from '../internal/check';
import { hostTensor, readValues } from '../internal/host-tensor';
import { toShared, type SharedTypedArray } from '../internal/shared';
import type { WorkerRecreatable, WorkerSpec } from '../worker-spec';
import { Dataset } from './dataset';

/** One tensor of a TensorDataset, as it is kept and sent to workers. @internal */
interface SharedField {
  values: SharedTypedArray;
  shape: number[];
  dtype: DType;
}

/**
 * A dataset over tensors: `getItem(i)` is the tuple of their rows `i` (tensors of
 * shape `t.shape.slice(1)`). The values are copied once, at construction, into shared
 * memory: rows are read on the host without a backend (in worker threads too), and
 * workers share that copy instead of receiving their own.
 *
 * @example
 * ```ts
 * const ds = new TensorDataset(randn([100, 3]), randint(0, 2, [100]));
 * const [x, y] = ds.getItem(0); // x: [3] float32, y: [] int32
 * const loader = new DataLoader(ds, { batchSize: 10, shuffle: true });
 * ```
 */
export class TensorDataset extends Dataset<Tensor[]> implements WorkerRecreatable {
  private readonly fields: SharedField[];

  constructor(...tensors: Tensor[]) {
    super();
    if (tensors.length === 0) throw new ArgumentError('TensorDataset: expected at least one tensor, got none');
    tensors.forEach((t, i) => {
      if (t.ndim === 0) throw new ShapeError(`TensorDataset: tensors[${i}] is a scalar (shape []): expected at least one dim to index samples along`);
    });
    const rows = tensors[0]!.shape[0]!;
    tensors.forEach((t, i) => {
      if (t.shape[0] !== rows) {
        throw new ShapeError(
          `TensorDataset: Size mismatch between tensors: tensors[0] has ${rows} rows (shape [${tensors[0]!.shape.join(',')}]) but tensors[${i}] has ${t.shape[0]} (shape [${t.shape.join(',')}])`,
        );
      }
    });
    this.fields = tensors.map((t) => ({ values: toShared(readValues(t)), shape: [...t.shape], dtype: t.dtype }));
  }

  /** Re-creates a TensorDataset in a worker from its shared values (see `workerSpec`). */
  static fromWorkerArgs(fields: SharedField[]): TensorDataset {
    const dataset = Object.create(TensorDataset.prototype) as TensorDataset;
    (dataset as unknown as { fields: SharedField[] }).fields = fields;
    return dataset;
  }

  /** The rows `index` of every tensor, fresh host tensors that can be modified. */
  getItem(index: number): Tensor[] {
    checkIndex('TensorDataset.getItem', index, this.length);
    return this.fields.map(({ values, shape, dtype }) => {
      const rowSize = values.length / shape[0]!;
      return hostTensor(values.slice(index * rowSize, (index + 1) * rowSize), shape.slice(1), dtype);
    });
  }

  /** The number of rows. */
  get length(): number {
    return this.fields[0]!.shape[0]!;
  }

  /** The tensors, as tensors over the shared values (read-only: do not modify them in place). */
  get tensors(): Tensor[] {
    return this.fields.map(({ values, shape, dtype }) => hostTensor(values, shape, dtype));
  }

  /** Sends the shared values themselves: workers read the same memory. */
  workerSpec(): WorkerSpec {
    return { module: '@loom/data', exportName: 'TensorDataset', args: [this.fields] };
  }
}
