/** A batch sampler over one worker's pieces of an epoch plan, for `DataLoader`'s `batchSampler`. */
import type { EpochPlan } from './epoch-plan';

/** Yields worker `rank`'s indices of each global batch from `startBatch` on. */
export class PlanBatchSampler implements Iterable<number[]> {
  constructor(
    private readonly plan: EpochPlan,
    private readonly rank = 0,
    private readonly worldSize = 1,
    private readonly startBatch = 0,
  ) {}

  /** Number of batches this sampler yields. */
  get length(): number {
    return Math.max(0, this.plan.numBatches - this.startBatch);
  }

  /** The same batches without empty pieces (ranks beyond a tiny last batch). */
  nonEmpty(): Iterable<number[]> & { length: number } {
    const batches = [...this].filter((b) => b.length > 0);
    return Object.assign(batches, { length: batches.length });
  }

  *[Symbol.iterator](): Iterator<number[]> {
    for (let b = this.startBatch; b < this.plan.numBatches; b++) {
      yield Array.from(this.plan.shard(b, this.rank, this.worldSize).indices);
    }
  }
}
