/** Typed errors of `@loom/trainer`. */
import { LoomError } from '@loom/tensor';

/** A job or trainer option with a value that cannot work. */
export class TrainerConfigError extends LoomError {
  constructor(message: string, help?: string) {
    super('LOOM_TRAINER_CONFIG', message, help);
  }
}

/** A job module that cannot be loaded or does not describe a job. */
export class JobLoadError extends LoomError {
  constructor(message: string, help?: string) {
    super('LOOM_JOB_LOAD', message, help);
  }
}

/** Training stopped: a non-finite loss, a failed step. */
export class TrainingError extends LoomError {
  constructor(message: string, help?: string) {
    super('LOOM_TRAINING', message, help);
  }
}
