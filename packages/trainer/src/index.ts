/**
 * `@loom/trainer`: jobs, the single-process `Trainer`, the epoch plan shared with the
 * distributed workers, and training checkpoints.
 *
 * @example
 * ```ts
 * import { Trainer, loadJob } from '@loom/trainer';
 * await new Trainer(loadJob('examples/quickstart'), { epochs: 1 }).fit();
 * ```
 */

// Jobs
export { defineJob, isJobSpec } from './job/define-job';
export { loadJob, resolveJobPath, installTypeScriptHook } from './job/load-job';
export { applyLoss } from './job/job-spec';
export type { Job, JobSpec, TrainableModel, LossFunction, OptimizerLike, SchedulerLike, DatasetLike, DataContext, OptimizerContext } from './job/job-spec';

// Training
export { Trainer } from './trainer';
export type { TrainerOptions, FitResult, CheckpointWriter } from './trainer-options';
export type { EvaluationResult } from './loop/evaluate';
export type { RunContext } from './loop/run-context';
export type { Callback, StepEvent, EpochEvent, TrainerEvent } from './loop/events';
export { formatLossLine, formatTestSummary, formatEpochHeader } from './loop/seed-format';

// Epoch plan
export { EpochPlan, shardBounds, shardWeight } from './plan/epoch-plan';
export type { Shard, EpochPlanOptions } from './plan/epoch-plan';
export { PlanBatchSampler } from './plan/plan-batch-sampler';

// Checkpoints
export { TRAINING_CHECKPOINT_FORMAT, captureRngState, restoreRngState, checkTrainingState } from './checkpoint/training-state';
export type { TrainingState } from './checkpoint/training-state';
export { latestValidCheckpoint, listCheckpoints, NoValidCheckpointError } from './checkpoint/latest-valid-checkpoint';
export type { ValidCheckpoint, RejectedCheckpoint, LatestValidCheckpointOptions } from './checkpoint/latest-valid-checkpoint';
export { CheckpointRotation, CheckpointWriteError } from './checkpoint/checkpoint-rotation';

// Numerical faults (NOTE [Non-finite steps] in numerics/step-guard.ts)
export { gradientsFinite, nonFiniteGradients } from './numerics/finite-check';
export { NonFiniteError, describeNonFiniteStep } from './numerics/non-finite-error';
export type { NonFiniteStep } from './numerics/non-finite-error';

// Elastic training (NOTE [Elastic recovery] in @loom/coordinator)
export { asElastic } from './elastic/elastic-process-group';
export type { ElasticProcessGroup } from './elastic/elastic-process-group';
export { agreeOnState, MAX_POSITION_KEY } from './elastic/state-sync';
export type { StateAgreement } from './elastic/state-sync';
export { SampleLog } from './elastic/sample-log';
export type { SampleLogLine } from './elastic/sample-log';
export { parameterDigest } from './elastic/parameter-digest';

// Errors
export { TrainerConfigError, JobLoadError, TrainingError } from './errors';

// Distributed
export { InProcessGroup } from './distributed/process-group';
export type { ProcessGroup } from './distributed/process-group';
export { DistributedDataParallel } from './distributed/distributed-data-parallel';
export type { DdpOptions, DdpStats } from './distributed/distributed-data-parallel';
export { assignBuckets, DEFAULT_BUCKET_CAP_BYTES, DEFAULT_FIRST_BUCKET_CAP_BYTES } from './distributed/gradient-buckets';
export type { GradientBucket } from './distributed/gradient-buckets';
