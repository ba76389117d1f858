/**
 * The iterator of `numWorkers > 0` (PyTorch's `_MultiProcessingDataLoaderIter`, with
 * worker threads instead of processes).
 *
 * NOTE [DataLoader worker pool]
 *
 *   main thread                                       piscina pool, N threads
 *   sampler -> indices of batch b                     (worker-pool.ts, worker.ts)
 *   dispatch to worker w = next active in 0..N-1 --- task {b, indices, slot} ---> port of w
 *     (round robin as PyTorch: worker w sees the                 | first task of the thread: re-create
 *      same batches in every run, so its seeded                  | the dataset from workerSpec(), seed
 *      random transforms repeat)                                 | baseSeed + w, setWorkerInfo,
 *                                                                | workerInitFn(w)
 *                                                                | getItem(i) for i in indices,
 *                                                                | collate (NOTE [Collate placement])
 *                                                                | (with a host plan, none of this: the
 *                                                                | batch is computed from shared bytes,
 *                                                                | NOTE [Host-only workers])
 *   <-------- {b, encoded batch} | {b, failure: worker, index, stack} | {b, exhausted}
 *   next(): batch rcvdIdx (inOrder) or the first to arrive; tensors rebuilt (batch-codec.ts);
 *           one more task dispatched, so at most prefetchFactor x N are in flight.
 *
 * Shutdown: the pool is destroyed (every thread terminated, even one stuck in a loop)
 * at the end of the epoch, on `break` (`return()`), on an error, and when an abandoned
 * iterator is garbage-collected; with `persistentWorkers` it lives until the loader's
 * `close()` or an error, and tasks left over from an interrupted epoch are awaited
 * and dropped when the next one starts. Idle piscina threads are unref'd, so a pool
 * never keeps the process alive. A dataset exception comes back as a failure result
 * (re-raised as DataLoaderWorkerError); a thread that dies surfaces as
 * DataLoaderWorkerExitError; no batch within `timeout` seconds as DataLoaderTimeoutError.
 *
 * @internal
 */
import type { WorkerRecreatable } from '../worker-spec';
import { BaseDataLoaderIter, END } from './base-iter';
import { decodeBatch } from './batch-codec';
import { DataLoaderStateError, DataLoaderTimeoutError, DataLoaderWorkerError } from './dataloader-errors';
import type { LoaderView } from './loader-view';
import { hostPlanFor } from './host-plan';
import { decodeSlot, ensureRing } from './pinned-batch';
import { WorkerPool } from './worker-pool';
import type { BatchResult, FetchResult, PoolConfig } from './worker-protocol';

/** A batch sent to a worker and not yet handed to the consumer. */
interface TaskState {
  batchIndex: number;
  workerId: number;
  /** The pinned slot lent to the task, if any. */
  slot: number | null;
  settled: boolean;
  result: FetchResult | null;
  /** Why piscina rejected the task (its thread died, or the task could not be sent). */
  error: unknown;
}

/** Destroys the pool of an iterator dropped in the middle of an epoch (`next(iter(loader))`). */
const abandoned = new FinalizationRegistry<WorkerPool>((pool) => void pool.destroy());

function poolConfig<B>(loader: LoaderView<B>, baseSeed: bigint): PoolConfig {
  const iterable = loader.datasetKind === 'iterable';
  return {
    dataset: (loader.dataset as WorkerRecreatable).workerSpec(),
    hostPlan: hostPlanFor(loader),
    datasetKind: loader.datasetKind,
    collate: loader.workerCollate,
    autoCollation: loader.autoCollation,
    batchSize: iterable && loader.autoCollation ? loader.batchSize : null,
    dropLast: loader.dropLast,
    workerInitFn: loader.workerInitFn,
    baseSeed,
    numWorkers: loader.numWorkers,
  };
}

/** Loads batches in a pool of worker threads. */
export class MultiWorkerDataLoaderIter<B> extends BaseDataLoaderIter<B> {
  private readonly pool: WorkerPool;
  private readonly maxInFlight: number;
  private readonly tasks = new Map<number, TaskState>();
  private stale: TaskState[] = [];
  private readonly workerActive: boolean[];
  private nextWorker = 0;
  private epoch = 0;
  private sendIdx = 0;
  private primed = false;
  private wake: (() => void) | null = null;

  constructor(loader: LoaderView<B>) {
    super(loader);
    this.maxInFlight = loader.prefetchFactor * loader.numWorkers;
    this.pool = new WorkerPool(poolConfig(loader, this.baseSeed), this.maxInFlight, loader.poolEvents, loader.datasetName);
    // A weak reference: the pool must not keep an abandoned iterator alive (see `abandoned`).
    const self = new WeakRef(this);
    this.pool.onFailure(() => self.deref()?.wake?.());
    this.workerActive = new Array<boolean>(loader.numWorkers).fill(true);
    if (!loader.persistentWorkers) abandoned.register(this, this.pool, this);
  }

  /** Whether the pool is gone (closed, or shut down after an error): a persistent loader then starts a new one. */
  get isClosed(): boolean {
    return this.pool.isDestroyed;
  }

  override reset(): void {
    super.reset();
    this.stale.push(...this.tasks.values());
    this.tasks.clear();
    this.epoch++;
    this.sendIdx = 0;
    this.nextWorker = 0;
    this.workerActive.fill(true);
    this.primed = false;
  }

  /** Stops the workers for good (the loader's `close()`). */
  async close(): Promise<void> {
    this.finished = true;
    abandoned.unregister(this);
    await this.pool.destroy();
  }

  protected async nextData(): Promise<B | typeof END> {
    await this.drainStale();
    if (!this.primed) {
      this.primed = true;
      for (let i = 0; i < this.maxInFlight; i++) this.dispatch();
    }
    for (;;) {
      const task = await this.nextSettled();
      if (task === undefined) return END;
      this.tasks.delete(task.batchIndex);
      const result = this.resultOf(task);
      if (result.kind === 'exhausted') {
        // PyTorch's _IterableDatasetStopIteration: this replica is done; the others go on.
        this.workerActive[task.workerId] = false;
        this.releaseSlot(task.slot);
        this.dispatch();
        continue;
      }
      return this.deliver(task, result);
    }
  }

  protected async shutdown(failed: boolean): Promise<void> {
    if (this.loader.persistentWorkers && !failed) return;
    await this.close();
  }

  private deliver(task: TaskState, result: BatchResult): B {
    const stats = this.loader.stats;
    if (result.allocated) stats.batchBuffersAllocated++;
    if (result.fromPlan) stats.hostPlanBatches++;
    if (this.loader.pinMemory && result.slotBytes > 0) {
      // Sized by the first batch: P·N slots in tasks, plus the batch being used and the one before it.
      ensureRing(this.pool, this.maxInFlight + 2, result.slotBytes, stats);
    }
    let value: unknown;
    if (result.slotIndex !== null && this.pool.ring !== null) {
      value = decodeSlot(this.pool.ring, result.slotIndex, result.data, stats);
    } else {
      this.releaseSlot(task.slot);
      value = decodeBatch(result.data, null);
    }
    this.dispatch();
    return this.loader.workerCollate.kind === 'none' ? (this.loader.collateFn as (batch: unknown) => B)(value) : (value as B);
  }

  /** The result of a settled task; throws the worker's error. */
  private resultOf(task: TaskState): Exclude<FetchResult, { kind: 'failure' }> {
    if (task.result === null) {
      if (task.error instanceof Error && task.error.name === 'DataCloneError') {
        throw new DataLoaderStateError(
          `DataLoader: the indices of batch ${task.batchIndex} cannot be sent to worker ${task.workerId}: ${task.error.message}`,
          'a sampler must yield numbers, and a batch sampler arrays of numbers',
        );
      }
      throw this.pool.exitError(task.workerId, task.error);
    }
    const r = task.result;
    if (r.kind !== 'failure') return r;
    this.releaseSlot(task.slot);
    throw new DataLoaderWorkerError(r.workerId, r.sampleIndex, r.batchIndex, r.stage, r.name, r.message, r.stack);
  }

  /** PyTorch's `_try_put_index`: sends the next batch to the next active worker. */
  private dispatch(): void {
    if (this.tasks.size >= this.maxInFlight || this.pool.isDestroyed) return;
    const workerId = this.pickWorker();
    if (workerId === null) return;
    let indices: number[] | number | null = null;
    if (this.loader.datasetKind === 'map') {
      const index = this.nextIndex();
      if (index === undefined) return;
      indices = index as number[] | number;
    }
    const slot = this.pool.ring?.acquire() ?? null;
    const batchIndex = this.sendIdx++;
    const state: TaskState = { batchIndex, workerId, slot: slot?.index ?? null, settled: false, result: null, error: null };
    void this.pool
      .run({ workerId, epoch: this.epoch, batchIndex, indices, slot })
      .then(
        (result) => void (state.result = result),
        (err: unknown) => void (state.error = err),
      )
      .then(() => {
        state.settled = true;
        this.wake?.();
      });
    this.tasks.set(batchIndex, state);
  }

  private pickWorker(): number | null {
    const n = this.loader.numWorkers;
    for (let k = 0; k < n; k++) {
      const id = this.nextWorker;
      this.nextWorker = (id + 1) % n;
      if (this.workerActive[id]) return id;
    }
    return null;
  }

  /** The next task to hand over once settled: the oldest (inOrder) or the first to arrive; undefined when none is left. */
  private async nextSettled(): Promise<TaskState | undefined> {
    const deadline = this.deadline();
    for (;;) {
      if (this.pool.failed !== null) throw this.pool.failed;
      const oldest = this.tasks.values().next();
      if (oldest.done) return undefined;
      const ready = this.loader.inOrder ? (oldest.value.settled ? oldest.value : null) : this.firstSettled();
      if (ready !== null) return ready;
      await this.sleep(deadline, oldest.value);
    }
  }

  private firstSettled(): TaskState | null {
    for (const task of this.tasks.values()) if (task.settled) return task;
    return null;
  }

  /** Awaits and drops the tasks of an interrupted epoch (persistent workers), freeing their slots. */
  private async drainStale(): Promise<void> {
    const deadline = this.deadline();
    for (const task of this.stale) {
      while (!task.settled) {
        if (this.pool.failed !== null) throw this.pool.failed;
        await this.sleep(deadline, task);
      }
      this.releaseSlot(task.slot);
    }
    this.stale = [];
  }

  /** When waiting for a batch must end: `timeout` seconds from now (PyTorch's timeout), or never. */
  private deadline(): number {
    return this.loader.timeout > 0 ? performance.now() + this.loader.timeout * 1000 : Infinity;
  }

  /**
   * Sleeps until a task settles, a thread dies or the deadline passes; past the
   * deadline, throws the timeout error blaming `culprit`. (A fresh promise per wait:
   * racing a long-lived one would pile up reactions on it, batch after batch.)
   */
  private async sleep(deadline: number, culprit: TaskState): Promise<void> {
    const left = deadline - performance.now();
    if (left <= 0) {
      throw new DataLoaderTimeoutError(this.loader.timeout, culprit.workerId, culprit.batchIndex);
    }
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      if (left !== Infinity) timer = setTimeout(resolve, left);
    });
    clearTimeout(timer);
    this.wake = null;
  }

  private releaseSlot(slot: number | null): void {
    if (slot !== null) this.pool.ring?.release(slot);
  }
}
