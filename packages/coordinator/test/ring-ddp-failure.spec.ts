/**
 * DistributedDataParallel over a real ring that failed between two steps, as it does
 * when a worker re-joins a restarted coordinator while it is loading the next batch
 * (the ring moves to the new membership by failing). Each rank's next step must reject
 * with the ring's error, which the worker turns into a recovery, and leave no
 * unhandled rejection behind: Node would end the worker on one.
 */
import { ready, manualSeed, randn, tensor } from '@loom/tensor';
import { CrossEntropyLoss, Linear, ReLU, Sequential } from '@loom/nn';
import { DistributedDataParallel } from '@loom/trainer';
import { ElasticError, type RingAllReduce } from '../src';
import { closeAll, makeRing } from './ring-harness';

let rings: RingAllReduce[];
beforeAll(async () => {
  await ready();
  rings = await makeRing(2);
});
afterAll(() => closeAll(rings));

/** One training step's gradient part on every rank: forward, backward, flush, a little CPU work, sync. */
function stepAll(ddps: DistributedDataParallel[]): Promise<void>[] {
  return ddps.map(async (ddp, r) => {
    const x = randn([4, 6]);
    const y = tensor([0, 1, 2, r], { dtype: 'int32' });
    ddp.setGradientWeight(0.5);
    new CrossEntropyLoss().forward(ddp.forward(x), y).backward();
    await ddp.flush();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await ddp.synchronizeGradients(new Float32Array([1, 0]));
  });
}

test('a ring failed between steps rejects the next step on every rank with its error, with no unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const record = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', record);
  try {
    manualSeed(3);
    const models = rings.map(() => new Sequential(new Linear(6, 8), new ReLU(), new Linear(8, 3)));
    // A tiny first bucket, so that buckets are launched (and refused) one by one during backward.
    const ddps = await Promise.all(models.map((m, r) => DistributedDataParallel.create(m, rings[r] as RingAllReduce, { firstBucketCapMb: 64 / (1024 * 1024) })));
    expect(ddps[0]?.stats.buckets).toBeGreaterThan(1);
    await Promise.all(stepAll(ddps));

    const failure = new ElasticError('MEMBERSHIP_CHANGED', 're-joined the restarted coordinator at membership epoch 2');
    for (const ring of rings) ring.fail(failure);
    const results = await Promise.allSettled(stepAll(ddps));
    expect(results).toEqual([
      { status: 'rejected', reason: failure },
      { status: 'rejected', reason: failure },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(unhandled).toEqual([]);
  } finally {
    process.off('unhandledRejection', record);
  }
});
