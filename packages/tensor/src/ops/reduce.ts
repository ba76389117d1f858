/** Reductions: `sum mean max min argmax argmin logsumexp var std`. */
import * as tf from '@tensorflow/tfjs-core';
import { record } from '../autograd/record';
import { ArgumentError, ShapeError, formatShape } from '../errors';
import { normalizeDim, normalizeDims, sizeOf } from '../shape';
import { Tensor } from '../tensor';
import { expandTo } from './broadcast-grad';
import { sumOver } from './kernels';
import { expectTensor } from './operand';
import { unary } from './unary';

/** Options shared by reductions over dims. */
export interface ReduceOptions {
  /** Keep reduced dims with size 1 (PyTorch's `keepdim`, default false). */
  keepdim?: boolean;
}

/** The shape a reduced gradient must be expanded from: reduced dims as 1. */
function keptShape(shape: readonly number[], axes: number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** The shape of a reduction's result. */
function outputShape(shape: readonly number[], axes: number[], keepdim: boolean): number[] {
  return keepdim ? keptShape(shape, axes) : shape.filter((_, i) => !axes.includes(i));
}

/** Whether the reduced dims hold no element (tfjs kernels are not safe there). */
function isEmptyReduction(shape: readonly number[], axes: number[]): boolean {
  return axes.some((a) => shape[a] === 0);
}

/**
 * Sum over `dim` (all dims when omitted). Sums of bool and int32 are int32, as
 * PyTorch's are int64.
 *
 * @example
 * ```ts
 * sum(x); sum(x, 1); sum(x, [0, 1], { keepdim: true });
 * ```
 */
export function sum(input: Tensor, dim?: number | number[], options: ReduceOptions = {}): Tensor {
  const x = expectTensor(input, 'sum');
  const axes = normalizeDims(dim, x.ndim, 'sum');
  const keep = options.keepdim ?? false;
  const xv = x.value('sum');
  const inShape = [...x.shape];
  const value = tf.tidy(() => sumOver(x.dtype === 'bool' ? tf.cast(xv, 'int32') : xv, axes, keep));
  return record('sum', value, [x], () => (g) => [expandTo(tf.reshape(g, keptShape(inShape, axes)), inShape)]);
}

/**
 * Mean over `dim` (all dims when omitted); only for float tensors, as in PyTorch.
 *
 * @example
 * ```ts
 * mean(x); mean(x, 0);
 * ```
 */
export function mean(input: Tensor, dim?: number | number[], options: ReduceOptions = {}): Tensor {
  const x = expectTensor(input, 'mean');
  if (x.dtype !== 'float32') {
    throw new ArgumentError(`mean: could not infer output dtype: input dtype should be float32, got ${x.dtype}`, 'call .float() first');
  }
  const axes = normalizeDims(dim, x.ndim, 'mean');
  const keep = options.keepdim ?? false;
  const count = axes.reduce((n, a) => n * (x.shape[a] as number), 1);
  const xv = x.value('mean');
  const inShape = [...x.shape];
  // The mean of nothing is 0/0 = NaN in PyTorch; tfjs's kernels read garbage there.
  const value = isEmptyReduction(inShape, axes) ? tf.fill(outputShape(inShape, axes, keep), NaN) : tf.mean(xv, axes, keep);
  return record('mean', value, [x], () => (g) => [expandTo(tf.div(tf.reshape(g, keptShape(inShape, axes)), count), inShape)]);
}

/** `{ values, indices }` of `max(dim)`/`min(dim)`, as PyTorch's named tuple. */
export interface ValuesIndices {
  values: Tensor;
  indices: Tensor;
}

function assertNonEmpty(x: Tensor, op: string, dim?: number): void {
  const n = dim === undefined ? sizeOf(x.shape) : (x.shape[dim] ?? 1);
  if (n === 0) {
    throw new ShapeError(`${op}: expected a non-empty tensor${dim === undefined ? '' : ` along dim ${dim}`}, got shape ${formatShape(x.shape)}`);
  }
}

/**
 * Index of the max/min along `axis` as PyTorch picks it: the first NaN if the slice
 * has one (NaN wins every comparison there), else the first extreme value. tfjs's
 * argMax/argMin skip NaN.
 */
function nanAwareArg(op: 'max' | 'min', xv: tf.Tensor, axis: number): tf.Tensor {
  const argReduce = op === 'max' ? tf.argMax : tf.argMin;
  if (xv.dtype !== 'float32') return argReduce(xv, axis);
  return tf.tidy(() => {
    const nan = tf.isNaN(xv);
    const firstNaN = tf.argMax(tf.cast(nan, 'float32'), axis);
    return tf.where(tf.any(nan, axis), firstNaN, argReduce(xv, axis));
  });
}

function extremum(op: 'max' | 'min', x: Tensor, dim: number | undefined, keepdim: boolean): Tensor | ValuesIndices {
  const reduce = op === 'max' ? tf.max : tf.min;
  const xv = x.value(op);
  if (dim === undefined) {
    assertNonEmpty(x, op);
    // Full reduction: ties share the gradient evenly, as PyTorch's evenly_distribute_backward;
    // when the result is NaN, the NaN elements share it.
    const value = reduce(xv);
    return record(op, value, [x], () => (g, out) => {
      const hit = tf.logicalOr(tf.equal(xv, out), tf.logicalAnd(tf.isNaN(xv), tf.isNaN(out)));
      const mask = tf.cast(hit, 'float32');
      return [tf.mul(tf.div(mask, tf.sum(mask)), g)];
    }, { saved: [x], saveOutput: true });
  }
  const d = normalizeDim(dim, x.ndim, op);
  assertNonEmpty(x, op, d);
  if (x.ndim === 0) return { values: record(op, tf.clone(xv), [x], () => (g) => [g]), indices: Tensor.fromTf(tf.scalar(0, 'int32')) };
  const indicesValue = nanAwareArg(op, xv, d);
  const valuesValue = reduce(xv, d, keepdim);
  const inShape = [...x.shape];
  const size = inShape[d] as number;
  const reducedShape = inShape.filter((_, i) => i !== d);
  let indices: Tensor;
  if (keepdim) {
    indices = Tensor.fromTf(tf.expandDims(indicesValue, d));
    indicesValue.dispose();
  } else {
    indices = Tensor.fromTf(indicesValue);
  }
  const idx = indices.value(op);
  const values = record(op, valuesValue, [x], () => (g) => {
    // Route each gradient to the index that won, through a one-hot mask along `d`.
    const hot = tf.oneHot(tf.reshape(idx, reducedShape), size); // reduced shape + [size]
    const last = inShape.length - 1;
    const perm = inShape.map((_, i) => (i < d ? i : i === d ? last : i - 1));
    const mask = tf.transpose(hot, perm);
    return [tf.mul(tf.cast(mask, 'float32'), tf.reshape(g, keptShape(inShape, [d])))];
  }, { saved: [indices] });
  return { values, indices };
}

/**
 * Maximum: of all elements (`max(x)`), along a dim with indices (`max(x, 1)` gives
 * `{ values, indices }`), or element-wise with another tensor (use `maximum`).
 *
 * @example
 * ```ts
 * max(x).item(); const { values, indices } = max(x, 1);
 * ```
 */
export function max(input: Tensor): Tensor;
export function max(input: Tensor, dim: number, options?: ReduceOptions): ValuesIndices;
export function max(input: Tensor, dim?: number, options: ReduceOptions = {}): Tensor | ValuesIndices {
  return extremum('max', expectTensor(input, 'max'), dim, options.keepdim ?? false);
}

/** Minimum, as {@link max}. @example `min(x, 0).values` */
export function min(input: Tensor): Tensor;
export function min(input: Tensor, dim: number, options?: ReduceOptions): ValuesIndices;
export function min(input: Tensor, dim?: number, options: ReduceOptions = {}): Tensor | ValuesIndices {
  return extremum('min', expectTensor(input, 'min'), dim, options.keepdim ?? false);
}

function argExtremum(op: 'argmax' | 'argmin', input: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  const x = expectTensor(input, op);
  const kind = op === 'argmax' ? 'max' : 'min';
  if (dim === undefined) {
    assertNonEmpty(x, op);
    return Tensor.fromTf(tf.tidy(() => nanAwareArg(kind, tf.reshape(x.value(op), [-1]), 0)));
  }
  const d = normalizeDim(dim, x.ndim, op);
  assertNonEmpty(x, op, d);
  if (x.ndim === 0) return Tensor.fromTf(tf.scalar(0, 'int32'));
  return Tensor.fromTf(tf.tidy(() => {
    const index = nanAwareArg(kind, x.value(op), d);
    return keepdim ? tf.expandDims(index, d) : index;
  }));
}

/**
 * Index of the maximum (int32, where PyTorch returns int64), over all elements when
 * `dim` is omitted. Ties return the first index, as PyTorch.
 *
 * @example
 * ```ts
 * pred.argmax(1).eq(y).float().sum().item(); // correct predictions
 * ```
 */
export function argmax(input: Tensor, dim?: number, options: ReduceOptions = {}): Tensor {
  return argExtremum('argmax', input, dim, options.keepdim ?? false);
}

/** Index of the minimum, as {@link argmax}. @example `argmin(x, 0)` */
export function argmin(input: Tensor, dim?: number, options: ReduceOptions = {}): Tensor {
  return argExtremum('argmin', input, dim, options.keepdim ?? false);
}

/**
 * `log(sum(exp(x), dim))`, computed stably.
 *
 * @example
 * ```ts
 * logsumexp(logits, 1);
 * ```
 */
export function logsumexp(input: Tensor, dim: number | number[], options: ReduceOptions = {}): Tensor {
  const x = expectTensor(input, 'logsumexp');
  const axes = normalizeDims(dim, x.ndim, 'logsumexp');
  const keep = options.keepdim ?? false;
  const xv = x.value('logsumexp');
  const inShape = [...x.shape];
  const empty = isEmptyReduction(inShape, axes);
  if (empty || axes.length === 0) {
    // Over nothing the sum of exp is 0 (log gives -inf, as PyTorch); over no dims (a
    // 0-d input) it is the input itself. tfjs's max of an empty axis reads garbage.
    const value = empty ? tf.fill(outputShape(inShape, axes, keep), -Infinity) : tf.clone(xv);
    return record('logsumexp', value, [x], () => (g) => [empty ? tf.zeros(inShape) : g]);
  }
  const value = tf.tidy(() => {
    const m = tf.max(xv, axes, true);
    // An all -inf row would give -inf - -inf = NaN; PyTorch returns -inf there.
    const safeM = tf.where(tf.isInf(m), tf.zerosLike(m), m);
    const out = tf.add(tf.log(tf.sum(tf.exp(tf.sub(xv, safeM)), axes, true)), safeM);
    return keep ? out : tf.squeeze(out, axes);
  });
  return record('logsumexp', value, [x], () => (g, out) => {
    const o = tf.reshape(out, keptShape(inShape, axes));
    return [tf.mul(tf.reshape(g, keptShape(inShape, axes)), tf.exp(tf.sub(xv, o)))];
  }, { saved: [x], saveOutput: true });
}

/**
 * Variance over `dim` with Bessel's correction (`correction`, default 1 as PyTorch).
 *
 * @example
 * ```ts
 * variance(x, 0); variance(x, undefined, { correction: 0 });
 * ```
 */
export function variance(input: Tensor, dim?: number | number[], options: ReduceOptions & { correction?: number } = {}): Tensor {
  const x = expectTensor(input, 'var');
  const axes = normalizeDims(dim, x.ndim, 'var');
  const n = axes.reduce((k, a) => k * (x.shape[a] as number), 1);
  const correction = options.correction ?? 1;
  const centered = x.sub(mean(x, axes, { keepdim: true }));
  return sum(centered.mul(centered), axes, { keepdim: options.keepdim ?? false }).div(Math.max(n - correction, 0));
}

/**
 * Standard deviation, the square root of {@link variance}. Where it is 0 (constant
 * values) the gradient is 0, as PyTorch's `std_backward` masks it, not `g / 0`.
 *
 * @example
 * ```ts
 * std(x, 1);
 * ```
 */
export function std(input: Tensor, dim?: number | number[], options: ReduceOptions & { correction?: number } = {}): Tensor {
  return unary(
    'std',
    variance(input, dim, options),
    (v) => tf.sqrt(v),
    (g, _v, out) => tf.where(tf.equal(out, 0), tf.zerosLike(g), tf.div(g, tf.mul(out, 2))),
    'output',
  );
}
