/**
 * `a + alpha * b` and `a - alpha * b` in one pass, for the in-place updates of
 * optimizers (`p.add_(g, { alpha: -lr })`) on small tensors: tfjs runs them as two
 * kernels (`Multiply` by a scalar it uploads, then `Add`/`Sub`), whose fixed cost
 * (about 10 us a call) dwarfs the arithmetic below a few tens of thousands of values.
 * Larger tensors keep tfjs's SIMD kernels, faster per element than a JavaScript loop.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hasHostKernel, registerHostKernel, runHostKernel } from './host-kernel';

/** `out = a + sign * fround(b * alpha)` for float32 `a`, `b` of one shape; attrs `alpha`, `sign` (1 or -1). */
export const SCALED_UPDATE = 'LoomScaledUpdate';

/**
 * Below this many values the host kernel is faster than tfjs's two SIMD kernels on
 * wasm (measured: 1.35 ns a value in JavaScript against about 20 us of kernel calls
 * plus 1 ns a value).
 */
export const SCALED_UPDATE_MAX_SIZE = 32768;

registerHostKernel({
  kernelName: SCALED_UPDATE,
  inputNames: ['a', 'b'],
  outputs: ([a]) => [{ shape: [...a!.shape], dtype: 'float32' }],
  // alpha is rounded to float32 first, as tfjs makes it a float32 scalar; each product
  // is rounded before the sum, as the two kernels round it.
  run: ([a, b], [out], _infos, attrs) => {
    const alpha = Math.fround(attrs['alpha'] as number);
    const n = out!.length;
    if ((attrs['sign'] as number) < 0) {
      for (let i = 0; i < n; i++) out![i] = (a![i] as number) - Math.fround((b![i] as number) * alpha);
    } else {
      for (let i = 0; i < n; i++) out![i] = (a![i] as number) + Math.fround((b![i] as number) * alpha);
    }
  },
});

/**
 * `a + alpha * b` (`sign` 1) or `a - alpha * b` (`sign` -1): the numbers of
 * `tf.add(a, tf.mul(b, alpha))` (or `tf.sub`), one kernel for small same-shape float32
 * operands.
 *
 * @example
 * ```ts
 * scaledUpdate(p, g, 0.01, -1); // p - 0.01 * g
 * ```
 */
export function scaledUpdate(a: tf.Tensor, b: tf.Tensor, alpha: number, sign: 1 | -1): tf.Tensor {
  const sameShape = a.rank === b.rank && a.shape.every((d, i) => d === b.shape[i]);
  if (a.dtype === 'float32' && b.dtype === 'float32' && sameShape && a.size <= SCALED_UPDATE_MAX_SIZE && hasHostKernel(SCALED_UPDATE)) {
    return runHostKernel(SCALED_UPDATE, { a, b }, { alpha, sign }) as tf.Tensor;
  }
  return tf.tidy(() => (sign > 0 ? tf.add(a, tf.mul(b, alpha)) : tf.sub(a, tf.mul(b, alpha))));
}
