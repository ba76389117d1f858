/**
 * `softmaxCrossEntropy`: PyTorch's `F.cross_entropy` for its common case (logits
 * `[N, C]`, class indices `[N]`, no weight, no label smoothing, no ignored target) as
 * one op with one backward rule, instead of logSoftmax, gather, mul, neg, sum and div
 * recorded one by one. The numbers are those of that composition (nn's crossEntropy
 * routes this case here): the log-probabilities come from logSoftmax's kernels, the
 * loss and its gradient `G - exp(logp) * sum(G)` from host kernels that read the
 * targets where they lie (kernels/cross-entropy.ts), or from tfjs kernels on backends
 * without host kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { record } from '../autograd/record';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors';
import { hasHostKernel, runHostKernel } from '../kernels/host-kernel';
import { NLL_FORWARD, SOFTMAX_CROSS_ENTROPY_GRAD, checkTargets, type LossReduction } from '../kernels/cross-entropy';
import type { Tensor } from '../tensor';
import { logSoftmaxValue } from './activation';
import { sumOver } from './kernels';
import { expectTensor } from './operand';

const OP = 'softmaxCrossEntropy';
const REDUCTIONS: readonly LossReduction[] = ['mean', 'sum', 'none'];

/** Options of {@link softmaxCrossEntropy}. */
export interface SoftmaxCrossEntropyOptions {
  /** `'mean'` (default) over the batch, `'sum'`, or `'none'` for the `[N]` losses. */
  reduction?: LossReduction;
}

/** The loss from `logp` with tfjs kernels (backends without host kernels). */
function lossWithTfjs(logp: tf.Tensor, target: Tensor, positions: tf.Tensor, reduction: LossReduction): tf.Tensor {
  return tf.tidy(() => {
    const losses = tf.neg(tf.gather(tf.reshape(logp, [-1]), positions));
    if (reduction === 'none') return losses;
    const total = sumOver(losses, 0);
    return reduction === 'sum' ? total : tf.div(total, tf.scalar(Math.fround(target.shape[0] as number)));
  });
}

/** The gradient with tfjs kernels: gather's scatter, then logSoftmax's backward. */
function gradWithTfjs(e: tf.Tensor, dy: tf.Tensor, positions: tf.Tensor, n: number, classes: number, reduction: LossReduction): tf.Tensor {
  const scaled = reduction === 'mean' ? tf.div(dy, tf.scalar(Math.fround(n))) : dy;
  const s = tf.neg(reduction === 'none' ? scaled : tf.broadcastTo(tf.reshape(scaled, [1]), [n]));
  const g = tf.reshape(tf.scatterND(tf.reshape(positions, [-1, 1]), s, [n * classes]), [n, classes]);
  return tf.sub(g, tf.mul(e, tf.sum(g, 1, true)));
}

/**
 * Cross-entropy of logits `input` `[N, C]` against class indices `target` (int32
 * `[N]`, each in `[0, C)`), as PyTorch's `F.cross_entropy(input, target)`:
 * `-logSoftmax(input)[i, target[i]]`, averaged over the batch by default. The
 * gradient is `(softmax - onehot) / N` (for 'mean').
 *
 * @example
 * ```ts
 * const loss = softmaxCrossEntropy(model.forward(X), y); // [64,10], [64] int32
 * loss.backward();
 * ```
 */
export function softmaxCrossEntropy(input: Tensor, target: Tensor, options: SoftmaxCrossEntropyOptions = {}): Tensor {
  const x = expectTensor(input, OP, 'input');
  const t = expectTensor(target, OP, 'target');
  const reduction = options.reduction ?? 'mean';
  if (!REDUCTIONS.includes(reduction)) throw new ArgumentError(`${OP}: ${String(reduction)} is not a valid value for reduction`, "use 'mean', 'sum' or 'none'");
  if (x.dtype !== 'float32') throw new DTypeError(`${OP}: expected input to be float32 logits, got ${x.dtype}`, 'convert it with input.float()');
  if (x.ndim !== 2 || (x.shape[1] as number) < 1) throw new ShapeError(`${OP}: input must be [N, C] logits with C >= 1, got ${formatShape(x.shape)}`);
  const [n, classes] = x.shape as [number, number];
  if (t.dtype !== 'int32') throw new DTypeError(`${OP}: expected target to be int32 class indices (PyTorch's int64), got ${t.dtype}`, 'convert labels with .int()');
  if (t.ndim !== 1 || t.shape[0] !== n) throw new ShapeError(`${OP}: expected target of shape [${n}] for input ${formatShape(x.shape)}, got ${formatShape(t.shape)}`);

  const logp = logSoftmaxValue(x.value(OP), 1);
  const tv = t.value(OP);
  const host = hasHostKernel(NLL_FORWARD) && hasHostKernel(SOFTMAX_CROSS_ENTROPY_GRAD);
  let positions: tf.Tensor | null = null;
  let value: tf.Tensor;
  try {
    if (host) {
      value = runHostKernel(NLL_FORWARD, { logp, target: tv }, { reduction }) as tf.Tensor;
    } else {
      // No host kernel: the targets are read here, as gather does, for the check and the flat positions.
      const targets = t.data() as Int32Array;
      checkTargets(targets, classes);
      positions = tf.tensor1d(targets.map((c, i) => i * classes + c), 'int32');
      value = lossWithTfjs(logp, t, positions, reduction);
    }
  } catch (err) {
    logp.dispose();
    positions?.dispose();
    throw err;
  }
  const owned = positions === null ? [logp] : [logp, positions];
  return record(OP, value, [x], () => (dy) => {
    const e = tf.exp(logp);
    if (positions === null) return [runHostKernel(SOFTMAX_CROSS_ENTROPY_GRAD, { e, target: tv, dy }, { reduction }) as tf.Tensor];
    return [gradWithTfjs(e, dy, positions, n, classes, reduction)];
  }, { saved: [t], owned });
}
