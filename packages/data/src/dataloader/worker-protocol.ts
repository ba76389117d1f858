/**
 * The messages between the DataLoader and its worker threads. Everything here is
 * structured-cloneable: the pool's configuration travels once per thread as
 * piscina's `workerData`, a task per batch, a result per batch.
 *
 * @internal
 */
import type { WorkerSpec } from '../worker-spec';
import type { EncodedValue } from './batch-codec';
import type { WorkerErrorStage } from './dataloader-errors';

/**
 * An exported function named by module and export: how functions cross threads.
 *
 * @example
 * ```ts
 * const spec: WorkerFunctionSpec = { module: __filename, exportName: 'init' };
 * ```
 */
export interface WorkerFunctionSpec {
  /** An absolute path or a package name, as `require` takes it in the worker. */
  module: string;
  /** The export to call; `default` (or the module itself when it is a function) if omitted. */
  exportName?: string;
}

/** How a batch is collated inside the worker (see NOTE [Collate placement]). */
export type WorkerCollate =
  | { kind: 'default' } // defaultCollate (auto-batching)
  | { kind: 'convert' } // no auto-batching: the sample as it is
  | { kind: 'spec'; spec: WorkerSpec } // a WorkerRecreatable collate function
  | { kind: 'none' }; // samples go back as a list; the main thread collates

/**
 * A dataset whose batches a worker computes from shared bytes alone, without the
 * dataset's code or `@loom/tensor` (see NOTE [Host-only workers] in host-plan.ts):
 * with m = `subset[i]` (or i), sample i is `[table[images[m·pixels + k]] for k < pixels]`
 * shaped `sampleShape`, and label i is `labels[m]`.
 */
export interface HostPlan {
  kind: 'byte-images';
  /** Every image's bytes, one after the other (the dataset's shared `data`). */
  images: Uint8Array;
  /** One label per image (the dataset's shared `targets`). */
  labels: Uint8Array;
  /** Bytes per image. */
  pixels: number;
  /** The transformed sample's shape, e.g. [1, 28, 28]. */
  sampleShape: number[];
  /** The transform's float32 output for each byte value 0..255. */
  table: Float32Array;
  /** The images a `Subset` takes, in its order (shared); null for all of them. */
  subset: Int32Array | null;
}

/** The configuration every worker thread of a pool starts from (`workerData`). */
export interface PoolConfig {
  dataset: WorkerSpec;
  /** Set when the worker computes batches itself instead of running the dataset (null: the dataset's own code runs). */
  hostPlan: HostPlan | null;
  datasetKind: 'map' | 'iterable';
  collate: WorkerCollate;
  /** Whether samples are batched (PyTorch's `_auto_collation`: a batch sampler or a batch size). */
  autoCollation: boolean;
  /** Items per batch of an iterable dataset with auto-batching, else null. */
  batchSize: number | null;
  dropLast: boolean;
  workerInitFn: WorkerFunctionSpec | null;
  /** PyTorch's `_base_seed`; worker k is seeded with baseSeed + k. */
  baseSeed: bigint;
  numWorkers: number;
}

/** A region of a pinned ring a worker may write its batch into. */
export interface SlotRef {
  index: number;
  buffer: SharedArrayBuffer;
  byteOffset: number;
  byteLength: number;
}

/** One batch to load. */
export interface FetchTask {
  workerId: number;
  /** Bumped when persistent workers start a new epoch (iterable datasets restart). */
  epoch: number;
  batchIndex: number;
  /** Dataset indices of a map-style batch, the sampler's index without auto-batching, null for iterable datasets. */
  indices: number[] | number | null;
  slot: SlotRef | null;
}

/** A loaded batch. */
export interface BatchResult {
  kind: 'batch';
  batchIndex: number;
  data: EncodedValue;
  /** The slot the batch was written into, or null if it travelled in its own buffers. */
  slotIndex: number | null;
  /** Bytes the batch takes in a slot (sizes the ring after the first batch); 0 if it cannot go in one. */
  slotBytes: number;
  /** Whether a batch-sized buffer was allocated to carry this batch. */
  allocated: boolean;
  /** Whether the worker computed it from the pool's host plan (else the dataset's code loaded it). */
  fromPlan: boolean;
}

/** An iterable dataset replica ran out in this worker. */
export interface ExhaustedResult {
  kind: 'exhausted';
  batchIndex: number;
}

/** An exception in dataset, transform, collate or init code. */
export interface FailureResult {
  kind: 'failure';
  batchIndex: number;
  workerId: number;
  sampleIndex: number | null;
  stage: WorkerErrorStage;
  name: string;
  message: string;
  stack: string;
}

export type FetchResult = BatchResult | ExhaustedResult | FailureResult;

/** The worker file's task function, as piscina's `name` option selects it. */
export const FETCH_TASK_NAME = 'fetchBatch';
