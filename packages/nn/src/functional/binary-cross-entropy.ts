/**
 * Binary cross-entropy on probabilities (`binaryCrossEntropy`) and on logits
 * (`binaryCrossEntropyWithLogits`, stable for any logit), with PyTorch 1.13's
 * formulas (`aten/src/ATen/native/Loss.cpp`).
 */
import { Tensor } from '@loom/tensor';
import { checkReduction, expectFloat, expectSameShape, reduce, type Reduction } from './reduction';

/** PyTorch clamps each log term at -100 so that a probability of 0 or 1 gives a finite loss. */
const LOG_FLOOR = -100;

/** Options of {@link binaryCrossEntropy}. */
export interface BCELossOptions {
  /** A rescaling weight, broadcast to the input. */
  weight?: Tensor | null;
  /** Default `'mean'`. */
  reduction?: Reduction;
}

/** Options of {@link binaryCrossEntropyWithLogits}. */
export interface BCEWithLogitsLossOptions extends BCELossOptions {
  /** Weight of positive examples, broadcast along the last (class) dim. */
  posWeight?: Tensor | null;
}

/**
 * `-w (t log(x) + (1 - t) log(1 - x))` for probabilities `x` in [0, 1] (PyTorch's
 * `F.binary_cross_entropy`); each log is clamped at -100.
 *
 * @example
 * ```ts
 * binaryCrossEntropy(sigmoid(logits), targets);
 * ```
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BCELossOptions = {}): Tensor {
  const loss = 'binaryCrossEntropy';
  const reduction = checkReduction(options.reduction ?? 'mean', loss);
  expectFloat(input, loss, 'input');
  expectFloat(target, loss, 'target');
  expectSameShape(input, target, loss);
  const logX = input.log().clamp({ min: LOG_FLOOR });
  const log1mX = input.neg().log1p().clamp({ min: LOG_FLOOR });
  // (t - 1) * log(1 - x) - t * log(x), the order of PyTorch's CPU kernel.
  let out = target.sub(1).mul(log1mX).sub(target.mul(logX));
  if (options.weight) out = out.mul(expectFloat(options.weight, loss, 'weight'));
  return reduce(out, reduction);
}

/**
 * Binary cross-entropy of `sigmoid(input)`, computed from the logits without
 * overflow (PyTorch's `F.binary_cross_entropy_with_logits`); `posWeight` scales the
 * positive term.
 *
 * @example
 * ```ts
 * binaryCrossEntropyWithLogits(logits, targets, { posWeight: tensor([3]) });
 * ```
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: BCEWithLogitsLossOptions = {}): Tensor {
  const loss = 'binaryCrossEntropyWithLogits';
  const reduction = checkReduction(options.reduction ?? 'mean', loss);
  expectFloat(input, loss, 'input');
  expectFloat(target, loss, 'target');
  expectSameShape(input, target, loss);
  // log(1 + exp(-x)) as max(-x, 0) + log(exp(-max) + exp(-x - max)): no exp overflows.
  const maxVal = input.neg().clamp({ min: 0 });
  const logTerm = maxVal.neg().exp().add(input.neg().sub(maxVal).exp()).log();
  const negative = target.neg().add(1).mul(input);
  let out: Tensor;
  if (options.posWeight) {
    const logWeight = expectFloat(options.posWeight, loss, 'posWeight').sub(1).mul(target).add(1);
    out = negative.add(logWeight.mul(logTerm.add(maxVal)));
  } else {
    out = negative.add(maxVal).add(logTerm);
  }
  if (options.weight) out = out.mul(expectFloat(options.weight, loss, 'weight'));
  return reduce(out, reduction);
}
