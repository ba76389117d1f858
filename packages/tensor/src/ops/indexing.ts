/**
 * Indexing: `oneHot indexSelect gather select`. Backward rules scatter with
 * `ScatterNd` (which sums duplicate indices), a kernel every backend has; tfjs-wasm
 * registers no `UnsortedSegmentSum`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { record } from '../autograd/record';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors';
import { normalizeDim, sizeOf } from '../shape';
import { Tensor } from '../tensor';
import { expectTensor } from './operand';

function expectIndex(index: Tensor, op: string, arg = 'index'): Tensor {
  expectTensor(index, op, arg);
  if (index.dtype !== 'int32') {
    throw new DTypeError(`${op}: expected ${arg} to be an int32 tensor (Loom's int64), got ${index.dtype}`, 'convert it with .int()');
  }
  return index;
}

function checkRange(values: Int32Array, size: number, op: string, arg: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v < 0 || v >= size) {
      throw new ArgumentError(`${op}: ${arg} ${v} (at position ${i}) is out of bounds for size ${size}`);
    }
  }
}

/**
 * One-hot encoding of class indices: int32 `[..., numClasses]` (PyTorch: int64). With
 * `numClasses = -1` the count is `max + 1`, as in PyTorch.
 *
 * @example
 * ```ts
 * oneHot(tensor([0, 2], { dtype: 'int32' }), 3).toArray(); // [[1,0,0],[0,0,1]]
 * ```
 */
export function oneHot(input: Tensor, numClasses = -1): Tensor {
  const x = expectIndex(input, 'oneHot', 'input');
  const values = x.data() as Int32Array;
  let n = numClasses;
  if (n === -1) n = values.length === 0 ? 0 : Math.max(...values) + 1;
  if (!Number.isInteger(n) || n < 0) throw new ArgumentError(`oneHot: numClasses must be -1 or a non-negative integer, got ${numClasses}`);
  checkRange(values, n, 'oneHot', 'class value');
  return Tensor.fromTf(tf.tidy(() => tf.cast(tf.oneHot(x.value('oneHot'), n), 'int32')));
}

/**
 * The entries of `input` along `dim` at the positions in the 1-D `index`.
 *
 * @example
 * ```ts
 * indexSelect(x, 0, tensor([2, 0], { dtype: 'int32' }));
 * ```
 */
export function indexSelect(input: Tensor, dim: number, index: Tensor): Tensor {
  const x = expectTensor(input, 'indexSelect');
  const idx = expectIndex(index, 'indexSelect');
  if (idx.ndim > 1) throw new ShapeError(`indexSelect: index should have 1 dimension, got ${formatShape(idx.shape)}`);
  const d = normalizeDim(dim, x.ndim, 'indexSelect');
  const size = x.ndim === 0 ? 1 : (x.shape[d] as number);
  checkRange(idx.data() as Int32Array, size, 'indexSelect', 'index');
  const iv = tf.reshape(idx.value('indexSelect'), [-1]);
  const xv = x.value('indexSelect');
  const value = tf.gather(xv, iv, d);
  const inShape = [...x.shape];
  return record('indexSelect', value, [x], () => (g) => {
    // Move `dim` to the front, scatter-add rows, move it back.
    const perm = [d, ...inShape.keys()].filter((v, i, all) => all.indexOf(v) === i);
    const inverse = perm.map((_, i) => perm.indexOf(i));
    const gFront = tf.transpose(g, perm);
    const frontShape = perm.map((p) => inShape[p] as number);
    const summed = tf.scatterND(tf.reshape(iv, [-1, 1]), gFront, frontShape);
    return [tf.transpose(summed, inverse)];
  }, { owned: [iv] });
}

/**
 * Gathers values along `dim`: `out[i][j] = input[i][index[i][j]]` for `dim = 1`
 * (PyTorch's `torch.gather`). `index` has the rank of `input`.
 *
 * @example
 * ```ts
 * gather(logProbs, 1, target.unsqueeze(1)); // log-probability of each target
 * ```
 */
export function gather(input: Tensor, dim: number, index: Tensor): Tensor {
  const x = expectTensor(input, 'gather');
  const idx = expectIndex(index, 'gather');
  const d = normalizeDim(dim, x.ndim, 'gather');
  if (idx.ndim !== x.ndim) {
    throw new ShapeError(`gather: index ${formatShape(idx.shape)} must have as many dims as input ${formatShape(x.shape)}`);
  }
  idx.shape.forEach((n, i) => {
    if (i !== d && n > (x.shape[i] as number)) {
      throw new ShapeError(`gather: size of index ${formatShape(idx.shape)} exceeds input ${formatShape(x.shape)} in dim ${i}`);
    }
  });
  const values = idx.data() as Int32Array;
  checkRange(values, x.shape[d] as number, 'gather', 'index');
  // Flat positions into the input, computed on the host (index tensors are small).
  const inStrides = x.shape.map((_, i) => sizeOf(x.shape.slice(i + 1)));
  const flat = new Int32Array(values.length);
  const coord = new Array<number>(idx.ndim).fill(0);
  for (let p = 0; p < values.length; p++) {
    let offset = 0;
    for (let i = 0; i < coord.length; i++) offset += (i === d ? (values[p] as number) : (coord[i] as number)) * (inStrides[i] as number);
    flat[p] = offset;
    for (let i = coord.length - 1; i >= 0; i--) {
      coord[i] = (coord[i] as number) + 1;
      if ((coord[i] as number) < (idx.shape[i] as number)) break;
      coord[i] = 0;
    }
  }
  const positions = tf.tensor1d(flat, 'int32');
  const xv = x.value('gather');
  const value = tf.tidy(() => tf.reshape(tf.gather(tf.reshape(xv, [-1]), positions), idx.shape as number[]));
  const inShape = [...x.shape];
  const total = x.numel();
  return record('gather', value, [x], () => (g) => [
    tf.reshape(tf.scatterND(tf.reshape(positions, [-1, 1]), tf.reshape(g, [-1]), [total]), inShape),
  ], { owned: [positions] });
}

/**
 * The slice at `index` of dim `dim`, with that dim removed (`x[:, 3]` is
 * `select(x, 1, 3)`).
 *
 * @example
 * ```ts
 * select(x, 0, -1); // the last row
 * ```
 */
export function select(input: Tensor, dim: number, index: number): Tensor {
  const x = expectTensor(input, 'select');
  const d = normalizeDim(dim, x.ndim, 'select');
  const size = x.shape[d] as number;
  const i = index < 0 ? index + size : index;
  if (!Number.isInteger(i) || i < 0 || i >= size) {
    throw new ArgumentError(`select: index ${index} out of range for dim ${dim} of size ${size}`);
  }
  return x.narrow(d, i, 1).squeeze(d);
}
