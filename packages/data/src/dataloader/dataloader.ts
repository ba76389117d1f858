/**
 * `DataLoader`: batches of a dataset, as `torch.utils.data.DataLoader` of PyTorch 1.13
 * (plus 2.x's `inOrder`), loaded on the calling thread or in a piscina pool of worker
 * threads.
 */
import { availableParallelism } from 'node:os';
import { ArgumentError, stepsAsync, type Generator } from '@loom/tensor';
import { defaultCollate } from '../collate/default-collate';
import { Dataset, IterableDataset } from '../dataset/dataset';
import { describe } from '../internal/values';
import { BatchSampler } from '../sampler/batch-sampler';
import { RandomSampler } from '../sampler/random-sampler';
import { SequentialSampler } from '../sampler/sequential-sampler';
import type { BaseDataLoaderIter } from './base-iter';
import { DataLoaderStateError } from './dataloader-errors';
import { DEFAULT_PREFETCH_FACTOR, checkOptions, type Collated, type DataLoaderOptions } from './dataloader-options';
import type { DataLoaderStats, LoaderView } from './loader-view';
import { MultiWorkerDataLoaderIter } from './multi-worker-iter';
import { SingleProcessDataLoaderIter } from './single-process-iter';
import { checkDatasetForWorkers, placeCollate, resolveWorkerInitFn, type WorkerInitFn } from './worker-placement';

/** Closes the workers of a persistent loader that was garbage-collected without `close()`. */
const unclosed = new FinalizationRegistry<MultiWorkerDataLoaderIter<unknown>>((it) => void it.close());

/** The resolved view plus the field only the loader writes. */
type MutableView<B> = LoaderView<B> & { reportedIterableLength: number | null };

function datasetKindOf(dataset: unknown): 'map' | 'iterable' {
  if (dataset instanceof IterableDataset) return 'iterable';
  if (dataset instanceof Dataset) return 'map';
  const d = dataset as Record<string | symbol, unknown> | null;
  if (d !== null && typeof d === 'object') {
    if (typeof d['getItem'] === 'function') return 'map';
    if (typeof d[Symbol.asyncIterator] === 'function') return 'iterable';
  }
  throw new ArgumentError(
    `DataLoader: dataset should be a Dataset (getItem and length) or an IterableDataset, but got dataset=${describe(dataset)}`,
    'wrap tensors in a TensorDataset, or subclass Dataset',
  );
}

/** PyTorch's `check_worker_number_rationality`, once per loader. */
function warnIfTooManyWorkers(numWorkers: number): void {
  const suggested = availableParallelism();
  if (numWorkers <= suggested) return;
  process.emitWarning(
    `This DataLoader will create ${numWorkers} worker threads in total. Our suggested max number of worker in current system is ${suggested}, ` +
      'which is smaller than what this DataLoader is going to create. Please be aware that excessive worker creation might get DataLoader ' +
      'running slow or even freeze, lower the worker number to avoid potential slowness/freeze if necessary.',
    { code: 'LOOM_DATALOADER_WORKERS' },
  );
}

/**
 * Combines a dataset and a sampler and iterates over batches of it, as PyTorch's
 * `DataLoader`: `for await (const [X, y] of loader)`. Each iteration is a step scope
 * (`stepsAsync`): the tensors of a batch and of the loop body are released when the
 * next batch is requested, so a training loop without `dispose()` keeps memory flat.
 * `loader[Symbol.asyncIterator]().next()` is PyTorch's `next(iter(loader))`.
 *
 * With `numWorkers > 0` batches are loaded by a pool of worker threads that re-create
 * the dataset from its `workerSpec()` (NOTE [DataLoader worker pool]); collation runs
 * there unless `collateFn` is a closure (NOTE [Collate placement]). With `pinMemory`
 * the workers write batches into recycled shared slots and the batch tensors view
 * them until their first use by an op, which copies them into kernel memory; a slot is
 * reused only once no tensor reads it (NOTE [Pinned batch slots]).
 *
 * @example
 * ```ts
 * const trainDataloader = new DataLoader(trainingData, { batchSize: 64, shuffle: true });
 * for await (const [X, y] of trainDataloader) {
 *   const loss = lossFn(model.forward(X), y);
 *   optimizer.zeroGrad(); loss.backward(); optimizer.step();
 * }
 * const fast = new DataLoader(trainingData, { batchSize: 64, shuffle: true, numWorkers: 2, pinMemory: true });
 * ```
 */
export class DataLoader<T = unknown, B = Collated<T>> implements AsyncIterable<B> {
  readonly dataset: Dataset<T> | IterableDataset<T>;
  /** Samples per batch; null without auto-batching (or with a batchSampler, as PyTorch). */
  readonly batchSize: number | null;
  readonly dropLast: boolean;
  /** The index sampler (null for an iterable dataset). */
  readonly sampler: Iterable<unknown> | null;
  /** The batch sampler (null without auto-batching or for an iterable dataset). */
  readonly batchSampler: Iterable<number[]> | null;
  readonly numWorkers: number;
  readonly collateFn: (batch: T[]) => B;
  readonly pinMemory: boolean;
  /** Seconds to wait for a batch; 0 waits forever. */
  readonly timeout: number;
  readonly workerInitFn: WorkerInitFn | undefined;
  readonly generator: Generator | undefined;
  /** Batches in flight per worker; undefined without workers. */
  readonly prefetchFactor: number | undefined;
  readonly persistentWorkers: boolean;
  readonly inOrder: boolean;
  private readonly view: MutableView<B>;
  private persistent: MultiWorkerDataLoaderIter<B> | null = null;

  constructor(dataset: Dataset<T> | IterableDataset<T>, options: DataLoaderOptions<T, B> = {}) {
    const kind = datasetKindOf(dataset);
    checkOptions(options as DataLoaderOptions<never, unknown>, kind === 'iterable');
    const datasetName = (dataset as object).constructor?.name ?? typeof dataset;
    this.dataset = dataset;
    this.numWorkers = options.numWorkers ?? 0;
    this.timeout = options.timeout ?? 0;
    this.prefetchFactor = this.numWorkers > 0 ? (options.prefetchFactor ?? DEFAULT_PREFETCH_FACTOR) : undefined;
    this.pinMemory = options.pinMemory ?? false;
    this.persistentWorkers = options.persistentWorkers ?? false;
    this.inOrder = options.inOrder ?? true;
    this.generator = options.generator;
    this.workerInitFn = options.workerInitFn;
    const shuffle = options.shuffle ?? false;
    let batchSize = options.batchSize === undefined ? 1 : options.batchSize;
    let dropLast = options.dropLast ?? false;
    let sampler: Iterable<unknown> | null = null;
    let batchSampler: Iterable<number[]> | null = null;
    if (kind === 'map') {
      const map = dataset as Dataset<T>;
      sampler = options.sampler ?? (shuffle ? new RandomSampler(map, { generator: this.generator }) : new SequentialSampler(map));
      if (options.batchSampler !== undefined) {
        // A custom batch sampler owns batching: PyTorch then reports batch_size None.
        batchSampler = options.batchSampler;
        batchSize = null;
        dropLast = false;
      } else if (batchSize !== null) {
        batchSampler = new BatchSampler(sampler as Iterable<number>, batchSize, dropLast);
      }
    }
    this.batchSize = batchSize;
    this.dropLast = dropLast;
    this.sampler = sampler;
    this.batchSampler = batchSampler;
    const autoCollation = kind === 'map' ? batchSampler !== null : batchSize !== null;
    this.collateFn = options.collateFn ?? ((autoCollation ? defaultCollate : (sample: unknown) => sample) as unknown as (batch: T[]) => B);
    if (this.numWorkers > 0) {
      checkDatasetForWorkers(dataset, this.numWorkers, datasetName);
      warnIfTooManyWorkers(this.numWorkers);
    }
    const stats: DataLoaderStats = { poolsStarted: 0, poolsDestroyed: 0, pinnedBuffersAllocated: 0, pinnedBatches: 0, batchBuffersAllocated: 0, hostPlanBatches: 0 };
    this.view = {
      dataset,
      datasetKind: kind,
      datasetName,
      indexSampler: batchSampler ?? sampler,
      autoCollation,
      batchSize,
      dropLast,
      collateFn: this.collateFn,
      workerCollate: placeCollate(options.collateFn, autoCollation),
      numWorkers: this.numWorkers,
      prefetchFactor: this.prefetchFactor ?? 0,
      pinMemory: this.pinMemory,
      timeout: this.timeout,
      inOrder: this.inOrder,
      persistentWorkers: this.persistentWorkers,
      workerInitFn: resolveWorkerInitFn(options.workerInitFn, this.numWorkers),
      generator: this.generator,
      reportedIterableLength: null,
      stats,
      poolEvents: { started: () => void stats.poolsStarted++, destroyed: () => void stats.poolsDestroyed++ },
    };
  }

  /**
   * The number of batches in an epoch (PyTorch's `len(loader)`): the batch sampler's
   * length, or for an iterable dataset its `length` divided by `batchSize`.
   *
   * @example
   * ```ts
   * new DataLoader(testData, { batchSize: 64 }).length; // 157 for 10000 samples
   * ```
   */
  get length(): number {
    if (this.view.datasetKind === 'iterable') {
      const n = (this.dataset as { length?: unknown }).length;
      if (typeof n !== 'number') {
        throw new DataLoaderStateError(
          `DataLoader.length: the IterableDataset ${this.view.datasetName} has no length, so the number of batches is unknown`,
          'give the dataset a length getter, or count the batches while iterating',
        );
      }
      const batches = this.batchSize === null ? n : this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
      this.view.reportedIterableLength = batches;
      return batches;
    }
    const n = (this.view.indexSampler as { length?: unknown }).length;
    if (typeof n !== 'number') {
      throw new DataLoaderStateError('DataLoader.length: the sampler has no length, so the number of batches is unknown', 'give the sampler a length property');
    }
    return n;
  }

  /**
   * Starts an epoch: an async iterator of batches whose iterations are step scopes.
   * An iterator left after a few `next()` calls keeps its step scope open (tensors made
   * afterwards join it) and its workers busy until it is collected: end it with
   * `return()`, as `break` does in a loop.
   *
   * @example
   * ```ts
   * const it = loader[Symbol.asyncIterator]();
   * const [X, y] = (await it.next()).value!; // next(iter(loader))
   * await it.return();
   * ```
   */
  [Symbol.asyncIterator](): AsyncGenerator<B, void, undefined> {
    return stepsAsync(this.iterator(), 'DataLoader step');
  }

  /**
   * Stops the worker threads of a loader with `persistentWorkers` (other loaders stop
   * theirs at the end of each epoch). Iterating again starts new ones.
   *
   * @example
   * ```ts
   * for (let epoch = 0; epoch < 5; epoch++) for await (const batch of loader) { ... }
   * await loader.close();
   * ```
   */
  async close(): Promise<void> {
    const it = this.persistent;
    this.persistent = null;
    if (it !== null) {
      unclosed.unregister(it);
      await it.close();
    }
  }

  /**
   * Counters of worker pools and pinned slots, for tests and for checking that a
   * loader releases its threads and reuses its buffers.
   *
   * @example
   * ```ts
   * const { poolsStarted, poolsDestroyed } = loader.stats();
   * ```
   */
  stats(): DataLoaderStats {
    return { ...this.view.stats };
  }

  private iterator(): BaseDataLoaderIter<B> {
    if (this.numWorkers === 0) return new SingleProcessDataLoaderIter(this.view);
    if (!this.persistentWorkers) return new MultiWorkerDataLoaderIter(this.view);
    if (this.persistent === null || this.persistent.isClosed) {
      this.persistent = new MultiWorkerDataLoaderIter(this.view);
      unclosed.register(this, this.persistent as MultiWorkerDataLoaderIter<unknown>, this.persistent);
    } else {
      this.persistent.reset();
    }
    return this.persistent;
  }
}
