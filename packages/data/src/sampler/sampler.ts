/**
 * `Sampler`: what decides the order in which a DataLoader reads a map-style dataset,
 * as `torch.utils.data.Sampler`. Any iterable with a `length` will do.
 */

/**
 * An iterable of dataset indices (or, for a batch sampler, of index lists) with a
 * known `length`. Iterating again starts a new epoch.
 *
 * @example
 * ```ts
 * class EvenFirst implements Sampler<number> {
 *   constructor(readonly length: number) {}
 *   *[Symbol.iterator]() {
 *     for (let i = 0; i < this.length; i += 2) yield i;
 *     for (let i = 1; i < this.length; i += 2) yield i;
 *   }
 * }
 * ```
 */
export interface Sampler<T = number> extends Iterable<T> {
  /** The number of items one iteration yields. */
  readonly length: number;
}

/** Anything with a length: the data source of a sampler. */
export interface Sized {
  readonly length: number;
}
