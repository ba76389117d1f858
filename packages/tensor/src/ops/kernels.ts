/**
 * tfjs kernels guarded for empty operands. Over a dim of size 0, tfjs-wasm's `Sum`
 * and XNNPACK's matmul never write their output and return whatever the heap held
 * (PyTorch gives 0: a sum over nothing); XNNPACK also logs a failed-operator warning.
 * The ops call these wherever a reduced or inner dim can be empty.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sizeOf } from '../shape';

/** `tf.sum` that gives zeros when the summed dims hold no element. */
export function sumOver(x: tf.Tensor, axes: number | number[], keepDims = false): tf.Tensor {
  const list = (typeof axes === 'number' ? [axes] : axes).map((a) => (a < 0 ? a + x.rank : a));
  if (!list.some((a) => x.shape[a] === 0)) return tf.sum(x, list, keepDims);
  const shape = keepDims ? x.shape.map((d, i) => (list.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !list.includes(i));
  return tf.zeros(shape, x.dtype === 'bool' ? 'int32' : x.dtype);
}

/**
 * `tf.matMul` that gives zeros (or an empty result) when an operand is empty; batch
 * dims broadcast as tfjs does (one side's batch is 1, or both are equal).
 */
export function matMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  if (sizeOf(a.shape) > 0 && sizeOf(b.shape) > 0) return tf.matMul(a, b, transposeA, transposeB);
  const m = a.shape[a.rank - (transposeA ? 1 : 2)] as number;
  const n = b.shape[b.rank - (transposeB ? 2 : 1)] as number;
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const rank = Math.max(batchA.length, batchB.length);
  const batch = Array.from({ length: rank }, (_, i) => {
    const da = batchA[batchA.length - rank + i] ?? 1;
    const db = batchB[batchB.length - rank + i] ?? 1;
    return da === 1 ? db : da;
  });
  return tf.zeros([...batch, m, n]);
}
