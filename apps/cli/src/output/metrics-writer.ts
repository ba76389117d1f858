/**
 * `metrics.jsonl`: one JSON object per line, a line per epoch
 * (`{"kind":"epoch","epoch":1,"step":938,"trainLoss":...,"testLoss":...,
 * "testAccuracy":0.503,"seconds":...,"samplesPerSecond":...,"workers":2}`) and step
 * lines (`{"kind":"step",...}`) every `stepInterval` steps. Each line is appended with
 * one write, so a crash never leaves half a line behind earlier ones.
 */
import * as fs from 'node:fs';
import type { EpochEvent, StepEvent } from '@loom/trainer';

/** Steps between two step lines by default (the seed prints every 100 batches). */
export const DEFAULT_STEP_INTERVAL = 100;

/** Appends metrics lines to a file. */
export class MetricsWriter {
  private readonly fd: number;

  constructor(
    readonly file: string,
    private readonly stepInterval = DEFAULT_STEP_INTERVAL,
  ) {
    this.fd = fs.openSync(file, 'a');
  }

  /** Writes a step line when the step falls on the interval. */
  step(event: StepEvent & { workers?: number }): void {
    if (event.step % this.stepInterval !== 0) return;
    this.append(event);
  }

  /** Writes an epoch line. */
  epoch(event: EpochEvent): void {
    this.append(event);
  }

  private append(event: object): void {
    fs.writeSync(this.fd, `${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
  }

  close(): void {
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
  }
}
