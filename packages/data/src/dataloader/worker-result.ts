/**
 * The answer a worker thread gives for a loaded batch, whichever way it was loaded
 * (worker-fetch.ts runs the dataset, host-batch.ts a host plan). Runs in worker
 * threads; loads nothing of `@loom/tensor`.
 *
 * @internal
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { EncodedValue } from './batch-codec';
import type { BatchResult, FetchTask } from './worker-protocol';

/** A batch encoded by a worker. */
export interface EncodedBatch {
  data: EncodedValue;
  /** Bytes the batch takes in a slot; -1 when it holds no tensor. */
  bytes: number;
  /** The slot it was written into, or null. */
  slotIndex: number | null;
  /** Whether a batch-sized buffer was allocated to carry it. */
  allocated: boolean;
  /** Buffers moved (not copied) to the main thread with the result. */
  transfer: ArrayBuffer[];
}

/** The batch's result message; its buffers, if any, are moved with it. */
export function batchAnswer(task: FetchTask, e: EncodedBatch, fromPlan: boolean): unknown {
  const result: BatchResult = {
    kind: 'batch',
    batchIndex: task.batchIndex,
    data: e.data,
    slotIndex: e.slotIndex,
    slotBytes: Math.max(e.bytes, 0),
    allocated: e.allocated,
    fromPlan,
  };
  if (e.transfer.length === 0) return result;
  return move({ [transferableSymbol]: e.transfer, [valueSymbol]: result } as unknown as Parameters<typeof move>[0]);
}
