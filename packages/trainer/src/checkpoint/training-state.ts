/**
 * The checkpoint dict of a training run: the seed's `{ epoch, model_state_dict,
 * optimizer_state_dict, loss }` plus what exact resumption needs (position in the epoch
 * plan, scheduler state, the random generator's state). The coordinator writes the same
 * dict, so one file format serves `loom train`, `loom launch` and `@loom/nn`'s `load`.
 */
import { defaultGenerator, fromArray, type Tensor } from '@loom/tensor';
import { TrainerConfigError } from '../errors';

/** Format tag stored in every training checkpoint. */
export const TRAINING_CHECKPOINT_FORMAT = 'loom.training/1';

/** What a training checkpoint holds. */
export interface TrainingState {
  format: string;
  job: string;
  /** 0-based epoch the run is in. */
  epoch: number;
  /** Next batch to train within `epoch` (0 at an epoch boundary). */
  batch: number;
  /** Optimizer steps taken since the start of training. */
  step: number;
  /** Last training loss. */
  loss: number;
  seed: number;
  modelStateDict: unknown;
  optimizerStateDict: unknown;
  schedulerStateDict: unknown;
  /** The default generator's state (PyTorch's 5056-byte layout) as int32 values. */
  rngState: Tensor;
}

/** Captures the default generator's state as a tensor that `save` can store. */
export function captureRngState(): Tensor {
  const bytes = defaultGenerator.getState();
  return fromArray(Int32Array.from(bytes), [bytes.length]);
}

/** Restores the default generator from {@link captureRngState}'s tensor. */
export function restoreRngState(state: Tensor): void {
  defaultGenerator.setState(Uint8Array.from(state.data() as Int32Array));
}

/** Checks that a loaded object is a training checkpoint of this job. */
export function checkTrainingState(value: unknown, jobName: string, source: string): TrainingState {
  const state = value as Partial<TrainingState> | null;
  if (state === null || typeof state !== 'object' || state.format !== TRAINING_CHECKPOINT_FORMAT) {
    throw new TrainerConfigError(`${source} is not a Loom training checkpoint (format '${String(state?.format)}', expected '${TRAINING_CHECKPOINT_FORMAT}')`);
  }
  if (state.job !== jobName) {
    throw new TrainerConfigError(`${source} belongs to job '${state.job}', not '${jobName}'`, 'resume with the job that wrote the checkpoint');
  }
  return state as TrainingState;
}
