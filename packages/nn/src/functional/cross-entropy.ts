/**
 * `nllLoss` and `crossEntropy` as PyTorch 1.13 computes them
 * (`aten/src/ATen/native/LossNLL.cpp`): class-index targets with `weight`,
 * `ignoreIndex` and `labelSmoothing`, probability targets, inputs `[C]`, `[N, C]` or
 * `[N, C, d1, ...]`. Cross-entropy is `nllLoss(logSoftmax(input))`, and logSoftmax
 * subtracts the row maximum (log-sum-exp), so large logits do not overflow.
 */
import { ArgumentError, DTypeError, ShapeError, Tensor, fromArray, logSoftmax, softmaxCrossEntropy } from '@loom/tensor';
import { checkReduction, expectFloat, type Reduction } from './reduction';

/** PyTorch's default `ignore_index`: targets with this value are skipped. */
export const IGNORE_INDEX = -100;

/** Options of {@link nllLoss}. */
export interface NLLLossOptions {
  /** A rescaling weight per class, `[C]`. */
  weight?: Tensor | null;
  /** A target value that contributes neither loss nor gradient (default -100). */
  ignoreIndex?: number;
  /** Default `'mean'`: the weighted mean over the targets not ignored. */
  reduction?: Reduction;
}

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions extends NLLLossOptions {
  /** Mixes the target with the uniform distribution by this amount, in [0, 1] (default 0). */
  labelSmoothing?: number;
}

/** Class-index targets laid out as rows: `rows` is `[M, C]`, one row per target. */
interface ClassRows {
  rows: Tensor;
  targets: Int32Array;
  classes: number;
  /** The shape of the per-target loss (`reduction: 'none'`). */
  outShape: number[];
}

function classRows(input: Tensor, target: Tensor, loss: string, ignoreIndex: number): ClassRows {
  const classes = input.shape[input.ndim === 1 ? 0 : 1] as number;
  const outShape = input.ndim === 1 ? [] : [input.shape[0] as number, ...input.shape.slice(2)];
  const expected = `int32 class indices (PyTorch's int64) of shape [${outShape.join(',')}] for input [${input.shape.join(',')}]`;
  if (!(target instanceof Tensor)) throw new ArgumentError(`${loss}: target must be a Tensor of ${expected}`);
  if (target.dtype !== 'int32') {
    throw new DTypeError(`${loss}: expected target to be ${expected}, got ${target.dtype} [${target.shape.join(',')}]`, 'convert labels with .int()');
  }
  if (target.shape.join() !== outShape.join() || target.ndim !== outShape.length) {
    throw new ShapeError(`${loss}: expected target of ${expected}, got [${target.shape.join(',')}]`);
  }
  const targets = target.data() as Int32Array;
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i] as number;
    if (t !== ignoreIndex && (t < 0 || t >= classes)) {
      throw new ArgumentError(`${loss}: target ${t} (at position ${i}) is out of bounds for ${classes} classes`, `class indices must be in [0, ${classes - 1}] or ignoreIndex (${ignoreIndex})`);
    }
  }
  let rows: Tensor;
  if (input.ndim === 1) rows = input.unsqueeze(0);
  else if (input.ndim === 2) rows = input;
  else rows = input.permute([0, ...Array.from({ length: input.ndim - 2 }, (_, i) => i + 2), 1]).reshape([-1, classes]);
  return { rows, targets, classes, outShape };
}

function checkWeight(weight: Tensor | null | undefined, classes: number, loss: string): Float32Array | null {
  if (weight === null || weight === undefined) return null;
  expectFloat(weight, loss, 'weight');
  if (weight.ndim !== 1 || weight.shape[0] !== classes) {
    throw new ShapeError(`${loss}: weight tensor should be defined either for all ${classes} classes or no classes but got weight tensor of shape: [${weight.shape.join(',')}]`);
  }
  return weight.data() as Float32Array;
}

/** The negative log-likelihood of each target row, reduced. */
function nllOfRows(r: ClassRows, weights: Float32Array | null, ignoreIndex: number, reduction: Reduction): Tensor {
  const m = r.targets.length;
  const index = new Int32Array(m);
  const w = new Float32Array(m);
  let total = 0;
  for (let i = 0; i < m; i++) {
    const t = r.targets[i] as number;
    if (t === ignoreIndex) continue;
    index[i] = t;
    w[i] = weights ? (weights[t] as number) : 1;
    total += w[i] as number;
  }
  const picked = r.rows.gather(1, fromArray(index, [m, 1])).reshape([m]);
  const losses = picked.mul(fromArray(w, [m])).neg();
  if (reduction === 'none') return losses.reshape(r.outShape);
  if (reduction === 'sum') return losses.sum();
  // The weighted mean; all targets ignored gives 0/0 = NaN, as PyTorch.
  return losses.sum().div(Math.fround(total));
}

function checkIgnoreIndex(ignoreIndex: number, loss: string): number {
  if (!Number.isInteger(ignoreIndex)) throw new ArgumentError(`${loss}: ignoreIndex must be an integer, got ${String(ignoreIndex)}`);
  return ignoreIndex;
}

/**
 * The negative log-likelihood of class-index targets given log-probabilities
 * (PyTorch's `F.nll_loss`): input `[N, C]` (or `[C]`, `[N, C, d1, ...]`), target int32
 * `[N]` (or `[]`, `[N, d1, ...]`).
 *
 * @example
 * ```ts
 * nllLoss(logSoftmax(logits, 1), labels);
 * ```
 */
export function nllLoss(input: Tensor, target: Tensor, options: NLLLossOptions = {}): Tensor {
  const loss = 'nllLoss';
  expectFloat(input, loss, 'input');
  if (input.ndim < 1) throw new ShapeError(`${loss}: input must have at least 1 dim [C] or [N, C, ...], got a scalar`);
  const reduction = checkReduction(options.reduction ?? 'mean', loss);
  const ignoreIndex = checkIgnoreIndex(options.ignoreIndex ?? IGNORE_INDEX, loss);
  const rows = classRows(input, target, loss, ignoreIndex);
  return nllOfRows(rows, checkWeight(options.weight, rows.classes, loss), ignoreIndex, reduction);
}

/**
 * Cross-entropy between logits and targets (PyTorch's `F.cross_entropy`). The target
 * is either int32 class indices (`[N]` for input `[N, C]`), or class probabilities of
 * the input's shape (float32).
 *
 * @example
 * ```ts
 * crossEntropy(logits, labels);                           // [64,10], [64] int32
 * crossEntropy(logits, labels, { labelSmoothing: 0.1 });
 * crossEntropy(logits, softTargets);                      // [64,10], [64,10] float32
 * ```
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const loss = 'crossEntropy';
  expectFloat(input, loss, 'input');
  if (input.ndim < 1) throw new ShapeError(`${loss}: input must have at least 1 dim [C] or [N, C, ...], got a scalar`);
  const reduction = checkReduction(options.reduction ?? 'mean', loss);
  const ignoreIndex = checkIgnoreIndex(options.ignoreIndex ?? IGNORE_INDEX, loss);
  const smoothing = options.labelSmoothing ?? 0;
  if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing <= 1)) {
    throw new ArgumentError(`${loss}: labelSmoothing must be between 0.0 and 1.0. Got: ${String(smoothing)}`);
  }
  const classDim = input.ndim === 1 ? 0 : 1;
  const classes = input.shape[classDim] as number;
  const weights = checkWeight(options.weight, classes, loss);
  if (weights === null && smoothing === 0 && isFusable(input, target, ignoreIndex)) {
    try {
      return softmaxCrossEntropy(input, target, { reduction });
    } catch (err) {
      // A target outside [0, C): ignoreIndex (never a class here) or an invalid
      // index. The general path below skips the first and reports the second.
      if (!(err instanceof ArgumentError)) throw err;
    }
  }
  const logp = logSoftmax(input, classDim);
  if (target instanceof Tensor && target.shape.join() === input.shape.join() && target.ndim === input.ndim) {
    return probabilityCrossEntropy(logp, target, options.weight ?? null, classDim, smoothing, reduction, ignoreIndex);
  }
  const rows = classRows(logp, target, loss, ignoreIndex);
  const nll = nllOfRows(rows, weights, ignoreIndex, reduction);
  if (smoothing === 0) return nll;
  // PyTorch's cross_entropy_loss_label_smoothing: the loss against the uniform
  // distribution, weighted, ignored targets zeroed, normalised as the NLL term is.
  const m = rows.targets.length;
  const kept = new Float32Array(m);
  let count = 0;
  let weightSum = 0;
  for (let i = 0; i < m; i++) {
    const t = rows.targets[i] as number;
    if (t === ignoreIndex) continue;
    kept[i] = 1;
    count++;
    weightSum += weights ? (weights[t] as number) : 1;
  }
  const weighted = options.weight ? rows.rows.mul(options.weight.reshape([1, classes])) : rows.rows;
  const smooth = weighted.sum(1).neg().mul(fromArray(kept, [m]));
  let ret: Tensor;
  if (reduction === 'none') ret = smooth.reshape(rows.outShape);
  else if (reduction === 'sum') ret = smooth.sum();
  else ret = smooth.sum().div(Math.fround(weights ? weightSum : count));
  return nll.mul(1 - smoothing).add(ret.mul(smoothing / classes));
}

/**
 * Whether `softmaxCrossEntropy` (one op, the same numbers) computes this loss: logits
 * `[N, C]` and int32 class indices `[N]`, with an ignoreIndex that is not a class, so
 * that a target equal to it fails the fused op's range check instead of being read.
 */
function isFusable(input: Tensor, target: Tensor, ignoreIndex: number): boolean {
  if (!(target instanceof Tensor) || target.dtype !== 'int32' || input.ndim !== 2 || target.ndim !== 1) return false;
  const [n, classes] = input.shape as [number, number];
  return target.shape[0] === n && n > 0 && classes > 0 && (ignoreIndex < 0 || ignoreIndex >= classes);
}

/** PyTorch's `cross_entropy_loss_prob_target`. */
function probabilityCrossEntropy(
  logp: Tensor,
  target: Tensor,
  weight: Tensor | null,
  classDim: number,
  smoothing: number,
  reduction: Reduction,
  ignoreIndex: number,
): Tensor {
  const loss = 'crossEntropy';
  if (target.dtype !== 'float32') {
    throw new DTypeError(
      `${loss}: a target of the input's shape [${target.shape.join(',')}] holds class probabilities and must be float32, got ${target.dtype}`,
      `for class indices the target has shape [${[logp.shape[0], ...logp.shape.slice(2)].join(',')}]`,
    );
  }
  if (ignoreIndex >= 0) throw new ArgumentError(`${loss}: ignoreIndex is not supported for floating point target (class probabilities), got ${ignoreIndex}`);
  const classes = logp.shape[classDim] as number;
  const t = smoothing > 0 ? target.mul(1 - smoothing).add(smoothing / classes) : target;
  let prod = logp.mul(t);
  if (weight) prod = prod.mul(weight.reshape(logp.shape.map((d, i) => (i === classDim ? d : 1))));
  if (reduction === 'none') return prod.sum(classDim).neg();
  if (reduction === 'sum') return prod.sum().neg();
  return prod.sum().neg().div(Math.trunc(logp.numel() / classes));
}
