/**
 * The iterator of `numWorkers: 0` (PyTorch's `_SingleProcessDataLoaderIter`): samples
 * are fetched and collated on the main thread, one batch per `next()`. `pinMemory` has
 * no effect here, as in PyTorch without a GPU: no batch crosses a thread.
 *
 * @internal
 */
import { Tensor, beginScope } from '@loom/tensor';
import { defaultCollate } from '../collate/default-collate';
import { isPlainObject } from '../internal/values';
import { BaseDataLoaderIter, END } from './base-iter';
import { isThenable } from './thenable';

/** The tensors in a sample or a collated batch (arrays and plain objects, at any depth). */
function tensorsIn(value: unknown, out: Tensor[] = []): Tensor[] {
  if (value instanceof Tensor) out.push(value);
  else if (Array.isArray(value)) for (const v of value) tensorsIn(v, out);
  else if (isPlainObject(value)) for (const v of Object.values(value)) tensorsIn(v, out);
  return out;
}

/** Loads batches on the calling thread. */
export class SingleProcessDataLoaderIter<B> extends BaseDataLoaderIter<B> {
  private datasetIter: AsyncIterator<unknown> | Iterator<unknown> | null = null;

  protected async nextData(): Promise<B | typeof END> {
    const collate = this.loader.collateFn as (batch: unknown) => B;
    if (this.loader.datasetKind === 'iterable') {
      const items = await this.nextItems();
      if (items === null) return END;
      return collate(this.loader.autoCollation ? items : items[0]);
    }
    const index = this.nextIndex();
    if (index === undefined) return END;
    const dataset = this.loader.dataset as { getItem(i: number): unknown };
    if (!this.loader.autoCollation) {
      const item = dataset.getItem(index as number);
      return collate(isThenable(item) ? await item : item);
    }
    return this.fetchAndCollate(dataset, index as number[], collate);
  }

  /**
   * NOTE [Samples released once collated]
   * defaultCollate copies host samples into the batch, so a batch's sample tensors are
   * garbage as soon as it exists. Fetching and collating therefore run in a scope of
   * their own, which releases the samples and passes the batch's tensors on to the
   * loop's step scope. Left to the step scope, every sample would live until the next
   * batch and cost a WeakRef (step scopes hold tensors weakly), about a third of the
   * time per sample. Samples that kernels already used are `stack`ed by defaultCollate
   * and may be part of the batch's graph: when the batch holds such a tensor, they all
   * move on to the step scope, as before. So does everything made so far when getItem
   * returns a promise (whatever it resolves to was made in the scope), before it is
   * awaited: no other code runs while the scope is open. Other collate functions may
   * keep samples in ways the loader cannot see: their samples stay with the step.
   */
  private async fetchAndCollate(dataset: { getItem(i: number): unknown }, indices: readonly number[], collate: (batch: unknown) => B): Promise<B> {
    let end = collate === (defaultCollate as unknown) ? beginScope('DataLoader fetch') : null;
    try {
      const samples = new Array<unknown>(indices.length);
      for (let j = 0; j < indices.length; j++) {
        const item = dataset.getItem(indices[j] as number);
        if (isThenable(item)) {
          end?.('all');
          end = null;
          samples[j] = await item;
        } else {
          samples[j] = item;
        }
      }
      const batch = collate(samples);
      if (end !== null) {
        const keep = tensorsIn(batch);
        if (!keep.every((t) => t.isOnHost)) tensorsIn(samples, keep);
        end(keep);
        end = null;
      }
      return batch;
    } finally {
      end?.('all');
    }
  }

  /** PyTorch's `_IterableDatasetFetcher`: a batch of up to batchSize items; null at the end. */
  private async nextItems(): Promise<unknown[] | null> {
    if (this.datasetIter === null) {
      const dataset = this.loader.dataset as AsyncIterable<unknown> & Partial<Iterable<unknown>>;
      this.datasetIter = typeof dataset[Symbol.asyncIterator] === 'function' ? dataset[Symbol.asyncIterator]() : (dataset as Iterable<unknown>)[Symbol.iterator]();
    }
    const want = this.loader.autoCollation ? (this.loader.batchSize as number) : 1;
    const items: unknown[] = [];
    while (items.length < want) {
      const next = await this.datasetIter.next();
      if (next.done) break;
      items.push(next.value);
    }
    if (items.length === 0 || (this.loader.dropLast && items.length < want)) return null;
    return items;
  }

  protected async shutdown(): Promise<void> {
    const it = this.datasetIter;
    this.datasetIter = null;
    await it?.return?.();
  }
}
