/**
 * Loss modules (PyTorch's `nn.*Loss`), each a thin class over its `functional`
 * function. Class weights are buffers under PyTorch's names (`weight`, `pos_weight`),
 * so they are part of the state dict as in PyTorch.
 */
import type { Tensor } from '@loom/tensor';
import { Module } from '../module/module';
import { IGNORE_INDEX, crossEntropy, nllLoss } from '../functional/cross-entropy';
import { binaryCrossEntropy, binaryCrossEntropyWithLogits } from '../functional/binary-cross-entropy';
import { SMOOTH_L1_BETA, l1Loss, mseLoss, smoothL1Loss } from '../functional/regression-loss';
import { checkReduction, type Reduction } from '../functional/reduction';

/** Options every loss takes. */
export interface LossOptions {
  /** `'mean'` (default), `'sum'` or `'none'`. */
  reduction?: Reduction;
}

/** Options of the losses with class weights. */
export interface WeightedLossOptions extends LossOptions {
  /** A rescaling weight per class (or element). */
  weight?: Tensor | null;
}

/** Base of the losses: the reduction (PyTorch's `_Loss`). */
abstract class Loss extends Module {
  readonly reduction: Reduction;

  protected constructor(options: LossOptions) {
    super();
    this.reduction = checkReduction(options.reduction ?? 'mean', this.constructor.name);
  }

  abstract override forward(input: Tensor, target: Tensor): Tensor;
}

/** Base of the losses with a `weight` buffer (PyTorch's `_WeightedLoss`). */
abstract class WeightedLoss extends Loss {
  declare readonly weight: Tensor | null;

  protected constructor(options: WeightedLossOptions) {
    super(options);
    this.registerBuffer('weight', options.weight ?? null);
  }
}

/** Options of {@link CrossEntropyLoss}. */
export interface CrossEntropyLossOptions extends WeightedLossOptions {
  /** A target value skipped by the loss and its gradient (default -100). */
  ignoreIndex?: number;
  /** Mixes targets with the uniform distribution by this amount (default 0). */
  labelSmoothing?: number;
}

/**
 * Cross-entropy of logits against class indices (int32) or class probabilities
 * (PyTorch's `nn.CrossEntropyLoss`).
 *
 * @example
 * ```ts
 * const lossFn = new CrossEntropyLoss();
 * const loss = lossFn(model(X), y);
 * ```
 */
export class CrossEntropyLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;

  constructor(options: CrossEntropyLossOptions = {}) {
    super(options);
    this.ignoreIndex = options.ignoreIndex ?? IGNORE_INDEX;
    this.labelSmoothing = options.labelSmoothing ?? 0;
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction, labelSmoothing: this.labelSmoothing });
  }
}

/** Options of {@link NLLLoss}. */
export interface NLLLossLayerOptions extends WeightedLossOptions {
  /** A target value skipped by the loss and its gradient (default -100). */
  ignoreIndex?: number;
}

/**
 * Negative log-likelihood of class indices given log-probabilities (PyTorch's
 * `nn.NLLLoss`); pair it with `LogSoftmax`.
 *
 * @example
 * ```ts
 * new NLLLoss()(new LogSoftmax(1)(logits), y);
 * ```
 */
export class NLLLoss extends WeightedLoss {
  readonly ignoreIndex: number;

  constructor(options: NLLLossLayerOptions = {}) {
    super(options);
    this.ignoreIndex = options.ignoreIndex ?? IGNORE_INDEX;
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

/** Mean squared error (PyTorch's `nn.MSELoss`). @example `new MSELoss()(pred, target)` */
export class MSELoss extends Loss {
  constructor(options: LossOptions = {}) {
    super(options);
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

/** Mean absolute error (PyTorch's `nn.L1Loss`). @example `new L1Loss({ reduction: 'sum' })` */
export class L1Loss extends Loss {
  constructor(options: LossOptions = {}) {
    super(options);
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

/** Options of {@link SmoothL1Loss}. */
export interface SmoothL1LossLayerOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear (default 1). */
  beta?: number;
}

/** Smooth L1 (Huber-like) loss (PyTorch's `nn.SmoothL1Loss`). @example `new SmoothL1Loss({ beta: 0.5 })` */
export class SmoothL1Loss extends Loss {
  readonly beta: number;

  constructor(options: SmoothL1LossLayerOptions = {}) {
    super(options);
    this.beta = options.beta ?? SMOOTH_L1_BETA;
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/** Binary cross-entropy of probabilities (PyTorch's `nn.BCELoss`). @example `new BCELoss()(sigmoid(z), t)` */
export class BCELoss extends WeightedLoss {
  constructor(options: WeightedLossOptions = {}) {
    super(options);
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/** Options of {@link BCEWithLogitsLoss}. */
export interface BCEWithLogitsLossLayerOptions extends WeightedLossOptions {
  /** Weight of positive examples per class (state-dict key `pos_weight`). */
  posWeight?: Tensor | null;
}

/**
 * Binary cross-entropy of logits, stable for any logit (PyTorch's
 * `nn.BCEWithLogitsLoss`).
 *
 * @example
 * ```ts
 * new BCEWithLogitsLoss({ posWeight: full([5], 3) })(logits, targets);
 * ```
 */
export class BCEWithLogitsLoss extends WeightedLoss {
  constructor(options: BCEWithLogitsLossLayerOptions = {}) {
    super(options);
    this.registerBuffer('pos_weight', options.posWeight ?? null);
  }

  /** The positive-example weights (state-dict key `pos_weight`). */
  get posWeight(): Tensor | null {
    return (this as unknown as { pos_weight: Tensor | null }).pos_weight;
  }

  override forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, { weight: this.weight, posWeight: this.posWeight, reduction: this.reduction });
  }
}
