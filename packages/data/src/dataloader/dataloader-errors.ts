/**
 * Typed errors of the DataLoader's iteration. (Bad options throw `@loom/tensor`'s
 * `ArgumentError` with PyTorch's messages, and datasets that cannot go to workers
 * `WorkerSpecError`, as in the rest of `@loom/data`.) The worker errors carry what a
 * user needs to find the failing sample: the worker id, the sample index and the
 * stack of the original error in the worker thread.
 */
import { LoomError } from '@loom/tensor';

/** Where in a worker an error happened. */
export type WorkerErrorStage = 'init' | 'fetch' | 'collate' | 'send';

/**
 * An exception thrown by dataset, transform, collate or `workerInitFn` code inside a
 * worker thread, re-raised in the main loop (PyTorch's `ExceptionWrapper.reraise`).
 * The original class cannot cross threads; its name, message and stack are kept.
 *
 * @example
 * ```ts
 * try {
 *   for await (const batch of loader) {}
 * } catch (e) {
 *   if (e instanceof DataLoaderWorkerError) console.log(e.workerId, e.sampleIndex, e.originalStack);
 * }
 * ```
 */
export class DataLoaderWorkerError extends LoomError {
  constructor(
    /** The worker's id, 0 to numWorkers - 1. */
    readonly workerId: number,
    /** The dataset index being fetched, or null (worker start-up, collation, iterable datasets). */
    readonly sampleIndex: number | null,
    /** The position of the batch in the epoch. */
    readonly batchIndex: number,
    /** What the worker was doing. */
    readonly stage: WorkerErrorStage,
    /** The original error's class name, such as `TypeError`. */
    readonly originalName: string,
    /** The original error's message. */
    readonly originalMessage: string,
    /** The original stack, as printed in the worker thread. */
    readonly originalStack: string,
  ) {
    super('LOOM_DATALOADER_WORKER', `Caught ${originalName} in DataLoader worker ${workerId} ${describeStage(stage, sampleIndex, batchIndex)}.\nOriginal stack (most recent call first):\n${originalStack}`);
  }
}

function describeStage(stage: WorkerErrorStage, sampleIndex: number | null, batchIndex: number): string {
  switch (stage) {
    case 'init':
      return 'while starting (re-creating the dataset or running workerInitFn)';
    case 'fetch':
      return sampleIndex === null ? `while fetching batch ${batchIndex}` : `while fetching sample ${sampleIndex} (batch ${batchIndex})`;
    case 'collate':
      return `while collating batch ${batchIndex}`;
    case 'send':
      return `while sending batch ${batchIndex} to the main thread`;
  }
}

/**
 * No batch arrived within `timeout` seconds (PyTorch's `DataLoader timed out after N
 * seconds`); the worker pool has been shut down.
 *
 * @example
 * ```ts
 * const loader = new DataLoader(ds, { numWorkers: 2, timeout: 30 });
 * ```
 */
export class DataLoaderTimeoutError extends LoomError {
  constructor(
    readonly timeout: number,
    readonly workerId: number,
    readonly batchIndex: number,
  ) {
    super(
      'LOOM_DATALOADER_TIMEOUT',
      `DataLoader timed out after ${timeout} seconds waiting for batch ${batchIndex} from worker ${workerId}`,
      'a dataset getItem() or transform that hangs; raise timeout if it is only slow (timeout: 0 waits forever)',
    );
  }
}

/**
 * A worker thread died (`process.exit()`, an uncaught error outside a task, a
 * resource limit): PyTorch's `DataLoader worker (pid N) exited unexpectedly`. The pool
 * has been shut down.
 *
 * @example
 * ```ts
 * if (e instanceof DataLoaderWorkerExitError) console.log(e.workerId, e.reason);
 * ```
 */
export class DataLoaderWorkerExitError extends LoomError {
  constructor(
    /** The worker's id; null when piscina could not say which thread it was. */
    readonly workerId: number | null,
    /** The thread's exit code or uncaught error, as a sentence. */
    readonly reason: string,
    /** The uncaught error's stack, when there was one. */
    readonly originalStack: string | null,
  ) {
    super(
      'LOOM_DATALOADER_WORKER_EXITED',
      `DataLoader worker ${workerId ?? '(unknown)'} exited unexpectedly: ${reason}${originalStack ? `\nOriginal stack:\n${originalStack}` : ''}`,
      'a worker thread must not call process.exit() or leave errors uncaught; run with numWorkers: 0 to debug the dataset on the main thread',
    );
  }
}

/**
 * Something the DataLoader cannot do in this state: `length` of an iterable dataset
 * without a length, a worker script that was not built.
 *
 * @example
 * ```ts
 * new DataLoader(streamingDataset).length; // throws: the dataset has no length
 * ```
 */
export class DataLoaderStateError extends LoomError {
  constructor(message: string, help?: string) {
    super('LOOM_DATALOADER_STATE', message, help);
  }
}
