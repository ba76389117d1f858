/**
 * `StepReporter`: sends each training step's metrics from a worker to the coordinator
 * (`ReportMetrics`): the global loss, this rank's samples/s, and the time and bytes it
 * spent in ring collectives during the step. Reports are fire-and-forget: a slow or
 * restarting coordinator never slows training; a failed report is traced.
 */
import type { WorkerGroup } from './join-group';
import { createTracer } from '../trace';

const trace = createTracer('worker');

/** The fields of @loom/trainer's `StepEvent` that a report needs. */
export interface StepLike {
  /** 1-based epoch. */
  epoch: number;
  step: number;
  batch: number;
  loss: number;
  /** Samples of the epoch trained so far, by all ranks. */
  samples: number;
  /** Seconds since the epoch started. */
  seconds: number;
}

/**
 * A trainer callback reporting every step to the coordinator.
 *
 * @example
 * ```ts
 * new Trainer(job, { processGroup: group, callbacks: [new StepReporter(group)] });
 * ```
 */
export class StepReporter {
  private last: { epoch: number; samples: number; seconds: number; busyMs: number; bytesSent: number; bytesReceived: number } | null = null;

  constructor(private readonly group: WorkerGroup) {}

  onStep(event: StepLike): void {
    const { ring } = this.group;
    const now = { epoch: event.epoch, samples: event.samples, seconds: event.seconds, busyMs: this.group.collectiveMs, bytesSent: ring.bytesSent, bytesReceived: ring.bytesReceived };
    const before = this.last?.epoch === event.epoch ? this.last : { epoch: event.epoch, samples: 0, seconds: 0, busyMs: this.last?.busyMs ?? 0, bytesSent: this.last?.bytesSent ?? 0, bytesReceived: this.last?.bytesReceived ?? 0 };
    this.last = now;
    const dt = now.seconds - before.seconds;
    const localSamples = (now.samples - before.samples) / this.group.worldSize;
    const values: Record<string, number> = {
      loss: event.loss,
      samples: localSamples,
      samples_per_second: dt > 0 ? localSamples / dt : 0,
      allreduce_ms: now.busyMs - before.busyMs,
      allreduce_bytes_sent: now.bytesSent - before.bytesSent,
      allreduce_bytes_received: now.bytesReceived - before.bytesReceived,
    };
    const report = { workerId: this.group.workerId, leaseId: this.group.joined.leaseId, membershipEpoch: this.group.membershipEpoch, step: event.step, trainEpoch: event.epoch - 1, values };
    this.group.client.reportMetrics(report).catch((e: Error) => trace(`metrics of step ${event.step} not delivered: ${e.message}`, 'info'));
  }
}
