/**
 * `cluster-metrics.jsonl`: the coordinator's per-step view of the whole group, one line
 * per step (`{"kind":"cluster-step","step":12,"epoch":1,"workers":2,"loss":...,
 * "samplesPerSecond":...,"allreduceMs":...,"allreduceBytesSent":...}`, epoch 1-based as
 * in metrics.jsonl), aggregated from the workers' `ReportMetrics`. Kept apart from
 * `metrics.jsonl`, which rank 0 writes in the seed's format.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StepMetrics } from '@loom/coordinator';

/** The file's name in a run directory. */
export const CLUSTER_METRICS_FILE = 'cluster-metrics.jsonl';

/**
 * Appends the coordinator's step metrics to `<runDir>/cluster-metrics.jsonl` and keeps
 * totals for the summary line.
 *
 * @example
 * ```ts
 * const cluster = new ClusterMetricsWriter(runDir);
 * coordinator.on('step-metrics', (m) => cluster.add(m));
 * process.stderr.write(cluster.summary() + '\n');
 * ```
 */
export class ClusterMetricsWriter {
  private fd: number | null = null;
  private steps = 0;
  private allreduceMs = 0;
  private bytesSent = 0;

  constructor(readonly runDir: string) {}

  add(metrics: StepMetrics): void {
    if (this.fd === null) {
      fs.mkdirSync(this.runDir, { recursive: true });
      this.fd = fs.openSync(path.join(this.runDir, CLUSTER_METRICS_FILE), 'a');
    }
    fs.writeSync(this.fd, `${JSON.stringify({ time: new Date().toISOString(), kind: 'cluster-step', ...metrics, epoch: metrics.epoch + 1 })}\n`);
    this.steps++;
    this.allreduceMs += metrics.allreduceMs;
    this.bytesSent += metrics.allreduceBytesSent / Math.max(1, metrics.workers);
  }

  /** One line for the end of a run: mean all-reduce time and bytes per step and worker. */
  summary(): string {
    if (this.steps === 0) return '[loom] no step metrics were reported';
    return `[loom] ${this.steps} steps reported: all-reduce ${(this.allreduceMs / this.steps).toFixed(1)} ms/step (slowest rank), ${(this.bytesSent / this.steps / 1024).toFixed(1)} KiB/step sent per worker`;
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
