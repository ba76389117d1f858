/**
 * A job: everything needed to train a model, as a module that both the single-process
 * Trainer and every distributed worker can load. Shapes are structural, so any
 * `@loom/nn` module, loss and optimizer fits.
 */
import type { Tensor } from '@loom/tensor';

/** What the Trainer needs of a model (any `@loom/nn` `Module`). */
export interface TrainableModel {
  forward(...inputs: Tensor[]): Tensor;
  parameters(): Iterable<Tensor>;
  namedParameters(): Iterable<[string, Tensor]>;
  train(mode?: boolean): unknown;
  eval(): unknown;
  stateDict(): unknown;
  loadStateDict(stateDict: never, options?: { strict?: boolean }): unknown;
}

/** A loss: a function or a module with `forward(prediction, target)`. */
export type LossFunction = ((prediction: Tensor, target: Tensor) => Tensor) | { forward(prediction: Tensor, target: Tensor): Tensor };

/** What the Trainer needs of an optimizer (any `@loom/nn` `optim` optimizer). */
export interface OptimizerLike {
  zeroGrad(options?: { setToNone?: boolean }): void;
  step(): unknown;
  stateDict(): unknown;
  loadStateDict(stateDict: never): void;
}

/** What the Trainer needs of a learning-rate scheduler. */
export interface SchedulerLike {
  step(...args: never[]): void;
  stateDict(): unknown;
  loadStateDict(stateDict: never): void;
}

/** A map-style dataset (`@loom/data` `Dataset`). */
export interface DatasetLike {
  readonly length: number;
  getItem(index: number): unknown;
}

/** What a job's `data` factory receives. */
export interface DataContext {
  /** Root folder for datasets (`--data-root`), default `data`. */
  root: string;
  /** Whether datasets may download missing files (`--download`). */
  download: boolean;
}

/** What a job's `optimizer` factory receives. */
export interface OptimizerContext {
  /** The learning rate asked for on the command line (`--lr`), if any. */
  lr?: number;
}

/** The description of a training job. */
export interface JobSpec {
  /** A short name, used for run directories and the model signature. */
  name: string;
  /** Seed of model initialisation, shuffling and dropout (default 0). */
  seed?: number;
  /** The global batch size (split across workers when distributed). */
  batchSize: number;
  /** Batch size of evaluation (default: `batchSize`). */
  testBatchSize?: number;
  /** Number of epochs. */
  epochs: number;
  /** Whether each epoch reshuffles the training set (default true). */
  shuffle?: boolean;
  /** Drop the last incomplete batch (default false). */
  dropLast?: boolean;
  /** DataLoader worker threads per training process (default 0). */
  numWorkers?: number;
  /** Builds the model; called after `manualSeed(seed)`, so initial weights are reproducible. */
  model: () => TrainableModel;
  /** Builds the datasets. */
  data: (context: DataContext) => { train: DatasetLike; test?: DatasetLike } | Promise<{ train: DatasetLike; test?: DatasetLike }>;
  /** Builds the loss. */
  loss: () => LossFunction;
  /** Builds the optimizer over the model's parameters. */
  optimizer: (parameters: Tensor[], context: OptimizerContext) => OptimizerLike;
  /** Builds a learning-rate scheduler, stepped once per epoch (or per step, see `schedulerInterval`). */
  scheduler?: (optimizer: OptimizerLike) => SchedulerLike;
  /** When the scheduler steps: after each epoch (default) or after each optimizer step. */
  schedulerInterval?: 'epoch' | 'step';
  /**
   * A step whose loss or gradient is NaN or infinite stops training with a
   * `NonFiniteError` (default false); true skips such steps instead (no optimizer or
   * scheduler step, a warning, counted in the epoch's `skippedSteps`), as PyTorch's
   * `GradScaler` skips steps with inf/NaN gradients.
   */
  skipNonFiniteSteps?: boolean;
}

/** A validated job, with defaults filled in. */
export type Job = Required<Omit<JobSpec, 'scheduler' | 'testBatchSize'>> & Pick<JobSpec, 'scheduler'> & { testBatchSize: number };

/** Applies the loss whatever its form. */
export function applyLoss(loss: LossFunction, prediction: Tensor, target: Tensor): Tensor {
  return typeof loss === 'function' ? loss(prediction, target) : loss.forward(prediction, target);
}

/**
 * Runs a model: `model(...inputs)` when it is callable (an `@loom/nn` module, so its
 * forward hooks run, as PyTorch's `__call__`), else `model.forward(...inputs)`.
 */
export function callModel(model: TrainableModel, inputs: Tensor[]): Tensor {
  const callable = model as unknown as (...args: Tensor[]) => Tensor;
  return typeof callable === 'function' ? callable(...inputs) : model.forward(...inputs);
}
