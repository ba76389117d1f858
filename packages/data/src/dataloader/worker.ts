/**
 * The DataLoader's worker-thread entry, loaded by piscina in every thread of a pool
 * (as compiled JavaScript: `dist/dataloader/worker.js`). It only exports its task
 * function. See NOTE [DataLoader worker pool] in multi-worker-iter.ts.
 *
 * A batch is computed from the pool's host plan when it has one, else loaded by the
 * dataset's own code (worker-fetch.ts), whose modules, `@loom/tensor` and tfjs-core
 * among them, are then loaded into the thread on first use: a thread that only ever
 * follows the plan never loads them (NOTE [Host-only workers] in host-plan.ts).
 *
 * @internal
 */
import { workerData } from 'piscina';
import { hostBatch } from './host-batch';
import type { FetchTask, PoolConfig } from './worker-protocol';
import { batchAnswer } from './worker-result';

type DatasetPath = typeof import('./worker-fetch');

/** Tasks of one thread run one after the other, in the order they were sent (PyTorch's index queue). */
let tail: Promise<unknown> = Promise.resolve();
/** The dataset's path, once a batch needed it. */
let datasetPath: DatasetPath | null = null;

/** Loads one batch; resolves with its result message (a batch, a failure or the end of an iterable dataset). */
export function fetchBatch(task: FetchTask): Promise<unknown> {
  const run = tail.then(() => fetchOne(task));
  tail = run.catch(() => undefined);
  return run;
}

function fetchOne(task: FetchTask): unknown {
  const plan = (workerData as PoolConfig).hostPlan;
  const batch = plan === null ? null : hostBatch(plan, task.indices, task.slot);
  if (batch !== null) return batchAnswer(task, batch, true);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  datasetPath ??= require('./worker-fetch') as DatasetPath;
  return datasetPath.fetchWithDataset(task);
}
