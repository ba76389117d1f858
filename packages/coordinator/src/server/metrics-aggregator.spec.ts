import { MetricsAggregator, type StepMetrics } from './metrics-aggregator';
import type { MetricsReport } from '../protocol/messages';

function report(workerId: string, step: number, values: Record<string, number>): MetricsReport {
  return { workerId, leaseId: 'l', membershipEpoch: 1, step, trainEpoch: 0, values };
}

test('a step is emitted once every member reported it: summed throughput and bytes, slowest all-reduce', () => {
  const out: StepMetrics[] = [];
  const agg = new MetricsAggregator((m) => out.push(m));
  agg.add(report('a', 1, { loss: 2, samples_per_second: 100, allreduce_ms: 5, allreduce_bytes_sent: 10 }), 2);
  expect(out).toEqual([]);
  agg.add(report('b', 1, { loss: 2, samples_per_second: 120, allreduce_ms: 9, allreduce_bytes_sent: 12 }), 2);
  expect(out).toEqual([{ step: 1, epoch: 0, workers: 2, loss: 2, samplesPerSecond: 220, allreduceMs: 9, allreduceBytesSent: 22 }]);
});

test('a step missing a dead rank is emitted with the ranks that reported, when a later step completes', () => {
  const out: StepMetrics[] = [];
  const agg = new MetricsAggregator((m) => out.push(m));
  agg.add(report('a', 4, { loss: 1 }), 3);
  agg.add(report('b', 4, { loss: 1 }), 3);
  agg.add(report('a', 5, { loss: 0.9 }), 2);
  agg.add(report('b', 5, { loss: 0.9 }), 2);
  expect(out.map((m) => [m.step, m.workers])).toEqual([
    [4, 2],
    [5, 2],
  ]);
  agg.add(report('a', 6, { loss: 0.8 }), 2);
  agg.flushAll();
  expect(out.map((m) => m.step)).toEqual([4, 5, 6]);
});

test('batched reports: one rank 300 steps ahead of the other still gives one complete line per step', () => {
  const out: StepMetrics[] = [];
  const agg = new MetricsAggregator((m) => out.push(m));
  for (let step = 1; step <= 300; step++) agg.add(report('a', step, { loss: 1, allreduce_bytes_sent: 1 }), 2);
  expect(out).toEqual([]);
  for (let step = 1; step <= 300; step++) agg.add(report('b', step, { loss: 1, allreduce_bytes_sent: 1 }), 2);
  expect(out.map((m) => m.step)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  expect(out.every((m) => m.workers === 2 && m.allreduceBytesSent === 2)).toBe(true);
});
