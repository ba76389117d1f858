/**
 * Shape ops: `reshape view flatten unflatten transpose t permute squeeze unsqueeze
 * expand narrow cat stack split chunk`. Loom tensors are always contiguous, so `view`
 * and `reshape` are the same op (PyTorch's `view` would refuse non-contiguous input;
 * Loom never has any).
 */
import * as tf from '@tensorflow/tfjs-core';
import { record } from '../autograd/record';
import { ArgumentError, ShapeError, formatShape } from '../errors';
import { inferShape, normalizeDim, sizeOf } from '../shape';
import type { Tensor } from '../tensor';
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
  const inner = inferShape(sizes, x.shape[d] as number, 'unflatten', [x.shape[d] as number]);
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
  return record('expand', tf.broadcastTo(x.value('expand'), target), [x], () => (g) => {
    const axes: number[] = [];
    target.forEach((s, i) => {
      if (i < lead || (inShape[i - lead] === 1 && s !== 1)) axes.push(i);
    });
    return [tf.reshape(axes.length ? tf.sum(g, axes) : g, inShape)];
  });
}

/**
 * The slice `start .. start+length` of dim `dim`.
 *
 * @example
 * ```ts
 * narrow(x, 0, 0, 32); // the first 32 rows
 * ```
 */
export function narrow(input: Tensor, dim: number, start: number, length: number): Tensor {
  const x = expectTensor(input, 'narrow');
  const d = normalizeDim(dim, x.ndim, 'narrow');
  const size = x.shape[d] as number;
  const s = start < 0 ? start + size : start;
  if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > size) {
    throw new ArgumentError(`narrow: start (${start}) + length (${length}) exceeds dimension size (${size}) of dim ${dim}`);
  }
  const begin = x.shape.map((_, i) => (i === d ? s : 0));
  const sizes = x.shape.map((n, i) => (i === d ? length : n));
  const inShape = [...x.shape];
  return record('narrow', tf.slice(x.value('narrow'), begin, sizes), [x], () => (g) => {
    const pad = inShape.map((n, i): [number, number] => (i === d ? [s, n - s - length] : [0, 0]));
    return [tf.pad(g, pad)];
  });
}

function checkSameShapes(op: string, tensors: readonly Tensor[], skip: number | null): void {
  const first = tensors[0] as Tensor;
  tensors.forEach((x, i) => {
    if (x.ndim !== first.ndim || x.shape.some((n, j) => j !== skip && n !== first.shape[j])) {
      throw new ShapeError(
        `${op}: sizes of tensors must match${skip === null ? '' : ` except in dimension ${skip}`}: tensor 0 is ${formatShape(first.shape)}, tensor ${i} is ${formatShape(x.shape)}`,
      );
    }
  });
}

/**
 * Concatenates along an existing dim.
 *
 * @example
 * ```ts
 * cat([a, b], 0);
 * ```
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ArgumentError('cat: expected a non-empty list of Tensors');
  tensors.forEach((x, i) => expectTensor(x, 'cat', `tensors[${i}]`));
  const d = normalizeDim(dim, (tensors[0] as Tensor).ndim, 'cat');
  checkSameShapes('cat', tensors, d);
  const sizes = tensors.map((x) => x.shape[d] as number);
  const values = tensors.map((x) => x.value('cat'));
  const value = tf.concat(values, d);
  return record('cat', value, tensors, () => (g) => tf.split(g, sizes, d));
}

/**
 * Stacks equally-shaped tensors along a new dim.
 *
 * @example
 * ```ts
 * stack([a, b]); // shape [2, ...a.shape]
 * ```
 */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ArgumentError('stack: expected a non-empty list of Tensors');
  tensors.forEach((x, i) => expectTensor(x, 'stack', `tensors[${i}]`));
  checkSameShapes('stack', tensors, null);
  const d = normalizeDim(dim, (tensors[0] as Tensor).ndim + 1, 'stack');
  const value = tf.stack(tensors.map((x) => x.value('stack')), d);
  return record('stack', value, tensors, () => (g) => tf.unstack(g, d));
}

/**
 * Splits into pieces of `splitSize` (or of the listed sizes) along `dim`.
 *
 * @example
 * ```ts
 * const [a, b] = split(x, 2, 0);
 * ```
 */
export function split(input: Tensor, splitSize: number | readonly number[], dim = 0): Tensor[] {
  const x = expectTensor(input, 'split');
  const d = normalizeDim(dim, x.ndim, 'split');
  const size = x.shape[d] as number;
  let sizes: number[];
  if (typeof splitSize === 'number') {
    if (!Number.isInteger(splitSize) || splitSize <= 0) throw new ArgumentError(`split: splitSize must be a positive integer, got ${splitSize}`);
    sizes = [];
    for (let s = 0; s < size; s += splitSize) sizes.push(Math.min(splitSize, size - s));
  } else {
    sizes = [...splitSize];
    if (sizes.reduce((a, b) => a + b, 0) !== size) {
      throw new ShapeError(`split: split sizes ${formatShape(sizes)} do not sum to the size ${size} of dim ${dim}`);
    }
  }
  let offset = 0;
  return sizes.map((n) => {
    const piece = narrow(x, d, offset, n);
    offset += n;
    return piece;
  });
}

/** Splits into `chunks` nearly equal pieces along `dim`. @example `chunk(x, 2, 1)` */
export function chunk(input: Tensor, chunks: number, dim = 0): Tensor[] {
  const x = expectTensor(input, 'chunk');
  const d = normalizeDim(dim, x.ndim, 'chunk');
  if (!Number.isInteger(chunks) || chunks <= 0) throw new ArgumentError(`chunk: chunks must be a positive integer, got ${chunks}`);
  return split(x, Math.ceil((x.shape[d] as number) / chunks), d);
}

