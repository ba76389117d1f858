/** Gradient clipping: `clipGradNorm` and `clipGradValue` (PyTorch's `torch.nn.utils`). */
import { ArgumentError, Tensor, noGrad, scope, stack, tensor } from '@loom/tensor';
import { NonFiniteNormError, typeName } from './errors';

/** Added to the norm before dividing, as PyTorch's `clip_grad_norm_` does. */
const NORM_EPSILON = 1e-6;

function gradsOf(parameters: Iterable<Tensor> | Tensor, op: string): Tensor[] {
  if (!(parameters instanceof Tensor) && (parameters === null || typeof parameters !== 'object' || !(Symbol.iterator in parameters))) {
    throw new ArgumentError(`${op}: parameters must be a Tensor or an iterable of Tensors, got ${typeName(parameters)}`);
  }
  const params = parameters instanceof Tensor ? [parameters] : [...parameters];
  params.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new ArgumentError(`${op}: parameters[${i}] must be a Tensor, got ${typeName(p)}`);
  });
  return params.flatMap((p) => (p.grad === null || p.grad.isDisposed ? [] : [p.grad]));
}

/** The p-norm of one tensor (0-d), as `torch.norm(x, p)` for p > 0 or p = Infinity. */
function norm(x: Tensor, p: number): Tensor {
  if (p === Infinity) return x.abs().max();
  if (p === 2) return x.mul(x).sum().sqrt();
  if (p === 1) return x.abs().sum();
  return x.abs().pow(p).sum().pow(1 / p);
}

/**
 * Scales the gradients of `parameters` in place so that their total `normType`-norm
 * (all gradients seen as one vector) is at most `maxNorm` (PyTorch's
 * `clip_grad_norm_`), and returns the total norm before clipping as a 0-d tensor.
 * Every gradient is multiplied by `min(1, maxNorm / (total + 1e-6))`.
 *
 * @example
 * ```ts
 * loss.backward();
 * const total = clipGradNorm(model.parameters(), 1.0);
 * optimizer.step();
 * console.log(total.item());
 * ```
 */
export function clipGradNorm(
  parameters: Iterable<Tensor> | Tensor,
  maxNorm: number,
  normType = 2,
  options: { errorIfNonfinite?: boolean } = {},
): Tensor {
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm)) throw new ArgumentError(`clipGradNorm: maxNorm must be a number, got ${String(maxNorm)}`);
  if (typeof normType !== 'number' || !(normType > 0)) {
    throw new ArgumentError(`clipGradNorm: normType must be a number > 0 or Infinity, got ${String(normType)}`, 'use 2 (Euclidean), 1, or Infinity (max)');
  }
  const grads = gradsOf(parameters, 'clipGradNorm');
  if (grads.length === 0) return tensor(0);
  return noGrad(() =>
    scope(() => {
      const norms = stack(grads.map((g) => norm(g, normType)));
      const total = normType === Infinity ? norms.max() : norm(norms, normType);
      if (options.errorIfNonfinite && !Number.isFinite(total.item())) {
        throw new NonFiniteNormError(
          `The total norm of order ${normType} for gradients from \`parameters\` is non-finite, so it cannot be clipped`,
          'look for NaN/Inf in the loss or the gradients; to scale the gradients by the non-finite norm anyway, set errorIfNonfinite: false',
        );
      }
      // PyTorch computes max_norm / (total + eps) as reciprocal(total + eps) * max_norm.
      const coef = total.add(NORM_EPSILON).reciprocal().mul(maxNorm).clamp({ max: 1 });
      for (const g of grads) g.mul_(coef);
      return total;
    }, 'clipGradNorm'),
  );
}

/**
 * Clamps every gradient of `parameters` into `[-clipValue, clipValue]` in place
 * (PyTorch's `clip_grad_value_`).
 *
 * @example
 * ```ts
 * loss.backward();
 * clipGradValue(model.parameters(), 0.5);
 * optimizer.step();
 * ```
 */
export function clipGradValue(parameters: Iterable<Tensor> | Tensor, clipValue: number): void {
  if (typeof clipValue !== 'number' || Number.isNaN(clipValue)) throw new ArgumentError(`clipGradValue: clipValue must be a number, got ${String(clipValue)}`);
  const grads = gradsOf(parameters, 'clipGradValue');
  noGrad(() => {
    for (const g of grads) scope(() => g.copy_(g.clamp({ min: -clipValue, max: clipValue })), 'clipGradValue');
  });
}
