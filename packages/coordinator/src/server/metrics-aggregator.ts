/**
 * Combines the workers' per-step `MetricsReport`s into one figure per step for the
 * whole group: the loss (every rank reports the same global loss), the group's
 * throughput (the sum of the ranks' samples/s), the slowest rank's all-reduce time and
 * the bytes all ranks sent. A step is complete when every member reported it; a step
 * left incomplete (a rank died) is emitted with the ranks that did report once a later
 * step completes.
 */
import type { MetricsReport } from '../protocol/messages';

/** One training step of the whole group (event `'step-metrics'` of the coordinator). */
export interface StepMetrics {
  step: number;
  /** 0-based training epoch. */
  epoch: number;
  /** Ranks that reported the step. */
  workers: number;
  /** The step's global training loss. */
  loss: number;
  /** Samples per second of the group: the sum over ranks. */
  samplesPerSecond: number;
  /** The slowest rank's time in all-reduce during the step. */
  allreduceMs: number;
  /** Bytes all ranks sent on the ring during the step. */
  allreduceBytesSent: number;
}

/**
 * Steps kept waiting for late reports before they are emitted as they are. Workers send
 * up to 200 steps per call (StepReporter), so one rank's batch may arrive several
 * hundred steps ahead of another's.
 */
export const MAX_PENDING_STEPS = 1024;

/**
 * Collects reports and emits one {@link StepMetrics} per step.
 *
 * @example
 * ```ts
 * const agg = new MetricsAggregator((m) => console.log(m.step, m.allreduceMs));
 * agg.add(report, membership.members.length);
 * ```
 */
export class MetricsAggregator {
  private readonly pending = new Map<number, MetricsReport[]>();

  constructor(private readonly emit: (metrics: StepMetrics) => void) {}

  /** Adds one rank's report; `groupSize` is the number of members now. */
  add(report: MetricsReport, groupSize: number): void {
    const list = this.pending.get(report.step) ?? [];
    list.push(report);
    this.pending.set(report.step, list);
    if (list.length >= groupSize) {
      // Earlier steps still waiting lost a rank: emit what they have, in order.
      for (const step of [...this.pending.keys()].sort((a, b) => a - b)) {
        if (step > report.step) break;
        this.flush(step);
      }
    } else if (this.pending.size > MAX_PENDING_STEPS) {
      this.flush(Math.min(...this.pending.keys()));
    }
  }

  /** Emits every step still waiting (the run ended). */
  flushAll(): void {
    for (const step of [...this.pending.keys()].sort((a, b) => a - b)) this.flush(step);
  }

  private flush(step: number): void {
    const reports = this.pending.get(step);
    this.pending.delete(step);
    if (!reports || reports.length === 0) return;
    const value = (r: MetricsReport, name: string): number => r.values[name] ?? 0;
    this.emit({
      step,
      epoch: (reports[0] as MetricsReport).trainEpoch,
      workers: reports.length,
      loss: value(reports[0] as MetricsReport, 'loss'),
      samplesPerSecond: reports.reduce((sum, r) => sum + value(r, 'samples_per_second'), 0),
      allreduceMs: Math.max(...reports.map((r) => value(r, 'allreduce_ms'))),
      allreduceBytesSent: reports.reduce((sum, r) => sum + value(r, 'allreduce_bytes_sent'), 0),
    });
  }
}
