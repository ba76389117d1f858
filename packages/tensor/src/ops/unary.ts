/**
 * Element-wise unary math: `neg exp log sqrt abs sign square rsqrt reciprocal sin cos
 * log1p expm1 clamp`, each with its gradient rule beside it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { record } from '../autograd/record';
import { ArgumentError } from '../errors';
import type { Tensor } from '../tensor';
import { expectTensor } from './operand';

/** Gradient of a unary op from the output gradient, the input and the output values. */
export type UnaryGrad = (g: tf.Tensor, x: tf.Tensor, out: tf.Tensor) => tf.Tensor;

/** Runs a unary op and records its rule; `uses` says which values the rule reads. */
export function unary(
  name: string,
  input: Tensor,
  forward: (x: tf.Tensor) => tf.Tensor,
  grad: UnaryGrad,
  uses: 'input' | 'output' | 'none' = 'input',
): Tensor {
  const x = expectTensor(input, name);
  const xv = x.value(name);
  return record(name, forward(xv), [x], () => (g, out) => [grad(g, xv, out)], {
    saved: uses === 'input' ? [x] : [],
    saveOutput: uses === 'output',
  });
}

/** Floats in, floats out: integer inputs of float functions are promoted as in PyTorch. */
function floatOf(x: tf.Tensor): tf.Tensor {
  return x.dtype === 'float32' ? x : tf.cast(x, 'float32');
}

/** `-input`. @example `neg(x)` */
export function neg(input: Tensor): Tensor {
  return unary('neg', input, (x) => tf.neg(x), (g) => tf.neg(g), 'none');
}

/** `e ** input`. @example `exp(x)` */
export function exp(input: Tensor): Tensor {
  return unary('exp', input, (x) => tf.exp(floatOf(x)), (g, _x, out) => tf.mul(g, out), 'output');
}

/** Natural logarithm. @example `log(x)` */
export function log(input: Tensor): Tensor {
  return unary('log', input, (x) => tf.log(floatOf(x)), (g, x) => tf.div(g, x));
}

/** Square root. @example `sqrt(x)` */
export function sqrt(input: Tensor): Tensor {
  return unary('sqrt', input, (x) => tf.sqrt(floatOf(x)), (g, _x, out) => tf.div(g, tf.mul(out, 2)), 'output');
}

/** `1 / sqrt(input)`. @example `rsqrt(x)` */
export function rsqrt(input: Tensor): Tensor {
  return unary('rsqrt', input, (x) => tf.rsqrt(floatOf(x)), (g, _x, out) => tf.mul(g, tf.mul(tf.pow(out, 3), -0.5)), 'output');
}

/** `1 / input`. @example `reciprocal(x)` */
export function reciprocal(input: Tensor): Tensor {
  return unary('reciprocal', input, (x) => tf.reciprocal(floatOf(x)), (g, _x, out) => tf.neg(tf.mul(g, tf.square(out))), 'output');
}

/** `input * input`. @example `square(x)` */
export function square(input: Tensor): Tensor {
  return unary('square', input, (x) => tf.square(x), (g, x) => tf.mul(g, tf.mul(x, 2)));
}

/** Absolute value; the gradient at 0 is 0, as in PyTorch. @example `abs(x)` */
export function abs(input: Tensor): Tensor {
  return unary('abs', input, (x) => tf.abs(x), (g, x) => tf.mul(g, tf.sign(x)));
}

/** Sign (-1, 0 or 1); its gradient is zero. @example `sign(x)` */
export function sign(input: Tensor): Tensor {
  return unary('sign', input, (x) => tf.sign(x), (g) => tf.zerosLike(g), 'none');
}

/** Sine. @example `sin(x)` */
export function sin(input: Tensor): Tensor {
  return unary('sin', input, (x) => tf.sin(floatOf(x)), (g, x) => tf.mul(g, tf.cos(x)));
}

/** Cosine. @example `cos(x)` */
export function cos(input: Tensor): Tensor {
  return unary('cos', input, (x) => tf.cos(floatOf(x)), (g, x) => tf.neg(tf.mul(g, tf.sin(x))));
}

/** `log(1 + input)`, accurate near 0. @example `log1p(x)` */
export function log1p(input: Tensor): Tensor {
  return unary('log1p', input, (x) => tf.log1p(floatOf(x)), (g, x) => tf.div(g, tf.add(x, 1)));
}

/** `exp(input) - 1`, accurate near 0. @example `expm1(x)` */
export function expm1(input: Tensor): Tensor {
  return unary('expm1', input, (x) => tf.expm1(floatOf(x)), (g, _x, out) => tf.mul(g, tf.add(out, 1)), 'output');
}

/**
 * Clamps into `[min, max]` (either bound may be omitted). The gradient flows where
 * `min <= input <= max`, as in PyTorch.
 *
 * @example
 * ```ts
 * clamp(tensor([-1, 0.5, 2]), { min: 0, max: 1 }).toArray(); // [0, 0.5, 1]
 * ```
 */
export function clamp(input: Tensor, options: { min?: number; max?: number }): Tensor {
  const { min, max } = options;
  if (min === undefined && max === undefined) {
    throw new ArgumentError('clamp: at least one of min or max must be given');
  }
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  return unary(
    'clamp',
    input,
    // Comparisons and where keep NaN as NaN, as PyTorch does (tf.clipByValue would not).
    (x) => tf.tidy(() => tf.where(tf.less(x, lo), tf.fill(x.shape, lo, x.dtype), tf.where(tf.greater(x, hi), tf.fill(x.shape, hi, x.dtype), x))),
    (g, x) => tf.where(tf.logicalAnd(tf.greaterEqual(x, lo), tf.lessEqual(x, hi)), g, tf.zerosLike(g)),
  );
}
