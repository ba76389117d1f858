/**
 * What every DataLoader iterator shares (PyTorch's `_BaseDataLoaderIter`): the base
 * seed drawn from the loader's generator, the index sampler's iterator, the count of
 * batches yielded, and `ready()` awaited before the first batch. The single-thread and
 * pooled iterators implement `nextData` and `shutdown`.
 *
 * @internal
 */
import { defaultGenerator, ready } from '@loom/tensor';
import type { LoaderView } from './loader-view';

/** Returned by `nextData` when the epoch is over. */
export const END: unique symbol = Symbol('DataLoader.END');

/** One pass over a DataLoader's data. */
export abstract class BaseDataLoaderIter<B> implements AsyncIterator<B>, AsyncIterable<B> {
  /** PyTorch's `_base_seed`: worker k's seed is baseSeed + k. */
  readonly baseSeed: bigint;
  protected samplerIter: Iterator<unknown> | null = null;
  protected numYielded = 0;
  protected finished = false;
  private readied = false;

  constructor(protected readonly loader: LoaderView<B>) {
    // Drawn before the sampler's first draw, as PyTorch does (its sampler iterators are
    // lazy), so a loader and PyTorch seeded alike shuffle alike.
    this.baseSeed = (loader.generator ?? defaultGenerator).randomInt64();
    this.startEpoch();
  }

  /** Starts a new epoch over the same loader (persistent workers reuse their iterator). */
  reset(): void {
    this.startEpoch();
  }

  private startEpoch(): void {
    this.samplerIter = this.loader.indexSampler === null ? null : this.loader.indexSampler[Symbol.iterator]();
    this.numYielded = 0;
    this.finished = false;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The next index (or list of indices) from the sampler; `undefined` when it is exhausted. */
  protected nextIndex(): unknown {
    if (this.samplerIter === null) return null;
    const next = this.samplerIter.next();
    return next.done ? undefined : next.value;
  }

  async next(): Promise<IteratorResult<B, undefined>> {
    if (this.finished) return { done: true, value: undefined };
    if (!this.readied) {
      await ready();
      this.readied = true;
    }
    let data: B | typeof END;
    try {
      data = await this.nextData();
    } catch (err) {
      this.finished = true;
      await this.shutdown(true);
      throw err;
    }
    if (data === END) {
      this.finished = true;
      await this.shutdown(false);
      return { done: true, value: undefined };
    }
    this.numYielded++;
    this.warnIfPastLength();
    return { done: false, value: data };
  }

  /** Ends the epoch early (`break` out of `for await`): releases the workers. */
  async return(): Promise<IteratorResult<B, undefined>> {
    if (!this.finished) {
      this.finished = true;
      await this.shutdown(false);
    }
    return { done: true, value: undefined };
  }

  /** Loads the next batch, or returns {@link END}. */
  protected abstract nextData(): Promise<B | typeof END>;

  /** Releases what the epoch holds; `failed` after an error (the pool is then destroyed even if persistent). */
  protected abstract shutdown(failed: boolean): Promise<void>;

  /** PyTorch's warning when an iterable dataset yields more batches than `length` said. */
  private warnIfPastLength(): void {
    const reported = this.loader.reportedIterableLength;
    if (this.loader.datasetKind !== 'iterable' || reported === null || this.numYielded !== reported + 1) return;
    let message =
      `Length of IterableDataset ${this.loader.datasetName} was reported to be ${reported} batches ` +
      `(when accessing loader.length), but ${this.numYielded} batches have been fetched.`;
    if (this.loader.numWorkers > 0) {
      message +=
        ' For multiprocessing data-loading, this could be caused by not properly configuring the IterableDataset ' +
        'replica at each worker (see getWorkerInfo()).';
    }
    process.emitWarning(message, { code: 'LOOM_DATALOADER_ITERABLE_LENGTH' });
  }
}
