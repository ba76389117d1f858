import { ready, randn, tensor, linear, manualSeed, type Tensor } from '@loom/tensor';
import { InProcessGroup, type ProcessGroup } from './process-group';
import { DistributedDataParallel } from './distributed-data-parallel';
import { assignBuckets } from './gradient-buckets';
import type { TrainableModel } from '../job/job-spec';

/** A two-layer MLP written with tensor ops, so this test does not depend on @loom/nn. */
class TinyMlp implements TrainableModel {
  readonly params: Tensor[];
  constructor() {
    this.params = [randn([8, 4]), randn([8]), randn([3, 8]), randn([3])].map((p) => p.keep().requiresGrad_());
  }
  forward(x: Tensor): Tensor {
    const [w1, b1, w2, b2] = this.params as [Tensor, Tensor, Tensor, Tensor];
    return linear(linear(x, w1, b1).relu(), w2, b2);
  }
  parameters(): Tensor[] {
    return this.params;
  }
  *namedParameters(): Iterable<[string, Tensor]> {
    for (const [i, p] of this.params.entries()) yield [`p${i}`, p];
  }
  train(): void {}
  eval(): void {}
  stateDict(): unknown {
    return {};
  }
  loadStateDict(): void {}
}

function lossOf(pred: Tensor, target: Tensor): Tensor {
  return pred.logSoftmax(1).gather(1, target.unsqueeze(1)).mean().neg();
}

beforeAll(() => ready());

test('buckets follow reverse registration order with a small first bucket', () => {
  manualSeed(0);
  const params = [randn([1000, 300]), randn([300]), randn([10, 300]), randn([10])];
  const buckets = assignBuckets(params, 25 * 1024 * 1024, 1024);
  expect(buckets.map((b) => b.params.map((p) => p.shape))).toEqual([[[10], [10, 300]], [[300], [1000, 300]]]);
});

test.each([2, 3])('%i replicas with shard weights compute the single-process gradient', async (world) => {
  manualSeed(1);
  const x = randn([7, 4]);
  const y = tensor([0, 1, 2, 0, 1, 2, 1], { dtype: 'int32' });
  // Reference: one process, whole batch.
  manualSeed(2);
  const single = new TinyMlp();
  lossOf(single.forward(x), y).backward();
  const expected = single.params.map((p) => Array.from(p.grad!.data()));

  const groups = InProcessGroup.create(world);
  const replicas = groups.map(() => {
    manualSeed(world === 2 ? 9 : 10); // different init: broadcast must overwrite it
    return new TinyMlp();
  });
  manualSeed(2);
  const reference = new TinyMlp();
  // Rank 0 holds the reference weights; broadcast gives them to the others.
  replicas[0]!.params.forEach((p, i) => p.requiresGrad_(false).copy_(reference.params[i]!).requiresGrad_(true));
  const ddps = await Promise.all(replicas.map((m, r) => DistributedDataParallel.create(m, groups[r]!)));
  const sizes = world === 2 ? [4, 3] : [3, 2, 2];
  let start = 0;
  const syncs: Promise<void>[] = [];
  ddps.forEach((ddp, r) => {
    const n = sizes[r]!;
    const xs = x.narrow(0, start, n);
    const ys = y.narrow(0, start, n);
    start += n;
    ddp.setGradientWeight(n / 7);
    lossOf(ddp.forward(xs), ys).backward();
    syncs.push(ddp.synchronizeGradients());
  });
  await Promise.all(syncs);
  for (const m of replicas) {
    m.params.forEach((p, i) => {
      const got = Array.from(p.grad!.data());
      got.forEach((v, j) => expect(v).toBeCloseTo(expected[i]![j]!, 5));
    });
  }
  // Every replica holds bit-identical gradients.
  for (const m of replicas.slice(1)) {
    m.params.forEach((p, i) => expect(Array.from(p.grad!.data())).toEqual(Array.from(replicas[0]!.params[i]!.grad!.data())));
  }
  expect(ddps[0]!.stats.bucketsStartedInBackward).toBe(ddps[0]!.stats.buckets);
});

/** An InProcessGroup seen without its `startAllReduce`: DDP then reduces each bucket with `allReduce`. */
function withoutStartAllReduce(group: InProcessGroup): ProcessGroup {
  return { rank: group.rank, worldSize: group.worldSize, allReduce: (b) => group.allReduce(b), broadcast: (b, r) => group.broadcast(b, r), barrier: () => group.barrier() };
}

test.each([
  ['one collective per step (startAllReduce)', (g: InProcessGroup): ProcessGroup => g],
  ['one allReduce per bucket', withoutStartAllReduce],
])('both ways of reducing give bit-identical gradients: %s', async (_, asGroup) => {
  manualSeed(4);
  const x = randn([6, 4]);
  const y = tensor([0, 1, 2, 0, 1, 2], { dtype: 'int32' });
  const groups = InProcessGroup.create(2).map(asGroup);
  manualSeed(5);
  const replicas = groups.map(() => new TinyMlp());
  // A 16-byte first bucket (the last layer), so that two buckets launch at different times.
  const ddps = await Promise.all(replicas.map((m, r) => DistributedDataParallel.create(m, groups[r]!, { firstBucketCapMb: 16 / (1024 * 1024) })));
  expect(ddps[0]!.stats.buckets).toBe(2);
  await Promise.all(
    ddps.map((ddp, r) => {
      ddp.setGradientWeight(0.5);
      lossOf(ddp.forward(x.narrow(0, 3 * r, 3)), y.narrow(0, 3 * r, 3)).backward();
      return ddp.synchronizeGradients();
    }),
  );
  replicas[0]!.params.forEach((p, i) => expect(Array.from(p.grad!.data())).toEqual(Array.from(replicas[1]!.params[i]!.grad!.data())));
  expect(ddps[0]!.stats.steps).toBe(1);
  expect(ddps[0]!.stats.lastOverlapWindowMs).toBeGreaterThanOrEqual(0);
});

test('changing the weight after buckets started reducing is refused', async () => {
  manualSeed(6);
  const [group] = InProcessGroup.create(1);
  const ddp = await DistributedDataParallel.create(new TinyMlp(), group!);
  ddp.setGradientWeight(1);
  lossOf(ddp.forward(randn([2, 4])), tensor([0, 1], { dtype: 'int32' })).backward();
  expect(() => ddp.setGradientWeight(0.5)).toThrow('bucket(s) already started reducing with weight 1 during backward');
  await ddp.synchronizeGradients();
  expect(() => ddp.setGradientWeight(0.5)).not.toThrow();
});

/**
 * A one-rank group whose buckets "leave" only when the event loop turns, as a gRPC
 * stream's writes do: it records which buckets were handed on by then.
 */
function groupSendingOnNextTurn(sent: number[]): ProcessGroup {
  return {
    rank: 0,
    worldSize: 1,
    allReduce: () => Promise.resolve(),
    broadcast: () => Promise.resolve(),
    barrier: () => Promise.resolve(),
    startAllReduce: () => {
      const done: Promise<void>[] = [];
      return {
        reduceBucket: (id) => (done[id] = new Promise((resolve) => setImmediate(() => (sent.push(id), resolve())))),
        wait: async () => void (await Promise.all(done)),
      };
    },
  };
}

test('flush() lets the buckets launched during backward leave before the next CPU work', async () => {
  manualSeed(8);
  const sent: number[] = [];
  const ddp = await DistributedDataParallel.create(new TinyMlp(), groupSendingOnNextTurn(sent), { firstBucketCapMb: 16 / (1024 * 1024) });
  lossOf(ddp.forward(randn([2, 4])), tensor([0, 1], { dtype: 'int32' })).backward();
  expect(sent).toEqual([]);
  await ddp.flush();
  expect(sent).toEqual([0, 1]);
  await ddp.synchronizeGradients();
  // Nothing launched: flush() returns without waiting for a turn of the event loop.
  let turned = false;
  setImmediate(() => (turned = true));
  await ddp.flush();
  expect(turned).toBe(false);
});

/** A one-rank group whose ring already failed: every bucket is refused at once, as `RingAllReduce` does. */
function groupThatFailed(error: Error): ProcessGroup {
  return {
    rank: 0,
    worldSize: 1,
    allReduce: () => Promise.reject(error),
    broadcast: () => Promise.resolve(),
    barrier: () => Promise.resolve(),
    startAllReduce: () => ({ reduceBucket: () => Promise.reject(error), wait: () => Promise.reject(error) }),
  };
}

test('a group that failed before the step rejects synchronizeGradients once, leaving no unhandled rejection behind', async () => {
  manualSeed(9);
  const unhandled: unknown[] = [];
  const record = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', record);
  try {
    const failure = new Error('re-joined the restarted coordinator at membership epoch 2');
    const ddp = await DistributedDataParallel.create(new TinyMlp(), groupThatFailed(failure), { firstBucketCapMb: 16 / (1024 * 1024), broadcastParameters: false });
    // Both buckets launch (and are refused) during backward; the step's CPU work goes on
    // for a few event-loop turns before the gradients are awaited, as in the training loop.
    lossOf(ddp.forward(randn([2, 4])), tensor([0, 1], { dtype: 'int32' })).backward();
    await ddp.flush();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(ddp.synchronizeGradients(new Float32Array(2))).rejects.toBe(failure);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(unhandled).toEqual([]);
  } finally {
    process.off('unhandledRejection', record);
  }
});
