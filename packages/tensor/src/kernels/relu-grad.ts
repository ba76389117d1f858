/**
 * relu's backward in one pass: `where(out <= 0, 0, dy)` (PyTorch's
 * `threshold_backward`), which tfjs computes with three kernels (`LessEqual`,
 * `ZerosLike`, `Select`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { bitsOf, hasHostKernel, registerHostKernel, runHostKernel } from './host-kernel';

/** `dx = where(y <= 0, 0, dy)` for float32 `dy` and `y` of one shape. */
export const RELU_GRAD = 'LoomReluGrad';

/** The bits of +Infinity (0x7f800000): magnitudes above it are NaNs. */
const INFINITY_BITS = 0x7f800000;
/** All bits but the sign. */
const MAGNITUDE_MASK = 0x7fffffff;

registerHostKernel({
  kernelName: RELU_GRAD,
  inputNames: ['dy', 'y'],
  outputs: ([dy]) => [{ shape: [...dy!.shape], dtype: 'float32' }],
  // On the bits, without a branch (the mask is data-dependent, so a branch would be
  // mispredicted half the time). dy passes where y > 0 or y is NaN (which compares
  // false), that is where the magnitude is not 0 and the sign is + or the magnitude
  // is a NaN's. Each `>> 31` turns a sign into an all-ones or all-zeros mask; none of
  // the subtractions can overflow int32.
  run: ([dy, y], [dx]) => {
    const g = bitsOf(dy!);
    const v = bitsOf(y!);
    const out = bitsOf(dx!);
    const n = out.length;
    for (let i = 0; i < n; i++) {
      const bits = v[i] as number;
      const magnitude = bits & MAGNITUDE_MASK;
      const nonZero = (magnitude | -magnitude) >> 31;
      const positive = ~(bits >> 31);
      const nan = (INFINITY_BITS - magnitude) >> 31;
      out[i] = (g[i] as number) & nonZero & (positive | nan);
    }
  },
});

/**
 * The gradient of relu from the output gradient and relu's output.
 *
 * @example
 * ```ts
 * reluGrad(dy, tf.relu(x)); // dy where the output is positive, else 0
 * ```
 */
export function reluGrad(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (dy.dtype === 'float32' && y.dtype === 'float32' && hasHostKernel(RELU_GRAD)) return runHostKernel(RELU_GRAD, { dy, y }) as tf.Tensor;
  return tf.tidy(() => tf.where(tf.lessEqual(y, 0), tf.zerosLike(dy), dy));
}
