/** Reducing a broadcast gradient back to an input's shape. */
import * as tf from '@tensorflow/tfjs-core';
import { sameShape } from '../shape';
import { sumOver } from './kernels';

/**
 * Sums `grad` over the dims that broadcasting expanded so that it has `shape` again:
 * leading dims the input did not have, and dims where the input had size 1.
 */
export function unbroadcast(grad: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (sameShape(grad.shape, shape)) return grad;
  const lead = grad.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < grad.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && grad.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length > 0 ? sumOver(grad, axes) : grad;
  return tf.reshape(summed, shape as number[]);
}

/**
 * `tf.broadcastTo` that also reaches shapes with a 0 dim (PyTorch expands `[1,3]` to
 * `[0,3]`; tfjs's kernel returns the input unchanged there).
 */
export function expandTo(x: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (shape.some((d) => d === 0)) return tf.zeros(shape as number[], x.dtype);
  return tf.broadcastTo(x, shape as number[]);
}
