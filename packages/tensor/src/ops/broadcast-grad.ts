/** Reducing a broadcast gradient back to an input's shape. */
import * as tf from '@tensorflow/tfjs-core';
import { sameShape } from '../shape';

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
  const summed = axes.length > 0 ? tf.sum(grad, axes) : grad;
  return tf.reshape(summed, shape as number[]);
}
