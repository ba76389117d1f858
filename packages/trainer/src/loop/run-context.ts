/** What the train and test loops share with the Trainer that drives them. */
import type { Tensor } from '@loom/tensor';
import type { DistributedDataParallel } from '../distributed/distributed-data-parallel';
import type { ProcessGroup } from '../distributed/process-group';
import { callModel, type DatasetLike, type Job, type OptimizerLike, type SchedulerLike, type TrainableModel } from '../job/job-spec';
import type { Callback } from './events';

/** The state of a running job in one process (one rank). */
export interface RunContext {
  job: Job;
  model: TrainableModel;
  optimizer: OptimizerLike;
  scheduler: SchedulerLike | null;
  train: DatasetLike;
  test: DatasetLike | null;
  /** Present when training with other ranks. */
  processGroup: ProcessGroup | null;
  ddp: DistributedDataParallel | null;
  callbacks: Callback[];
  /** Prints a line (rank 0 only when distributed). */
  print: (line: string) => void;
  printEvery: number;
  /** Prints a warning line (rank 0 only when distributed; default: none). */
  warn?: (line: string) => void;
  /** Skip steps with a NaN/inf loss or gradient instead of stopping (see NOTE [Non-finite steps]). */
  skipNonFiniteSteps?: boolean;
  /** Optimizer steps so far. */
  step: number;
  lastLoss: number;
}

/** A batch as the DataLoader yields it for `[input, target]` datasets. */
export type Batch = [Tensor, Tensor];

/**
 * Runs the model on `inputs`: `model(X)` when the model is callable (an `@loom/nn`
 * module, whose forward hooks then run, as PyTorch's `__call__`), else `forward`.
 */
export function runModel(ctx: RunContext, ...inputs: Tensor[]): Tensor {
  return ctx.ddp ? ctx.ddp.forward(...inputs) : callModel(ctx.model, inputs);
}

/** The rank and world size, (0, 1) without a process group. */
export function rankOf(ctx: RunContext): { rank: number; worldSize: number } {
  return ctx.processGroup ? { rank: ctx.processGroup.rank, worldSize: ctx.processGroup.worldSize } : { rank: 0, worldSize: 1 };
}
