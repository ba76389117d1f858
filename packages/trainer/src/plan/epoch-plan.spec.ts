import { EpochPlan, shardBounds, shardWeight } from './epoch-plan';
import { TrainerConfigError } from '../errors';

describe('EpochPlan', () => {
  test('covers every sample exactly once per epoch, in global batches', () => {
    const plan = new EpochPlan({ datasetLength: 103, batchSize: 10, seed: 0, epoch: 0 });
    expect(plan.numBatches).toBe(11);
    const seen: number[] = [];
    for (let b = 0; b < plan.numBatches; b++) seen.push(...plan.globalBatch(b));
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 103 }, (_, i) => i));
    expect(plan.globalBatch(10).length).toBe(3);
  });

  test('reshuffles per epoch from seed + epoch, reproducibly', () => {
    const a = new EpochPlan({ datasetLength: 50, batchSize: 5, seed: 7, epoch: 1 });
    const b = new EpochPlan({ datasetLength: 50, batchSize: 5, seed: 7, epoch: 1 });
    const c = new EpochPlan({ datasetLength: 50, batchSize: 5, seed: 7, epoch: 2 });
    expect([...a.order]).toEqual([...b.order]);
    expect([...a.order]).not.toEqual([...c.order]);
  });

  test('dropLast drops the incomplete batch', () => {
    const plan = new EpochPlan({ datasetLength: 103, batchSize: 10, seed: 0, epoch: 0, dropLast: true });
    expect(plan.numBatches).toBe(10);
    expect(plan.numSamples).toBe(100);
  });

  test.each([1, 2, 3, 5])('shards of a batch among %i workers partition it and differ by at most one', (world) => {
    const plan = new EpochPlan({ datasetLength: 64, batchSize: 17, seed: 3, epoch: 0 });
    for (let b = 0; b < plan.numBatches; b++) {
      const pieces = Array.from({ length: world }, (_, r) => plan.shard(b, r, world));
      const joined = pieces.flatMap((p) => [...p.indices]);
      expect(joined).toEqual([...plan.globalBatch(b)]);
      const sizes = pieces.map((p) => p.indices.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      expect(pieces.reduce((w, p) => w + shardWeight(p.indices.length, p.globalSize), 0)).toBeCloseTo(1, 12);
    }
  });

  test('bad arguments name themselves', () => {
    expect(() => new EpochPlan({ datasetLength: 10, batchSize: 0, seed: 0, epoch: 0 })).toThrow(TrainerConfigError);
    expect(() => shardBounds(10, 3, 3)).toThrow('rank 3 is outside a world of 3');
    expect(() => new EpochPlan({ datasetLength: 10, batchSize: 3, seed: 0, epoch: 0 }).globalBatch(4)).toThrow("outside epoch 0's 4 batches");
  });
});
