/** Events the Trainer and workers emit, for printing, metrics files and TensorBoard. */

/** One optimizer step. */
export interface StepEvent {
  kind: 'step';
  /** 1-based epoch, as the seed prints it. */
  epoch: number;
  /** Global step count since the start of training (1 after the first step). */
  step: number;
  /** Index of the batch within the epoch. */
  batch: number;
  loss: number;
  /** Samples of the epoch processed so far. */
  samples: number;
  /** Samples in the epoch. */
  epochSamples: number;
  /** Seconds since the epoch started. */
  seconds: number;
  /** Current learning rate of the first parameter group, when known. */
  lr?: number;
}

/** One finished epoch (training plus evaluation). */
export interface EpochEvent {
  kind: 'epoch';
  epoch: number;
  step: number;
  /** Mean training loss over the epoch's steps. */
  trainLoss: number;
  testLoss: number | null;
  /** Test accuracy as a fraction in [0, 1]. */
  testAccuracy: number | null;
  /** Seconds of training (evaluation excluded). */
  seconds: number;
  samplesPerSecond: number;
  workers: number;
  /** Steps of the epoch skipped for a NaN/inf loss or gradient (`skipNonFiniteSteps`). */
  skippedSteps: number;
}

/** Any Trainer event. */
export type TrainerEvent = StepEvent | EpochEvent;

/** Receives Trainer events; may return a promise (the Trainer waits for it). */
export interface Callback {
  onStep?(event: StepEvent): void | Promise<void>;
  onEpochEnd?(event: EpochEvent): void | Promise<void>;
}
