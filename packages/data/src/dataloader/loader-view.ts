/**
 * What the iterators read from their DataLoader, resolved once at construction (the
 * index sampler chosen, the collate function placed, option defaults applied).
 *
 * @internal
 */
import type { Generator } from '@loom/tensor';
import type { PoolEvents } from './worker-pool';
import type { WorkerCollate, WorkerFunctionSpec } from './worker-protocol';

/**
 * Counters of a loader's worker pools and pinned slots, from `DataLoader.stats()`.
 *
 * @example
 * ```ts
 * for await (const batch of loader) { ... }
 * loader.stats(); // { poolsStarted: 1, poolsDestroyed: 1, pinnedBuffersAllocated: 6, pinnedBatches: 934, batchBuffersAllocated: 4, hostPlanBatches: 938 }
 * ```
 */
export interface DataLoaderStats {
  /** Worker pools started: one per epoch, or one in all with `persistentWorkers`. */
  poolsStarted: number;
  /** Pools whose threads have all stopped (end of epoch, `break`, error, `close()`). */
  poolsDestroyed: number;
  /** Pinned slot buffers allocated: P·N + 2 per pool with `pinMemory` after its first batch, plus one per slot left to a kept tensor. */
  pinnedBuffersAllocated: number;
  /** Batches that arrived in a pinned slot. */
  pinnedBatches: number;
  /** Batches for which a worker allocated a batch-sized buffer (collate output or a copy to move). */
  batchBuffersAllocated: number;
  /** Batches the workers computed from a host plan, without the dataset's code (NOTE [Host-only workers] in host-plan.ts). */
  hostPlanBatches: number;
}

/** The resolved configuration of a DataLoader. */
export interface LoaderView<B> {
  readonly dataset: unknown;
  readonly datasetKind: 'map' | 'iterable';
  readonly datasetName: string;
  /** The batch sampler with auto-batching, else the sampler; null for iterable datasets. */
  readonly indexSampler: Iterable<unknown> | null;
  readonly autoCollation: boolean;
  readonly batchSize: number | null;
  readonly dropLast: boolean;
  readonly collateFn: (batch: never) => B;
  /** Where collation runs with workers (see NOTE [Collate placement]). */
  readonly workerCollate: WorkerCollate;
  readonly numWorkers: number;
  readonly prefetchFactor: number;
  readonly pinMemory: boolean;
  /** Seconds; 0 waits forever. */
  readonly timeout: number;
  readonly inOrder: boolean;
  readonly persistentWorkers: boolean;
  readonly workerInitFn: WorkerFunctionSpec | null;
  readonly generator: Generator | undefined;
  /** The length `loader.length` reported for an iterable dataset, once asked. */
  readonly reportedIterableLength: number | null;
  readonly stats: DataLoaderStats;
  readonly poolEvents: PoolEvents;
}
