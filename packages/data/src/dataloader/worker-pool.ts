/**
 * The DataLoader's piscina pool: `numWorkers` threads, each with a fixed worker id,
 * and batches routed to the worker the iterator chose (see NOTE [DataLoader worker
 * pool] in multi-worker-iter.ts). It also turns a thread that dies into one error for
 * the iterator, and owns the pinned ring of the batches it carries.
 *
 * @internal
 */
import { Piscina, queueOptionsSymbol } from 'piscina';
import { WorkerSpecError } from '../errors';
import { DataLoaderWorkerExitError } from './dataloader-errors';
import type { PinnedRing } from './pinned-ring';
import { workerScriptPath } from './worker-script';
import { FETCH_TASK_NAME, type FetchResult, type FetchTask, type PoolConfig } from './worker-protocol';

/** Counters a loader keeps about its pools, for tests and diagnostics. */
export interface PoolEvents {
  started(): void;
  destroyed(): void;
}

/**
 * Young-generation size of each worker's heap, in MB. Loading makes short-lived
 * garbage only (samples are copied into the batch at once). Measured on Fashion-MNIST,
 * batch 64: with V8's default each worker's heap grew to ~50 MB; with 1 MB it stays
 * at ~18 MB (13 MB of it the code of @loom/tensor and tfjs-core), at the same speed;
 * ~8 MB for a worker that follows a host plan (NOTE [Host-only workers]).
 */
const WORKER_YOUNG_GENERATION_MB = 1;

/** Routing data piscina hands to the load balancer with each task. */
interface QueueOptions {
  workerId: number;
}

/** A pool of worker threads with fixed ids, 0 to numWorkers - 1. */
export class WorkerPool {
  /** The ring of pinned slots, made after the first batch when `pinMemory` is set. */
  ring: PinnedRing | null = null;
  private readonly piscina: Piscina;
  private readonly threadIds: number[] = [];
  private failure: DataLoaderWorkerExitError | null = null;
  private readonly failureListeners: ((err: DataLoaderWorkerExitError) => void)[] = [];
  private destroying: Promise<void> | null = null;

  constructor(
    config: PoolConfig,
    maxTasksInFlight: number,
    private readonly events: PoolEvents,
    datasetName: string,
  ) {
    const threadIds = this.threadIds;
    try {
      this.piscina = new Piscina({
        filename: workerScriptPath(),
        name: FETCH_TASK_NAME,
        minThreads: config.numWorkers,
        maxThreads: config.numWorkers,
        idleTimeout: Infinity,
        // Tasks wait in their worker's port (PyTorch's per-worker index queue), so a
        // worker may hold every task in flight.
        concurrentTasksPerWorker: maxTasksInFlight,
        workerData: config,
        recordTiming: false,
        resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
        // Batch k goes to the worker the iterator picked, never to whichever is idle:
        // per-worker random streams then see the same batches in every run.
        loadBalancer: (task, workers) => {
          const { workerId } = (task as unknown as Record<symbol, QueueOptions>)[queueOptionsSymbol] as QueueOptions;
          return workers.find((w) => w.id === threadIds[workerId]) ?? null;
        },
      });
    } catch (err) {
      if (err instanceof Error && err.name === 'DataCloneError') {
        throw new WorkerSpecError(
          `DataLoader: the workerSpec() of ${datasetName} (or of collateFn) holds a value that cannot be sent to a worker thread: ${err.message}`,
          'workerSpec().args must be structured-cloneable (numbers, strings, plain objects, arrays, typed arrays, SharedArrayBuffers)',
        );
      }
      throw err;
    }
    this.piscina.threads.forEach((thread, workerId) => {
      threadIds.push(thread.threadId);
      thread.on('error', (err: Error) => this.fail(workerId, `uncaught ${err.name}: ${err.message}`, err.stack ?? null));
      thread.on('exit', (code: number) => this.fail(workerId, `its thread exited with code ${code}`, null));
    });
    // Piscina reports here an uncaught error of a thread that had no task running. The
    // thread's own 'error' listener above runs in the same dispatch and knows the
    // worker id, so this one waits a microtask and only speaks if that one did not.
    this.piscina.on('error', (err: Error) => {
      queueMicrotask(() => this.fail(null, `uncaught ${err.name}: ${err.message}`, err.stack ?? null));
    });
    events.started();
  }

  get isDestroyed(): boolean {
    return this.destroying !== null;
  }

  /** The error of the first thread that died, if one did. */
  get failed(): DataLoaderWorkerExitError | null {
    return this.failure;
  }

  /** Calls `listener` once when a thread dies (at once if one already has). */
  onFailure(listener: (err: DataLoaderWorkerExitError) => void): void {
    if (this.failure !== null) listener(this.failure);
    else this.failureListeners.push(listener);
  }

  /** Sends a task to its worker; resolves with the worker's answer, rejects if the thread dies. */
  run(task: FetchTask): Promise<FetchResult> {
    const routed = Object.assign({ [queueOptionsSymbol]: { workerId: task.workerId } satisfies QueueOptions }, task);
    return this.piscina.run(routed) as Promise<FetchResult>;
  }

  /** The error for a task whose promise rejected because its thread died (the first death's, if known). */
  exitError(workerId: number, err: unknown): DataLoaderWorkerExitError {
    const e = err instanceof Error ? err : new Error(String(err));
    return this.fail(workerId, `${e.name}: ${e.message}`, e.stack ?? null);
  }

  /** Stops every thread (idempotent); pending tasks are rejected and ignored. */
  destroy(): Promise<void> {
    if (this.destroying === null) {
      this.destroying = this.piscina.destroy().finally(() => this.events.destroyed());
    }
    return this.destroying;
  }

  /** Records the first death of a thread (not those the pool's own destroy() causes) and tells the listeners. */
  private fail(workerId: number | null, reason: string, stack: string | null): DataLoaderWorkerExitError {
    if (this.failure !== null) return this.failure;
    const failure = new DataLoaderWorkerExitError(workerId, reason, stack);
    if (this.destroying !== null) return failure;
    this.failure = failure;
    for (const listener of this.failureListeners.splice(0)) listener(failure);
    return failure;
  }
}
