/**
 * The epoch plan: which samples make up each global batch, and how a global batch is
 * split across workers. The single-process Trainer and every distributed worker build
 * the same plan from the same numbers, so they train on the same batches without
 * sending indices over the network.
 *
 * NOTE (epoch plan): the order of epoch `e` is `randperm(n)` drawn from a generator
 * seeded with `seed + e`, as `DistributedSampler` shuffles. Global batch `b` is the
 * slice `[b*B, (b+1)*B)` of that order (the last one shorter unless `dropLast`), and
 * worker `r` of `W` takes a contiguous piece of it; pieces differ in size by at most
 * one and the first `B mod W` workers take the larger ones:
 *
 *   order:   | batch 0 (B)          | batch 1 (B)          | ... | last (< B) |
 *   batch 1: | rank 0 | rank 1 | rank 2 |
 *
 * Gradients are then combined weighted by piece size (see `shardWeight`), so W workers
 * compute exactly the gradient of one process on the whole global batch.
 */
import { Generator } from '@loom/tensor';
import { TrainerConfigError } from '../errors';

/** A piece of a global batch: the dataset indices one worker processes. */
export interface Shard {
  /** Index of the global batch within the epoch. */
  batch: number;
  /** Dataset indices of this worker's piece. */
  indices: Int32Array;
  /** Size of the whole global batch. */
  globalSize: number;
}

/** Options of {@link EpochPlan}. */
export interface EpochPlanOptions {
  datasetLength: number;
  batchSize: number;
  seed: number;
  epoch: number;
  shuffle?: boolean;
  dropLast?: boolean;
}

/** The samples of one epoch, split into global batches. See the NOTE above. */
export class EpochPlan {
  readonly order: Int32Array;
  readonly batchSize: number;
  readonly numBatches: number;
  readonly epoch: number;

  constructor(options: EpochPlanOptions) {
    const { datasetLength, batchSize, seed, epoch, shuffle = true, dropLast = false } = options;
    if (!Number.isInteger(batchSize) || batchSize <= 0) {
      throw new TrainerConfigError(`batchSize should be a positive integer value, but got batchSize=${batchSize}`);
    }
    if (!Number.isInteger(datasetLength) || datasetLength < 0) {
      throw new TrainerConfigError(`dataset length should be a non-negative integer, got ${datasetLength}`);
    }
    this.batchSize = batchSize;
    this.epoch = epoch;
    if (shuffle) {
      this.order = new Generator(BigInt(seed) + BigInt(epoch)).randperm(datasetLength);
    } else {
      this.order = Int32Array.from({ length: datasetLength }, (_, i) => i);
    }
    this.numBatches = dropLast ? Math.floor(datasetLength / batchSize) : Math.ceil(datasetLength / batchSize);
  }

  /** Number of samples the epoch trains on (all of them unless `dropLast` cut some). */
  get numSamples(): number {
    return Math.min(this.order.length, this.numBatches * this.batchSize);
  }

  /** Samples in the batches before `batch` (where a resumed epoch starts counting). */
  samplesBefore(batch: number): number {
    return Math.min(batch * this.batchSize, this.numSamples);
  }

  /** The dataset indices of global batch `batch`. */
  globalBatch(batch: number): Int32Array {
    this.checkBatch(batch);
    const start = batch * this.batchSize;
    return this.order.subarray(start, Math.min(start + this.batchSize, this.order.length));
  }

  /** Worker `rank`'s piece of global batch `batch` among `worldSize` workers. */
  shard(batch: number, rank: number, worldSize: number): Shard {
    const all = this.globalBatch(batch);
    const [start, end] = shardBounds(all.length, rank, worldSize);
    return { batch, indices: all.subarray(start, end), globalSize: all.length };
  }

  private checkBatch(batch: number): void {
    if (!Number.isInteger(batch) || batch < 0 || batch >= this.numBatches) {
      throw new TrainerConfigError(`batch ${batch} is outside epoch ${this.epoch}'s ${this.numBatches} batches`);
    }
  }
}

/** `[start, end)` of worker `rank`'s piece of a batch of `size` samples. */
export function shardBounds(size: number, rank: number, worldSize: number): [number, number] {
  if (!Number.isInteger(worldSize) || worldSize <= 0) throw new TrainerConfigError(`worldSize must be a positive integer, got ${worldSize}`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) throw new TrainerConfigError(`rank ${rank} is outside a world of ${worldSize}`);
  const base = Math.floor(size / worldSize);
  const extra = size % worldSize;
  const start = rank * base + Math.min(rank, extra);
  return [start, start + base + (rank < extra ? 1 : 0)];
}

/**
 * The weight of a piece in the combined gradient: a worker's mean-reduced loss over
 * its piece, times `pieceSize / globalSize`, summed over workers, is the mean over the
 * global batch.
 */
export function shardWeight(pieceSize: number, globalSize: number): number {
  return globalSize === 0 ? 0 : pieceSize / globalSize;
}
