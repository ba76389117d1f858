/**
 * Element-wise regression losses: `mseLoss`, `l1Loss`, `smoothL1Loss`. As in
 * PyTorch, input and target broadcast (with PyTorch's warning when their shapes
 * differ) and the mean is over every element.
 */
import { ArgumentError, Tensor, where } from '@loom/tensor';
import { checkReduction, expectFloat, reduce, warnIfBroadcast, type Reduction } from './reduction';

/** Options of the regression losses. */
export interface RegressionLossOptions {
  /** Default `'mean'`. */
  reduction?: Reduction;
}

/** Options of {@link smoothL1Loss}. */
export interface SmoothL1LossOptions extends RegressionLossOptions {
  /** Where the loss turns from quadratic to linear (default 1, PyTorch's). */
  beta?: number;
}

/** PyTorch's default `beta` of `smooth_l1_loss`. */
export const SMOOTH_L1_BETA = 1.0;

function difference(input: Tensor, target: Tensor, loss: string): Tensor {
  expectFloat(input, loss, 'input');
  expectFloat(target, loss, 'target');
  warnIfBroadcast(input, target, loss);
  return input.sub(target);
}

/**
 * Mean squared error (PyTorch's `F.mse_loss`).
 *
 * @example
 * ```ts
 * mseLoss(pred, target); mseLoss(pred, target, { reduction: 'sum' });
 * ```
 */
export function mseLoss(input: Tensor, target: Tensor, options: RegressionLossOptions = {}): Tensor {
  const reduction = checkReduction(options.reduction ?? 'mean', 'mseLoss');
  return reduce(difference(input, target, 'mseLoss').square(), reduction);
}

/**
 * Mean absolute error (PyTorch's `F.l1_loss`); the gradient at 0 is 0.
 *
 * @example
 * ```ts
 * l1Loss(pred, target);
 * ```
 */
export function l1Loss(input: Tensor, target: Tensor, options: RegressionLossOptions = {}): Tensor {
  const reduction = checkReduction(options.reduction ?? 'mean', 'l1Loss');
  return reduce(difference(input, target, 'l1Loss').abs(), reduction);
}

/**
 * Huber-like loss (PyTorch's `F.smooth_l1_loss`): `0.5 z^2 / beta` where
 * `|z| < beta`, else `|z| - 0.5 beta`; `beta = 0` is the L1 loss.
 *
 * @example
 * ```ts
 * smoothL1Loss(boxes, targets, { beta: 1 / 9 });
 * ```
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options: SmoothL1LossOptions = {}): Tensor {
  const loss = 'smoothL1Loss';
  const reduction = checkReduction(options.reduction ?? 'mean', loss);
  const beta = options.beta ?? SMOOTH_L1_BETA;
  if (typeof beta !== 'number' || !(beta >= 0) || !Number.isFinite(beta)) {
    throw new ArgumentError(`${loss}: smooth_l1_loss does not support negative values for beta, got ${String(beta)}`);
  }
  const diff = difference(input, target, loss);
  if (beta === 0) return reduce(absWithNegativeSlopeAtZero(input, target, diff), reduction);
  const z = diff.abs();
  return reduce(where(z.lt(beta), z.square().mul(0.5 / beta), z.sub(0.5 * beta)), reduction);
}

/**
 * `|input - target|` with PyTorch's `smooth_l1_loss` gradient for beta = 0: its kernel
 * tests `x <= -beta` first, so at x = 0 the gradient is -1, for the input and (its
 * backward swaps the arguments) for the target too.
 */
function absWithNegativeSlopeAtZero(input: Tensor, target: Tensor, diff: Tensor): Tensor {
  const abs = (x: Tensor): Tensor => where(x.le(0), x.neg(), x);
  if (!target.requiresGrad) return abs(diff);
  const towardInput = abs(input.sub(target.detach()));
  const towardTarget = abs(target.sub(input.detach()));
  // The value of the first; each gradient from its own expression.
  return towardInput.add(towardTarget.sub(towardTarget.detach()));
}
