/**
 * Learning-rate schedulers (PyTorch's `torch.optim.lr_scheduler`).
 *
 * @example
 * ```ts
 * import { optim } from '@loom/nn';
 * const scheduler = new optim.lrScheduler.CosineAnnealingLR(optimizer, { tMax: 100 });
 * ```
 */
export { LRScheduler } from './lr-scheduler';
export type { SchedulerStateDict } from './scheduler-state';
export { StepLR, type StepLROptions } from './step-lr';
export { MultiStepLR, type MultiStepLROptions } from './multi-step-lr';
export { ExponentialLR, type ExponentialLROptions } from './exponential-lr';
export { CosineAnnealingLR, type CosineAnnealingLROptions } from './cosine-annealing-lr';
export { LambdaLR, type LambdaLROptions, type LrLambda } from './lambda-lr';
export { LinearLR, type LinearLROptions } from './linear-lr';
export { OneCycleLR, type OneCycleLROptions } from './one-cycle-lr';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './reduce-lr-on-plateau';
