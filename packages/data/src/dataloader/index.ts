/**
 * The DataLoader: PyTorch's options, single-thread and pooled iterators, prefetching,
 * pinned batch slots.
 */
export { DataLoader } from './dataloader';
export type { Collated, DataLoaderOptions } from './dataloader-options';
export type { DataLoaderStats } from './loader-view';
export type { WorkerInitFn } from './worker-placement';
export type { WorkerFunctionSpec } from './worker-protocol';
export { DataLoaderWorkerError, DataLoaderTimeoutError, DataLoaderWorkerExitError, DataLoaderStateError } from './dataloader-errors';
export type { WorkerErrorStage } from './dataloader-errors';
