/**
 * The two kinds of dataset, as in `torch.utils.data`: map-style (`Dataset`, indexed
 * by a sampler) and iterable-style (`IterableDataset`, a stream).
 */
import { NotImplementedError } from '../errors';

/**
 * A map-style dataset: `getItem(index)` and `length`, PyTorch's `__getitem__` and
 * `__len__`. `getItem` may return a promise (samples read from disk or the network).
 *
 * @example
 * ```ts
 * class Squares extends Dataset<[number, number]> {
 *   getItem(i: number): [number, number] { return [i, i * i]; }
 *   get length() { return 100; }
 * }
 * ```
 */
export abstract class Dataset<T = unknown> {
  /** The sample at `index`, an integer in [0, length). */
  abstract getItem(index: number): T | Promise<T>;
  /** The number of samples. */
  abstract get length(): number;
}

/**
 * An iterable-style dataset: a stream of samples, for data that cannot be indexed
 * (a socket, a large file read in order). Implement `[Symbol.asyncIterator]` or, for a
 * synchronous source, `[Symbol.iterator]`; the base class adapts the latter.
 *
 * With a pooled DataLoader every worker iterates its own copy of the dataset, so
 * without sharding each sample arrives `numWorkers` times. Shard with
 * {@link getWorkerInfo}, as in PyTorch:
 *
 * @example
 * ```ts
 * class Range extends IterableDataset<number> {
 *   constructor(readonly start: number, readonly end: number) { super(); }
 *   *[Symbol.iterator]() {
 *     const info = getWorkerInfo();
 *     // In the main thread one stream; in worker k of n, every n-th value from start + k.
 *     const [first, step] = info ? [this.start + info.id, info.numWorkers] : [this.start, 1];
 *     for (let i = first; i < this.end; i += step) yield i;
 *   }
 *   workerSpec() { return { module: __filename, exportName: 'Range', args: [this.start, this.end] }; }
 * }
 * ```
 */
export abstract class IterableDataset<T = unknown> implements AsyncIterable<T> {
  /** The samples, in order. The default adapts a synchronous `[Symbol.iterator]`. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    const sync = (this as unknown as Partial<Iterable<T>>)[Symbol.iterator];
    if (typeof sync !== 'function') {
      throw new NotImplementedError(
        `${this.constructor.name}: an IterableDataset must implement [Symbol.asyncIterator]() or [Symbol.iterator](), found neither`,
        'add `async *[Symbol.asyncIterator]() { ... }` or `*[Symbol.iterator]() { ... }` to the class',
      );
    }
    const it = sync.call(this);
    return {
      next: async () => it.next(),
      return: async (value?: unknown) => (it.return ? it.return(value) : { done: true, value: value as T }),
    };
  }
}
