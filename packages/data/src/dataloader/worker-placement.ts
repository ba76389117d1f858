/**
 * What of a DataLoader's user code can run in worker threads, decided at construction.
 *
 * NOTE [Collate placement]
 * Closures cannot cross threads. With `numWorkers > 0` a batch is collated in the
 * worker that fetched it when the collate function can exist there:
 *
 *   collateFn                                   runs in      the worker sends
 *   (none) / defaultCollate                     the worker   the batch (stacked straight
 *                                                            into a pinned slot)
 *   (none) with batchSize: null                 the worker   the sample as it is
 *   WorkerRecreatable (has workerSpec())        the worker   the batch; the function is
 *                                                            re-created once per thread
 *   any other function (a closure)              main thread  the list of samples
 *
 * The last case is correct but slower: the main thread pays for collation, between
 * batches. To collate in the workers, export the function from a module as a class
 * (or factory) and give it a `workerSpec()` that re-creates it, as datasets do.
 *
 * @internal
 */
import { ArgumentError } from '@loom/tensor';
import { defaultCollate } from '../collate/default-collate';
import { WorkerSpecError } from '../errors';
import { describe } from '../internal/values';
import { isWorkerRecreatable } from '../worker-spec';
import type { WorkerCollate, WorkerFunctionSpec } from './worker-protocol';

/**
 * `workerInitFn`: called in each worker with its id, after seeding (PyTorch's
 * `worker_init_fn`). Functions cannot cross threads, so name an exported function: a
 * module path (absolute, or a package) for its default export, or `{ module,
 * exportName }`. A plain function is accepted only with `numWorkers: 0`, where PyTorch
 * never calls it either.
 *
 * @example
 * ```ts
 * // init.js: exports.seedNumpyLike = (workerId) => { ... };
 * new DataLoader(ds, { numWorkers: 4, workerInitFn: { module: require.resolve('./init'), exportName: 'seedNumpyLike' } });
 * ```
 */
export type WorkerInitFn = string | WorkerFunctionSpec | ((workerId: number) => void);

/** Where collation runs with workers; see NOTE [Collate placement]. */
export function placeCollate(collateFn: unknown, autoCollation: boolean): WorkerCollate {
  if (collateFn === undefined || collateFn === defaultCollate) return autoCollation ? { kind: 'default' } : { kind: 'convert' };
  if (isWorkerRecreatable(collateFn)) return { kind: 'spec', spec: collateFn.workerSpec() };
  return { kind: 'none' };
}

/** Throws unless workers can re-create the dataset. */
export function checkDatasetForWorkers(dataset: unknown, numWorkers: number, datasetName: string): void {
  if (isWorkerRecreatable(dataset)) {
    dataset.workerSpec(); // fails now (naming the part) if a transform inside cannot go to workers
    return;
  }
  throw new WorkerSpecError(
    `DataLoader: numWorkers=${numWorkers} loads samples in worker threads, but the dataset ${datasetName} cannot be re-created there: ` +
      'it has no workerSpec() method (closures and class instances cannot cross threads)',
    `implement workerSpec() on ${datasetName}, returning { module: __filename (or a package name), exportName: '${datasetName}', ` +
      'args: [its constructor arguments, structured-cloneable] } (see WorkerRecreatable), or use numWorkers: 0',
  );
}

/** Checks `workerInitFn` and puts it in the form workers load; null when there is none to call. */
export function resolveWorkerInitFn(fn: WorkerInitFn | undefined, numWorkers: number): WorkerFunctionSpec | null {
  if (fn === undefined || fn === null) return null;
  if (typeof fn === 'function') {
    // PyTorch calls worker_init_fn only in workers: without workers it is never called.
    if (numWorkers === 0) return null;
    throw new WorkerSpecError(
      `DataLoader: workerInitFn is ${describe(fn)}, which cannot be sent to worker threads (closures cannot cross threads)`,
      "export it from a module and pass { module: __filename (or require.resolve('./init')), exportName: 'init' }, or the module path alone for its default export",
    );
  }
  const spec: WorkerFunctionSpec = typeof fn === 'string' ? { module: fn } : fn;
  if (typeof spec !== 'object' || typeof spec.module !== 'string' || (spec.exportName !== undefined && typeof spec.exportName !== 'string')) {
    throw new ArgumentError(`DataLoader: workerInitFn should be a module path, { module, exportName } or a function, but got workerInitFn=${describe(fn)}`);
  }
  if (spec.module.startsWith('.')) {
    throw new ArgumentError(
      `DataLoader: workerInitFn module '${spec.module}' is a relative path, which a worker would resolve against @loom/data's folder`,
      "give an absolute path (require.resolve('./init') or path.join(__dirname, 'init.js')) or a package name",
    );
  }
  return { module: spec.module, ...(spec.exportName !== undefined ? { exportName: spec.exportName } : {}) };
}
