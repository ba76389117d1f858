/**
 * Activations, from `@loom/tensor` (each with its gradient rule there), and the
 * dim PyTorch picks for `Softmax` when none is given.
 */
export { relu, leakyRelu, gelu, sigmoid, tanh, softmax, logSoftmax } from '@loom/tensor';

/**
 * PyTorch's `_get_softmax_dim` for a softmax without `dim` (deprecated there): 0 for
 * 0-, 1- and 3-D inputs, else 1.
 *
 * @example
 * ```ts
 * implicitSoftmaxDim(4); // 1
 * ```
 */
export function implicitSoftmaxDim(ndim: number): number {
  return ndim === 0 || ndim === 1 || ndim === 3 ? 0 : 1;
}
