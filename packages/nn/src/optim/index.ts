/**
 * `optim`: optimizers and learning-rate schedulers with PyTorch 1.13's semantics
 * (`torch.optim`). Each optimizer is a thin class over a pure update function
 * (`sgd`, `adam`, `rmsprop`, `adagrad`) that can also be called on its own.
 *
 * @example
 * ```ts
 * import { optim } from '@loom/nn';
 * const optimizer = new optim.SGD(model.parameters(), { lr: 1e-3, momentum: 0.9 });
 * const scheduler = new optim.lrScheduler.StepLR(optimizer, { stepSize: 10 });
 * ```
 */
export { Optimizer } from './optimizer';
export type { GroupOptions, OptimizerParams, ParamGroup, ParamGroupInput, ParamState } from './optimizer';
export type { OptimizerStateDict, ParamGroupStateDict } from './state-dict';
export { SGD, sgd } from './sgd';
export type { SGDHyperparameters, SGDOptions, SGDParamGroup } from './sgd';
export { Adam, adam } from './adam';
export type { AdamHyperparameters, AdamOptions, AdamParamGroup, AdamState } from './adam';
export { AdamW } from './adamw';
export { RMSprop, rmsprop } from './rmsprop';
export type { RMSpropHyperparameters, RMSpropOptions, RMSpropParamGroup, RMSpropState } from './rmsprop';
export { Adagrad, adagrad } from './adagrad';
export type { AdagradHyperparameters, AdagradOptions, AdagradParamGroup } from './adagrad';
export { OptimizerStateError, NonFiniteNormError } from './errors';
export * as lrScheduler from './lr-scheduler';
