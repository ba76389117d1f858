/**
 * Which worker thread the current code runs in, as `torch.utils.data.get_worker_info()`:
 * `null` in the main thread, set by the DataLoader's worker before it loads samples.
 */
import { ArgumentError, manualSeed } from '@loom/tensor';

/**
 * Facts about the current worker thread.
 *
 * @example
 * ```ts
 * const info = getWorkerInfo();
 * if (info) console.log(`worker ${info.id} of ${info.numWorkers}, seed ${info.seed}`);
 * ```
 */
export interface WorkerInfo {
  /** This worker's id, in [0, numWorkers). */
  id: number;
  /** How many workers load for the DataLoader. */
  numWorkers: number;
  /** The seed of this worker (the DataLoader's base seed + id, as PyTorch). */
  seed: bigint;
  /** This worker's copy of the dataset (re-created from its WorkerSpec). */
  dataset: unknown;
}

let current: WorkerInfo | null = null;

/**
 * The worker's info inside a DataLoader worker thread, `null` in the main thread. An
 * `IterableDataset` uses it to give each worker its own shard.
 *
 * @example
 * ```ts
 * const info = getWorkerInfo();
 * const [start, step] = info ? [info.id, info.numWorkers] : [0, 1];
 * ```
 */
export function getWorkerInfo(): WorkerInfo | null {
  return current;
}

/**
 * Sets what {@link getWorkerInfo} returns in this thread (the DataLoader's worker calls
 * it; `null` clears it). It also seeds this thread's default generator with
 * `info.seed`, as PyTorch's worker loop calls `torch.manual_seed(seed)`: random
 * transforms without their own generator then draw a different stream in each worker.
 *
 * @example
 * ```ts
 * setWorkerInfo({ id, numWorkers, seed: baseSeed + BigInt(id), dataset });
 * ```
 */
export function setWorkerInfo(info: WorkerInfo | null): void {
  if (info === null) {
    current = null;
    return;
  }
  const { id, numWorkers, seed } = info;
  if (!Number.isInteger(numWorkers) || numWorkers < 1) {
    throw new ArgumentError(`setWorkerInfo: numWorkers must be a positive integer, got ${numWorkers}`);
  }
  if (!Number.isInteger(id) || id < 0 || id >= numWorkers) {
    throw new ArgumentError(`setWorkerInfo: id must be an integer in [0, ${numWorkers - 1}], got ${id}`);
  }
  if (typeof seed !== 'bigint') throw new ArgumentError(`setWorkerInfo: seed must be a bigint, got ${typeof seed} ${String(seed)}`);
  manualSeed(seed);
  current = Object.freeze({ ...info });
}
