/** Loss reductions and the target checks every loss shares. */
import { ArgumentError, DTypeError, ShapeError, Tensor } from '@loom/tensor';

/** How a loss reduces its per-element values: PyTorch's `reduction` argument. */
export type Reduction = 'mean' | 'sum' | 'none';

const REDUCTIONS: readonly string[] = ['mean', 'sum', 'none'];

/** Checks a `reduction` argument, naming the loss. */
export function checkReduction(reduction: unknown, loss: string): Reduction {
  if (!REDUCTIONS.includes(reduction as string)) {
    throw new ArgumentError(`${loss}: ${String(reduction)} is not a valid value for reduction`, "use 'mean', 'sum' or 'none'");
  }
  return reduction as Reduction;
}

/** Applies a reduction to per-element losses. */
export function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'mean') return loss.mean();
  if (reduction === 'sum') return loss.sum();
  return loss;
}

/** Checks that a loss's input (or target) is a float32 tensor. */
export function expectFloat(t: unknown, loss: string, arg: string): Tensor {
  if (!(t instanceof Tensor)) throw new ArgumentError(`${loss}: ${arg} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
  if (t.dtype !== 'float32') {
    throw new DTypeError(`${loss}: expected ${arg} to be float32, got ${t.dtype} [${t.shape.join(',')}]`, `convert it with ${arg}.float()`);
  }
  return t;
}

/** Checks that input and target have the same shape (losses that do not broadcast). */
export function expectSameShape(input: Tensor, target: Tensor, loss: string): void {
  if (input.shape.join() !== target.shape.join() || input.ndim !== target.ndim) {
    throw new ShapeError(
      `${loss}: target shape [${target.shape.join(',')}] must be the same as input shape [${input.shape.join(',')}]`,
      'reshape the target (e.g. target.unsqueeze(1) or target.reshape(input.shape))',
    );
  }
}

const warned = new Set<string>();

/**
 * PyTorch's broadcast warning of the element-wise losses, once per loss and shapes:
 * a target `[N]` against an input `[N, 1]` silently gives an `[N, N]` loss otherwise.
 */
export function warnIfBroadcast(input: Tensor, target: Tensor, loss: string): void {
  if (input.shape.join() === target.shape.join() && input.ndim === target.ndim) return;
  const key = `${loss} [${input.shape}] [${target.shape}]`;
  if (warned.has(key)) return;
  warned.add(key);
  process.emitWarning(
    `${loss}: using a target size ([${target.shape.join(',')}]) that is different to the input size ([${input.shape.join(',')}]). ` +
      'This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.',
    'UserWarning',
  );
}
