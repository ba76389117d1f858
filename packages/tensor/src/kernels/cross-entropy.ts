/**
 * The host kernels of `softmaxCrossEntropy` (ops/cross-entropy.ts): the negative
 * log-likelihood of the targets from log-probabilities, reduced, and the gradient
 * `G - exp(logp) * sum(G)` (log_softmax_backward of nll_loss_backward's `G`), each in
 * one pass over `[N, C]`, reading the targets where they are (no host read).
 *
 * The arithmetic is the composite's, step by step, so that the numbers are the same:
 * `-(logp[i, t_i] * 1)` per row, summed as the backend sums, divided by `fround(N)`
 * for 'mean'; backward, `s_i = -(dy_i / N)` ('mean') or `-dy_i`, `G` holding `s_i` at
 * the target and +0 elsewhere, its row summed as the backend sums.
 */
import { ArgumentError } from '../errors';
import { registerHostKernel, type HostContext } from './host-kernel';

/** Loss of `logp` `[N, C]` float32 and `target` `[N]` int32; attr `reduction`. */
export const NLL_FORWARD = 'LoomNllForward';
/** Gradient from `e = exp(logp)` `[N, C]`, `target` `[N]` and `dy` (`[]`, or `[N]` for 'none'); attr `reduction`. */
export const SOFTMAX_CROSS_ENTROPY_GRAD = 'LoomSoftmaxCrossEntropyGrad';

/** The reductions of a loss (PyTorch's `reduction`). */
export type LossReduction = 'mean' | 'sum' | 'none';

/** The op name in the errors the kernels throw. */
const OP = 'softmaxCrossEntropy';

/** Throws when a target is not a class index (checked where the values already are). */
export function checkTargets(targets: ArrayLike<number>, classes: number): void {
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i] as number;
    if (t < 0 || t >= classes) {
      throw new ArgumentError(`${OP}: target ${t} (at position ${i}) is out of bounds for ${classes} classes`, `class indices must be in [0, ${classes - 1}]`);
    }
  }
}

/** Adds `v` to `acc` as the backend's Sum would. */
function addTo(acc: number, v: number, ctx: HostContext): number {
  return ctx.accumulate === 'float32' ? Math.fround(acc + v) : acc + v;
}

registerHostKernel({
  kernelName: NLL_FORWARD,
  inputNames: ['logp', 'target'],
  outputs: ([logp], attrs) => [{ shape: attrs['reduction'] === 'none' ? [logp!.shape[0] as number] : [], dtype: 'float32' }],
  run: ([logp, target], [out], [info], attrs, ctx) => {
    const n = info!.shape[0] as number;
    const classes = info!.shape[1] as number;
    checkTargets(target!, classes);
    if (attrs['reduction'] === 'none') {
      for (let i = 0; i < n; i++) out![i] = -(logp![i * classes + (target![i] as number)] as number);
      return;
    }
    let total = 0;
    for (let i = 0; i < n; i++) total = addTo(total, -(logp![i * classes + (target![i] as number)] as number), ctx);
    out![0] = attrs['reduction'] === 'mean' ? Math.fround(total) / Math.fround(n) : total;
  },
});

registerHostKernel({
  kernelName: SOFTMAX_CROSS_ENTROPY_GRAD,
  inputNames: ['e', 'target', 'dy'],
  outputs: ([e]) => [{ shape: [...e!.shape], dtype: 'float32' }],
  run: ([e, target, dy], [dx], [info], attrs, ctx) => {
    const n = info!.shape[0] as number;
    const classes = info!.shape[1] as number;
    const reduction = attrs['reduction'] as LossReduction;
    const scale = reduction === 'mean' ? -Math.fround((dy![0] as number) / Math.fround(n)) : -(dy![0] as number);
    for (let i = 0; i < n; i++) {
      const s = reduction === 'none' ? -(dy![i] as number) : scale;
      const t = target![i] as number;
      // sum(G_i) as the backend's Sum adds a row holding s_i at t and +0 elsewhere.
      let rowSum = 0;
      for (let j = 0; j < classes; j++) rowSum = addTo(rowSum, j === t ? s : 0, ctx);
      const row = i * classes;
      for (let j = 0; j < classes; j++) dx![row + j] = (j === t ? s : 0) - Math.fround((e![row + j] as number) * rowSum);
    }
  },
});
