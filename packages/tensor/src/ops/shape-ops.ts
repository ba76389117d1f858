/**
 * Shape ops: `reshape view flatten unflatten transpose t permute squeeze unsqueeze
 * expand`, and (from slice-join.ts) `narrow cat stack split chunk`. Loom tensors are
 * always contiguous, so `view` and `reshape` are the same op (PyTorch's `view` would
 * refuse non-contiguous input; Loom never has any).
 */
import * as tf from '@tensorflow/tfjs-core';
import { record } from '../autograd/record';
import { ArgumentError, ShapeError, formatShape } from '../errors';
import { inferShape, normalizeDim, sizeOf } from '../shape';
import type { Tensor } from '../tensor';
import { expandTo } from './broadcast-grad';
import { sumOver } from './kernels';
import { expectTensor } from './operand';

/**
 * The same values with a new shape; one dim may be -1.
 *
 * @example
 * ```ts
 * reshape(x, [x.shape[0], -1]);
 * ```
 */
export function reshape(input: Tensor, shape: readonly number[]): Tensor {
  const x = expectTensor(input, 'reshape');
  const target = inferShape(shape, x.numel(), 'reshape', x.shape);
  const inShape = [...x.shape];
  return record('reshape', tf.reshape(x.value('reshape'), target), [x], () => (g) => [tf.reshape(g, inShape)]);
}

/** Alias of {@link reshape} (Loom tensors are always contiguous). @example `view(x, [-1, 784])` */
export function view(input: Tensor, shape: readonly number[]): Tensor {
  return reshape(input, shape);
}

/**
 * Flattens dims `startDim..endDim` into one (PyTorch's defaults 0 and -1).
 *
 * @example
 * ```ts
 * flatten(images, 1); // [64,1,28,28] -> [64,784]
 * ```
 */
export function flatten(input: Tensor, startDim = 0, endDim = -1): Tensor {
  const x = expectTensor(input, 'flatten');
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim(startDim, x.ndim, 'flatten', 'startDim');
  const e = normalizeDim(endDim, x.ndim, 'flatten', 'endDim');
  if (s > e) throw new ArgumentError(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const shape = [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

/**
 * Splits dim `dim` into `sizes` (PyTorch's `unflatten`).
 *
 * @example
 * ```ts
 * unflatten(x, 1, [1, 28, 28]);
 * ```
 */
export function unflatten(input: Tensor, dim: number, sizes: readonly number[]): Tensor {
  const x = expectTensor(input, 'unflatten');
  const d = normalizeDim(dim, x.ndim, 'unflatten');
  const size = x.shape[d] as number;
  let inner: number[];
  try {
    inner = inferShape(sizes, size, 'unflatten', [size]);
  } catch (err) {
    if (!(err instanceof ShapeError)) throw err;
    throw new ShapeError(
      `unflatten: sizes ${formatShape(sizes)} do not multiply to the size ${size} of dim ${dim} of input ${formatShape(x.shape)}`,
      'the product of sizes must equal that dim (one entry may be -1 to infer it)',
    );
  }
  return reshape(x, [...x.shape.slice(0, d), ...inner, ...x.shape.slice(d + 1)]);
}

/**
 * Reorders dims (`permute(x, [0, 2, 3, 1])` is NCHW to NHWC).
 *
 * @example
 * ```ts
 * permute(x, [1, 0]);
 * ```
 */
export function permute(input: Tensor, dims: readonly number[]): Tensor {
  const x = expectTensor(input, 'permute');
  if (dims.length !== x.ndim) {
    throw new ShapeError(`permute: number of dims don't match: input has ${x.ndim} dims, dims is ${formatShape(dims)}`);
  }
  const perm = dims.map((d) => normalizeDim(d, x.ndim, 'permute'));
  if (new Set(perm).size !== perm.length) throw new ArgumentError(`permute: repeated dim in ${formatShape(dims)}`);
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  const identity = perm.every((p, i) => p === i);
  const xv = x.value('permute');
  const value = identity ? tf.clone(xv) : tf.transpose(xv, perm);
  return record('permute', value, [x], () => (g) => [identity ? g : tf.transpose(g, inverse)]);
}

/**
 * Swaps two dims.
 *
 * @example
 * ```ts
 * transpose(x, 0, 1);
 * ```
 */
export function transpose(input: Tensor, dim0: number, dim1: number): Tensor {
  const x = expectTensor(input, 'transpose');
  if (x.ndim < 2 && x.ndim === 0) return permute(x, []);
  const a = normalizeDim(dim0, x.ndim, 'transpose', 'dim0');
  const b = normalizeDim(dim1, x.ndim, 'transpose', 'dim1');
  const perm = [...Array(x.ndim).keys()];
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** Transpose of a matrix (a 0-D or 1-D tensor is returned as is). @example `t(w)` */
export function t(input: Tensor): Tensor {
  const x = expectTensor(input, 't');
  if (x.ndim > 2) throw new ShapeError(`t: expects a tensor with <= 2 dimensions, but input has ${x.ndim}`, 'use transpose(x, dim0, dim1)');
  return x.ndim < 2 ? permute(x, [...Array(x.ndim).keys()]) : transpose(x, 0, 1);
}

/**
 * Removes dims of size 1 (all of them, or `dim` if it has size 1).
 *
 * @example
 * ```ts
 * squeeze(x, 1);
 * ```
 */
export function squeeze(input: Tensor, dim?: number): Tensor {
  const x = expectTensor(input, 'squeeze');
  if (dim === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  if (x.ndim === 0) return reshape(x, []);
  const d = normalizeDim(dim, x.ndim, 'squeeze');
  if (x.shape[d] !== 1) return reshape(x, x.shape);
  return reshape(x, x.shape.filter((_, i) => i !== d));
}

/**
 * Inserts a dim of size 1 at `dim` (which may be `ndim`, or negative).
 *
 * @example
 * ```ts
 * unsqueeze(x, 0); // [3] -> [1,3]
 * ```
 */
export function unsqueeze(input: Tensor, dim: number): Tensor {
  const x = expectTensor(input, 'unsqueeze');
  const d = normalizeDim(dim, x.ndim + 1, 'unsqueeze');
  return reshape(x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
}

/**
 * Broadcasts to `sizes` (-1 keeps a dim); new dims go in front.
 *
 * @example
 * ```ts
 * expand(bias, [64, -1]);
 * ```
 */
export function expand(input: Tensor, sizes: readonly number[]): Tensor {
  const x = expectTensor(input, 'expand');
  if (sizes.length < x.ndim) {
    throw new ShapeError(`expand: the number of sizes provided (${sizes.length}) must be greater or equal to the number of dimensions in the tensor (${x.ndim})`);
  }
  const lead = sizes.length - x.ndim;
  const target = sizes.map((s, i) => {
    const own = i >= lead ? (x.shape[i - lead] as number) : undefined;
    if (s === -1) {
      if (own === undefined) throw new ShapeError(`expand: -1 is not allowed in a leading, non-existing dimension (${i})`);
      return own;
    }
    if (own !== undefined && own !== 1 && own !== s) {
      throw new ShapeError(
        `expand: the expanded size of the tensor (${s}) must match the existing size (${own}) at non-singleton dimension ${i}: target ${formatShape(sizes)}, tensor ${formatShape(x.shape)}`,
      );
    }
    return s;
  });
  const inShape = [...x.shape];
  return record('expand', expandTo(x.value('expand'), target), [x], () => (g) => {
    const axes: number[] = [];
    target.forEach((s, i) => {
      if (i < lead || (inShape[i - lead] === 1 && s !== 1)) axes.push(i);
    });
    return [tf.reshape(axes.length ? sumOver(g, axes) : g, inShape)];
  });
}

export { narrow, cat, stack, split, chunk } from './slice-join';
