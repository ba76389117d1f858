/**
 * What one epoch has trained so far. Without interruptions it reports exactly what
 * the epoch's single `trainEpoch` call returned; when a membership change split the
 * epoch into several runs, it sums the committed steps instead.
 */
import type { EpochTrainResult } from '../loop/train-epoch';

/** Where training continues: the next batch of an epoch (both 0-based). */
export interface TrainingPosition {
  epoch: number;
  /** Next batch to train; the epoch's batch count once its training is done. */
  batch: number;
}

/** The training figures of an epoch event. */
export interface EpochSummary {
  trainLoss: number;
  seconds: number;
  samplesPerSecond: number;
  skippedSteps: number;
}

/**
 * Accumulates an epoch's steps and runs.
 *
 * @example
 * ```ts
 * const progress = new EpochProgress(0);
 * progress.addStep(loss, 64);
 * progress.addSegment(trained, seconds);
 * progress.summary(); // { trainLoss, seconds, samplesPerSecond, skippedSteps }
 * ```
 */
export class EpochProgress {
  private lossSum = 0;
  private steps = 0;
  private samples = 0;
  private seconds = 0;
  private skippedSteps = 0;
  private segments: EpochTrainResult[] = [];
  private interrupted = false;

  constructor(readonly epoch: number) {}

  /** One committed step: its global loss and global batch size. */
  addStep(loss: number, samples: number): void {
    this.lossSum += loss;
    this.steps++;
    this.samples += samples;
  }

  /** One `trainEpoch` run that reached the end of the epoch. */
  addSegment(result: EpochTrainResult, seconds: number): void {
    this.segments.push(result);
    this.seconds += seconds;
    this.skippedSteps += result.skippedSteps;
  }

  /** A membership change cut a run short: report the committed steps' sums. */
  interrupt(): void {
    this.interrupted = true;
  }

  summary(): EpochSummary {
    const only = this.segments.length === 1 && !this.interrupted ? this.segments[0] : undefined;
    const trainLoss = only ? only.meanLoss : this.steps > 0 ? this.lossSum / this.steps : NaN;
    const samples = only ? only.samples : this.samples;
    return { trainLoss, seconds: this.seconds, samplesPerSecond: this.seconds > 0 ? samples / this.seconds : 0, skippedSteps: this.skippedSteps };
  }
}
