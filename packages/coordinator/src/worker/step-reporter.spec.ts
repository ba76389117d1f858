import type { MetricsReport } from '../protocol/messages';
import type { WorkerGroup } from './join-group';
import { StepReporter } from './step-reporter';

/** A group whose ring counters the test moves, recording the batches sent. */
function fakeGroup(send: (reports: MetricsReport[]) => Promise<void>) {
  const batches: MetricsReport[][] = [];
  const group = {
    workerId: 'w-0',
    worldSize: 2,
    membershipEpoch: 1,
    collectiveMs: 0,
    joined: { leaseId: 'lease-0' },
    ring: { bytesSent: 0, bytesReceived: 0 },
    client: {
      reportMetricsBatch: (reports: MetricsReport[]) => {
        batches.push(reports);
        return send(reports);
      },
    },
  };
  return { group, batches, reporter: (intervalMs: number) => new StepReporter(group as unknown as WorkerGroup, intervalMs) };
}

/** One step of 64 samples (both ranks) taking 10 ms, 4 ms and 1000 bytes of it in the ring. */
function step(g: ReturnType<typeof fakeGroup>['group'], reporter: StepReporter, n: number): void {
  g.collectiveMs += 4;
  g.ring.bytesSent += 1000;
  g.ring.bytesReceived += 900;
  reporter.onStep({ epoch: 1, step: n, batch: n - 1, loss: 2 - n / 100, samples: 64 * n, seconds: n / 100 });
}

test('steps are sent together, in order, each with its own values', async () => {
  const { group, batches, reporter } = fakeGroup(() => Promise.resolve());
  const r = reporter(60_000);
  for (let n = 1; n <= 5; n++) step(group, r, n);
  expect(batches).toEqual([]);
  r.onEpochEnd();
  expect(batches).toHaveLength(1);
  expect(batches[0]?.map((m) => m.step)).toEqual([1, 2, 3, 4, 5]);
  expect(batches[0]?.[2]).toEqual({
    workerId: 'w-0',
    leaseId: 'lease-0',
    membershipEpoch: 1,
    step: 3,
    trainEpoch: 0,
    values: { loss: 1.97, samples: 32, samples_per_second: expect.closeTo(3200, 6), allreduce_ms: 4, allreduce_bytes_sent: 1000, allreduce_bytes_received: 900 },
  });
});

test('a batch leaves once the interval has passed since the last one; flush sends the rest and waits', async () => {
  const { group, batches, reporter } = fakeGroup(() => new Promise((resolve) => setTimeout(resolve, 20)));
  const r = reporter(0);
  step(group, r, 1);
  step(group, r, 2);
  expect(batches.map((b) => b.map((m) => m.step))).toEqual([[1], [2]]);
  const slow = fakeGroup(() => new Promise((resolve) => setTimeout(resolve, 50)));
  const r2 = slow.reporter(60_000);
  step(slow.group, r2, 7);
  const started = Date.now();
  await r2.flush();
  expect(Date.now() - started).toBeGreaterThanOrEqual(40);
  expect(slow.batches.map((b) => b.map((m) => m.step))).toEqual([[7]]);
  await r2.flush(); // nothing left: no empty call
  expect(slow.batches).toHaveLength(1);
});

test('a report the coordinator refuses is dropped without failing training', async () => {
  const { group, batches, reporter } = fakeGroup(() => Promise.reject(new Error('UNAVAILABLE: coordinator restarting')));
  const r = reporter(60_000);
  step(group, r, 1);
  await expect(r.flush()).resolves.toBeUndefined();
  step(group, r, 2);
  await r.flush();
  expect(batches.map((b) => b.map((m) => m.step))).toEqual([[1], [2]]);
});
