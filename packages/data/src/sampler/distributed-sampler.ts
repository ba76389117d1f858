/** `DistributedSampler`, as `torch.utils.data.distributed.DistributedSampler`. */
import { ArgumentError, Generator } from '@loom/tensor';
import { checkBoolean } from '../internal/check';
import type { Sampler, Sized } from './sampler';

/** Options of {@link DistributedSampler}, PyTorch's keyword arguments. */
export interface DistributedSamplerOptions {
  /** How many processes train together (PyTorch's world size). Required. */
  numReplicas: number;
  /** This process's rank, in [0, numReplicas). Required. */
  rank: number;
  /** Shuffle with a generator seeded `seed + epoch` (default true). */
  shuffle?: boolean;
  /** The shuffle's seed; must be the same on every rank (default 0). */
  seed?: number;
  /** Drop the tail so every rank gets the same count (default false: pad by wrapping around). */
  dropLast?: boolean;
}

/**
 * The share of a dataset one rank of a distributed job reads: all ranks shuffle the
 * same way (`randperm(n)` from a generator seeded with `seed + epoch`), the index list
 * is padded by wrapping around to a multiple of `numReplicas` (or cut, with
 * `dropLast`), and rank `r` takes every `numReplicas`-th index from position `r`
 * (`indices[rank::numReplicas]`). PyTorch's indices for the same arguments.
 *
 * Unlike PyTorch, `numReplicas` and `rank` are required: `@loom/data` has no process
 * group to ask; pass the ones your launcher gives the process.
 *
 * @example
 * ```ts
 * const sampler = new DistributedSampler(trainingData, { numReplicas: worldSize, rank });
 * const loader = new DataLoader(trainingData, { batchSize: 64, sampler });
 * for (let epoch = 0; epoch < epochs; epoch++) {
 *   sampler.setEpoch(epoch); // before iterating, or every epoch repeats the same order
 *   for await (const [X, y] of loader) { ... }
 * }
 * ```
 */
export class DistributedSampler implements Sampler<number> {
  readonly dataset: Sized;
  readonly numReplicas: number;
  readonly rank: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** The indices this rank yields per epoch. */
  readonly numSamples: number;
  /** The indices all ranks yield together per epoch. */
  readonly totalSize: number;
  private currentEpoch = 0;

  constructor(dataset: Sized, options: DistributedSamplerOptions) {
    const where = 'DistributedSampler';
    const { numReplicas, rank } = options ?? ({} as Partial<DistributedSamplerOptions>);
    const help = 'pass { numReplicas: worldSize, rank } as your launcher gives them to the process (PyTorch reads them from torch.distributed)';
    if (numReplicas === undefined) throw new ArgumentError(`${where}: numReplicas is required`, help);
    if (rank === undefined) throw new ArgumentError(`${where}: rank is required`, help);
    if (!Number.isInteger(numReplicas) || numReplicas < 1) throw new ArgumentError(`${where}: numReplicas should be a positive integer, but got numReplicas=${numReplicas}`);
    if (!Number.isInteger(rank) || rank >= numReplicas || rank < 0) {
      throw new ArgumentError(`${where}: Invalid rank ${rank}, rank should be in the interval [0, ${numReplicas - 1}]`);
    }
    this.shuffle = options.shuffle ?? true;
    this.seed = options.seed ?? 0;
    this.dropLast = options.dropLast ?? false;
    checkBoolean(where, 'shuffle', this.shuffle);
    checkBoolean(where, 'dropLast', this.dropLast);
    if (!Number.isSafeInteger(this.seed)) throw new ArgumentError(`${where}: seed should be an integer, but got seed=${this.seed}`);
    this.dataset = dataset;
    this.numReplicas = numReplicas;
    this.rank = rank;
    const n = dataset.length;
    // Math.max turns the -0 of ceil(-0.25) (fewer samples than replicas) into Python's 0.
    this.numSamples = Math.max(0, this.dropLast && n % numReplicas !== 0 ? Math.ceil((n - numReplicas) / numReplicas) : Math.ceil(n / numReplicas));
    this.totalSize = this.numSamples * numReplicas;
  }

  /** The epoch the next iteration shuffles for. */
  get epoch(): number {
    return this.currentEpoch;
  }

  /**
   * Sets the epoch, so that each epoch shuffles differently (the same on every rank).
   * Call it before iterating each epoch.
   *
   * @example
   * ```ts
   * sampler.setEpoch(epoch);
   * ```
   */
  setEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch)) throw new ArgumentError(`DistributedSampler.setEpoch: epoch should be an integer, but got epoch=${epoch}`);
    this.currentEpoch = epoch;
  }

  [Symbol.iterator](): Iterator<number> {
    const n = this.dataset.length;
    const indices = this.shuffle ? new Generator(this.seed + this.currentEpoch).randperm(n) : Int32Array.from({ length: n }, (_, i) => i);
    // Padding by wrap-around (PyTorch's `indices += indices[:padding]`, repeated when
    // the padding exceeds n) and cutting (dropLast) both read position k as k mod n.
    const mine = new Array<number>(this.numSamples);
    for (let k = this.rank, j = 0; k < this.totalSize; k += this.numReplicas, j++) mine[j] = indices[k % n]!;
    return mine[Symbol.iterator]();
  }

  get length(): number {
    return this.numSamples;
  }
}
