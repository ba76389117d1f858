/**
 * Options of `Trainer` and what `fit()` returns.
 */
import type { DdpOptions } from './distributed/distributed-data-parallel';
import type { ProcessGroup } from './distributed/process-group';
import type { TrainingState } from './checkpoint/training-state';
import type { Callback, EpochEvent } from './loop/events';

/** Writes a checkpoint; the default saves `<checkpointDir>/step-<n>.ckpt` with `@loom/nn`'s `save`. */
export type CheckpointWriter = (state: TrainingState) => Promise<void>;

/** Options of {@link Trainer}; each overrides the job's value when given. */
export interface TrainerOptions {
  epochs?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  /** Dataset root (default `data`). */
  dataRoot?: string;
  download?: boolean;
  /** Where printed lines go (default: stdout; only rank 0 prints). */
  print?: (line: string) => void;
  callbacks?: Callback[];
  /** Checkpoint every N steps (and at every epoch end). */
  checkpointEvery?: number;
  /** Folder of the default checkpoint writer. */
  checkpointDir?: string;
  /** Checkpoints kept by the default writer (default 3). */
  keepCheckpoints?: number;
  /** Replaces the default writer (the distributed worker sends checkpoints to the coordinator). */
  checkpointWriter?: CheckpointWriter;
  /** Resume from this checkpoint file or loaded checkpoint. */
  resumeFrom?: string | TrainingState;
  /** Print the loss every this many batches (default 100, as the seed). */
  printEvery?: number;
  /** Where warnings go (default: stderr; only rank 0 warns). */
  warn?: (line: string) => void;
  /** Skip NaN/inf steps instead of stopping (overrides the job's `skipNonFiniteSteps`). */
  skipNonFiniteSteps?: boolean;
  /** Train as one rank of a process group. */
  processGroup?: ProcessGroup;
  ddp?: DdpOptions;
}

/** What {@link Trainer.fit} returns. */
export interface FitResult {
  epochs: EpochEvent[];
  step: number;
}
