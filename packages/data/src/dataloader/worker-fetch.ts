/**
 * A batch loaded by the dataset's own code in a worker thread: the dataset re-created
 * from its spec, `getItem` (or the iterator) per sample, then collation. This module
 * loads `@loom/tensor` (and tfjs-core) into the thread, so worker.ts requires it only
 * when a batch needs it (see NOTE [Host-only workers] in host-plan.ts).
 *
 * @internal
 */
import { scope } from '@loom/tensor';
import { BatchEncoder, slotBytesOf, type EncodedValue } from './batch-codec';
import type { WorkerErrorStage } from './dataloader-errors';
import { stackIntoSlot } from './slot-writer';
import { isThenable } from './thenable';
import { threadState, type ThreadState } from './worker-state';
import type { FailureResult, FetchResult, FetchTask } from './worker-protocol';
import { batchAnswer } from './worker-result';

/**
 * Loads and collates one batch with the dataset's code. Exceptions of dataset code
 * come back as a failure result naming the worker, the sample index and the stack,
 * because an Error loses its fields (and class) when it is cloned to the main thread.
 *
 * Each batch is a Loom scope, as each step of the main thread's loop is: the sample
 * and batch tensors made while loading it are released once it is encoded. Left to
 * the garbage collector, their arrays would wait for finalizers that a busy worker
 * thread (blocked in piscina's Atomics.wait between tasks) never gets to run.
 *
 * The caller (worker.ts) runs one task at a time. The thread's set-up (dataset
 * re-creation, workerInitFn) stays outside the batch's scope: tensors a dataset makes
 * in its constructor must live on.
 */
export function fetchWithDataset(task: FetchTask): Promise<unknown> {
  const s = threadState(task.workerId);
  return scope(() => load(s, task), `DataLoader worker ${task.workerId} batch ${task.batchIndex}`);
}

class StageError {
  constructor(
    readonly stage: WorkerErrorStage,
    readonly sampleIndex: number | null,
    readonly cause: unknown,
  ) {}
}

function failure(task: FetchTask, err: unknown): FailureResult {
  const { stage, sampleIndex, cause } = err instanceof StageError ? err : new StageError('fetch', null, err);
  const e = cause instanceof Error ? cause : null;
  return {
    kind: 'failure',
    batchIndex: task.batchIndex,
    workerId: task.workerId,
    sampleIndex,
    stage,
    name: e?.name ?? typeof cause,
    message: e?.message ?? String(cause),
    stack: e?.stack ?? String(cause),
  };
}

/** Awaits a sample that `getItem` returned as a promise; errors name the index. */
async function settle(item: PromiseLike<unknown>, index: number): Promise<unknown> {
  try {
    return await item;
  } catch (err) {
    throw new StageError('fetch', index, err);
  }
}

/** The samples at `indices`, with no microtask per sample when the dataset is synchronous. */
async function getItems(s: ThreadState, indices: readonly number[]): Promise<unknown[]> {
  const dataset = s.dataset as { getItem(i: number): unknown };
  const samples = new Array<unknown>(indices.length);
  for (let j = 0; j < indices.length; j++) {
    const index = indices[j] as number;
    let item: unknown;
    try {
      item = dataset.getItem(index);
    } catch (err) {
      throw new StageError('fetch', index, err);
    }
    samples[j] = isThenable(item) ? await settle(item, index) : item;
  }
  return samples;
}

/** The next samples of an iterable dataset replica; null once it ran out for this epoch. */
async function nextItems(s: ThreadState, task: FetchTask): Promise<unknown[] | null> {
  if (s.epoch !== task.epoch) {
    s.epoch = task.epoch;
    s.exhausted = false;
    const dataset = s.dataset as AsyncIterable<unknown> & Partial<Iterable<unknown>>;
    s.iterator = typeof dataset[Symbol.asyncIterator] === 'function' ? dataset[Symbol.asyncIterator]() : (dataset as Iterable<unknown>)[Symbol.iterator]();
  }
  if (s.exhausted || s.iterator === null) return null;
  const want = s.config.autoCollation ? (s.config.batchSize as number) : 1;
  const items: unknown[] = [];
  try {
    while (items.length < want) {
      const next = await s.iterator.next();
      if (next.done) {
        s.exhausted = true;
        break;
      }
      items.push(next.value);
    }
  } catch (err) {
    throw new StageError('fetch', null, err);
  }
  // PyTorch's _IterableDatasetFetcher: an empty batch, or a short one with drop_last, ends the replica.
  if (items.length === 0 || (s.config.dropLast && items.length < want)) return null;
  return items;
}

async function load(s: ThreadState, task: FetchTask): Promise<unknown> {
  if (s.initError !== null) return failure(task, new StageError('init', null, s.initError));
  try {
    let fetched: unknown;
    if (s.config.datasetKind === 'iterable') {
      const items = await nextItems(s, task);
      if (items === null) return { kind: 'exhausted', batchIndex: task.batchIndex } satisfies FetchResult;
      fetched = s.config.autoCollation ? items : items[0];
    } else if (s.config.autoCollation) {
      fetched = await getItems(s, task.indices as number[]);
    } else {
      [fetched] = await getItems(s, [task.indices as number]);
    }
    return encodeResult(s, task, fetched);
  } catch (err) {
    return failure(task, err);
  }
}

function encodeResult(s: ThreadState, task: FetchTask, fetched: unknown): unknown {
  const slot = task.slot;
  let fastBytes = -1;
  if (s.config.collate.kind === 'default' && Array.isArray(fetched)) {
    const stacked = stackIntoSlot(fetched, slot);
    if (stacked !== null && stacked.data !== null) {
      return batchAnswer(task, { data: stacked.data, bytes: stacked.bytes, slotIndex: slot?.index ?? null, allocated: false, transfer: [] }, false);
    }
    fastBytes = stacked?.bytes ?? -1;
  }
  let value = fetched;
  if (s.collate !== null) {
    try {
      value = s.collate(fetched as unknown[]);
    } catch (err) {
      throw new StageError('collate', null, err);
    }
  }
  const bytes = fastBytes >= 0 ? fastBytes : slotBytesOf(value);
  const intoSlot = slot !== null && bytes >= 0 && bytes <= slot.byteLength ? slot : null;
  // defaultCollate's outputs are new arrays of this batch alone, so they can be moved;
  // anything else may be a view of dataset memory and is copied first.
  const encoder = new BatchEncoder(s.config.collate.kind === 'default', intoSlot);
  let data: EncodedValue;
  try {
    data = encoder.encode(value);
  } catch (err) {
    throw new StageError('send', null, err);
  }
  return batchAnswer(task, { data, bytes, slotIndex: intoSlot?.index ?? null, allocated: true, transfer: encoder.transferList }, false);
}
