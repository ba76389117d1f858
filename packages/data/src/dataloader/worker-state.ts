/**
 * What one worker thread sets up before its first batch, in PyTorch's `_worker_loop`
 * order: re-create the dataset from its spec, seed the random generator with
 * `baseSeed + workerId`, publish `getWorkerInfo()`, run `workerInitFn(workerId)`. The
 * result is cached for the life of the thread, so the dataset is re-created once per
 * thread (its large arrays are SharedArrayBuffers: every thread sees the same bytes).
 *
 * Runs in worker threads only, and never starts TensorFlow.js: datasets, transforms
 * and collation work on host arrays.
 *
 * @internal
 */
import { workerData } from 'piscina';
import { defaultCollate } from '../collate/default-collate';
import { setWorkerInfo } from '../worker-info';
import { recreateFromSpec } from '../worker-spec';
import type { PoolConfig, WorkerFunctionSpec } from './worker-protocol';

/** A collate function as the worker runs it. */
export type CollateFunction = (batch: unknown[]) => unknown;

/** One worker thread's state. */
export interface ThreadState {
  readonly config: PoolConfig;
  readonly workerId: number;
  readonly dataset: unknown;
  /** The collate function run in this thread; null when the main thread collates. */
  readonly collate: CollateFunction | null;
  /** An error of dataset re-creation or `workerInitFn`, reported with every batch (as PyTorch does). */
  readonly initError: unknown;
  /** The epoch the iterable dataset's iterator belongs to. */
  epoch: number;
  iterator: AsyncIterator<unknown> | Iterator<unknown> | null;
  exhausted: boolean;
}

let state: ThreadState | null = null;

/** Loads an exported function named by a {@link WorkerFunctionSpec}. */
function loadFunction(spec: WorkerFunctionSpec, what: string): (...args: unknown[]) => unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(spec.module) as Record<string, unknown> | ((...args: unknown[]) => unknown);
  const fn = spec.exportName !== undefined ? (mod as Record<string, unknown>)[spec.exportName] : typeof mod === 'function' ? mod : mod['default'];
  if (typeof fn !== 'function') {
    throw new TypeError(`${what}: ${spec.module} has no exported function ${spec.exportName ?? 'default'} (found ${typeof fn})`);
  }
  return fn as (...args: unknown[]) => unknown;
}

function resolveCollate(config: PoolConfig): CollateFunction | null {
  switch (config.collate.kind) {
    case 'default':
      return defaultCollate;
    case 'convert':
      return (sample) => sample;
    case 'none':
      return null;
    case 'spec': {
      const fn = recreateFromSpec(config.collate.spec);
      if (typeof fn !== 'function') {
        throw new TypeError(`collateFn: its workerSpec() re-created a ${typeof fn} in the worker, expected a function`);
      }
      return fn as CollateFunction;
    }
  }
}

/** This thread's state, set up on the first batch it receives. */
export function threadState(workerId: number): ThreadState {
  if (state !== null) {
    if (state.workerId !== workerId) {
      throw new Error(`DataLoader worker ${state.workerId} received a task for worker ${workerId}`);
    }
    return state;
  }
  const config = workerData as PoolConfig;
  let dataset: unknown = null;
  let collate: CollateFunction | null = null;
  let initError: unknown = null;
  try {
    dataset = recreateFromSpec(config.dataset);
    collate = resolveCollate(config);
    // PyTorch's worker seed: base_seed + worker_id, wrapped to 64 bits; setWorkerInfo
    // seeds the thread's default generator with it (torch.manual_seed(seed)).
    const seed = BigInt.asUintN(64, config.baseSeed + BigInt(workerId));
    setWorkerInfo({ id: workerId, numWorkers: config.numWorkers, seed, dataset });
    if (config.workerInitFn !== null) loadFunction(config.workerInitFn, 'workerInitFn')(workerId);
  } catch (err) {
    initError = err;
  }
  state = { config, workerId, dataset, collate, initError, epoch: -1, iterator: null, exhausted: false };
  return state;
}
