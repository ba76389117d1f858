/**
 * The iterator of `numWorkers: 0` (PyTorch's `_SingleProcessDataLoaderIter`): samples
 * are fetched and collated on the main thread, one batch per `next()`. `pinMemory` has
 * no effect here, as in PyTorch without a GPU: no batch crosses a thread.
 *
 * @internal
 */
import { BaseDataLoaderIter, END } from './base-iter';
import { isThenable } from './thenable';

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
    const indices = index as number[];
    const samples = new Array<unknown>(indices.length);
    for (let j = 0; j < indices.length; j++) {
      const item = dataset.getItem(indices[j] as number);
      samples[j] = isThenable(item) ? await item : item;
    }
    return collate(samples);
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
