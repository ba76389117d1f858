/**
 * `batchNorm` and `layerNorm`, composed from `@loom/tensor` ops (so autograd derives
 * their backward), with PyTorch's statistics: biased variance to normalise, and
 * unbiased variance for BatchNorm's running estimate.
 */
import { ArgumentError, ShapeError, Tensor, noGrad } from '@loom/tensor';
import { checkFinite } from './args';

/** PyTorch's default `eps` of the normalisation layers. */
export const NORM_EPS = 1e-5;
/** PyTorch's default BatchNorm momentum. */
export const BATCH_NORM_MOMENTUM = 0.1;

/** Options of {@link batchNorm} (PyTorch's `F.batch_norm` arguments). */
export interface BatchNormOptions {
  /** Per-channel scale `[C]`. */
  weight?: Tensor | null;
  /** Per-channel shift `[C]`. */
  bias?: Tensor | null;
  /** Normalise with the batch's statistics and update the running ones (default false). */
  training?: boolean;
  /** Weight of the new batch in the running statistics (default 0.1). */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
}

/**
 * Batch normalisation over `[N, C, ...]` (PyTorch's `F.batch_norm`). In training the
 * batch's mean and biased variance per channel normalise, and `runningMean` /
 * `runningVar` (when given) are updated in place with `momentum`, the variance
 * unbiased; otherwise the running statistics normalise.
 *
 * @example
 * ```ts
 * batchNorm(x, runningMean, runningVar, { weight, bias, training: true });
 * ```
 */
export function batchNorm(input: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, options: BatchNormOptions = {}): Tensor {
  const training = options.training ?? false;
  const momentum = checkFinite(options.momentum ?? BATCH_NORM_MOMENTUM, 'batchNorm', 'momentum');
  const eps = checkFinite(options.eps ?? NORM_EPS, 'batchNorm', 'eps');
  if (input.ndim < 2) throw new ShapeError(`batchNorm: expected an input [N, C, ...] with at least 2 dims, got [${input.shape.join(',')}]`);
  const channels = input.shape[1] as number;
  const perChannel = [1, channels, ...new Array<number>(input.ndim - 2).fill(1)];
  for (const [name, t] of [['runningMean', runningMean], ['runningVar', runningVar], ['weight', options.weight], ['bias', options.bias]] as const) {
    if (t && (t.ndim !== 1 || t.shape[0] !== channels)) {
      throw new ShapeError(`batchNorm: ${name} must have shape [${channels}] for input [${input.shape.join(',')}], got [${t.shape.join(',')}]`);
    }
  }
  let mean: Tensor;
  let variance: Tensor;
  if (training) {
    const count = input.numel() / channels;
    if (count <= 1) {
      throw new ArgumentError(`batchNorm: expected more than 1 value per channel when training, got input size [${input.shape.join(',')}]`, 'use a batch of at least 2, or eval() mode');
    }
    const dims = [0, ...Array.from({ length: input.ndim - 2 }, (_, i) => i + 2)];
    mean = input.mean(dims, { keepdim: true });
    const centered = input.sub(mean);
    variance = centered.square().mean(dims, { keepdim: true });
    if (runningMean || runningVar) {
      noGrad(() => {
        if (runningMean) runningMean.mul_(1 - momentum).add_(mean.reshape([channels]).mul(momentum));
        if (runningVar) runningVar.mul_(1 - momentum).add_(variance.reshape([channels]).mul((momentum * count) / (count - 1)));
      });
    }
    return affine(centered.mul(variance.add(eps).rsqrt()), options, perChannel);
  }
  if (!runningMean || !runningVar) {
    throw new ArgumentError('batchNorm: runningMean and runningVar must be given when training is false', 'pass { training: true } to normalise with the batch statistics');
  }
  mean = runningMean.reshape(perChannel);
  variance = runningVar.reshape(perChannel);
  return affine(input.sub(mean).mul(variance.add(eps).rsqrt()), options, perChannel);
}

function affine(normalized: Tensor, options: { weight?: Tensor | null; bias?: Tensor | null }, shape: number[]): Tensor {
  let out = normalized;
  if (options.weight) out = out.mul(options.weight.reshape(shape));
  if (options.bias) out = out.add(options.bias.reshape(shape));
  return out;
}

/** Options of {@link layerNorm}. */
export interface LayerNormOptions {
  /** Elementwise scale of shape `normalizedShape`. */
  weight?: Tensor | null;
  /** Elementwise shift of shape `normalizedShape`. */
  bias?: Tensor | null;
  /** Added to the variance (default 1e-5). */
  eps?: number;
}

/**
 * Layer normalisation over the trailing dims `normalizedShape` (PyTorch's
 * `F.layer_norm`): mean and biased variance of each row of those dims.
 *
 * @example
 * ```ts
 * layerNorm(x, [512], { weight, bias });
 * ```
 */
export function layerNorm(input: Tensor, normalizedShape: readonly number[], options: LayerNormOptions = {}): Tensor {
  const eps = checkFinite(options.eps ?? NORM_EPS, 'layerNorm', 'eps');
  const k = normalizedShape.length;
  const trailing = input.shape.slice(input.ndim - k);
  if (k === 0 || input.ndim < k || trailing.some((d, i) => d !== normalizedShape[i])) {
    throw new ShapeError(
      `layerNorm: given normalizedShape=[${normalizedShape.join(', ')}], expected input with shape [*, ${normalizedShape.join(', ')}], but got input of size [${input.shape.join(', ')}]`,
    );
  }
  for (const [name, t] of [['weight', options.weight], ['bias', options.bias]] as const) {
    if (t && t.shape.join() !== normalizedShape.join()) {
      throw new ShapeError(`layerNorm: ${name} must have shape [${normalizedShape.join(',')}], got [${t.shape.join(',')}]`);
    }
  }
  const dims = Array.from({ length: k }, (_, i) => input.ndim - k + i);
  const centered = input.sub(input.mean(dims, { keepdim: true }));
  const variance = centered.square().mean(dims, { keepdim: true });
  let out = centered.mul(variance.add(eps).rsqrt());
  if (options.weight) out = out.mul(options.weight);
  if (options.bias) out = out.add(options.bias);
  return out;
}
