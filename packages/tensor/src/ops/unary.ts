/**
 * Element-wise unary math: `neg exp log sqrt abs sign square rsqrt reciprocal sin cos
 * log1p expm1 clamp`, each with its gradient rule beside it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { record } from '../autograd/record';
import { ArgumentError, DTypeError } from '../errors';
import { Tensor } from '../tensor';
import { expectTensor, floatOf } from './operand';

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
  // tidy: forwards may make temporaries (the float32 copy of an integer input).
  return record(name, tf.tidy(() => forward(xv)), [x], () => (g, out) => [grad(g, xv, out)], {
    saved: uses === 'input' ? [x] : [],
    saveOutput: uses === 'output',
  });
}

/** `-input`. @example `neg(x)` */
export function neg(input: Tensor): Tensor {
  if (input instanceof Tensor && input.dtype === 'bool') {
    throw new DTypeError('neg: negation of a bool tensor is not supported', 'use logicalNot(x) to invert a mask');
  }
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

/**
 * `log1p` accurate near 0 on every backend. tfjs-wasm computes `log(1 + x)`, which
 * gives 0 for `x = 1e-8`; Goldberg's correction `log(u) * x / (u - 1)` with
 * `u = 1 + x` recovers full float32 accuracy (and `x` itself where `u` rounds to 1).
 */
function accurateLog1p(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const u = tf.add(x, 1);
    const denominator = tf.sub(u, 1);
    const corrected = tf.mul(tf.log(u), tf.div(x, denominator));
    // Where u is 1 the ratio is 0/0; where u is inf it is inf/inf: log(u) is right there.
    const plain = tf.where(tf.isInf(u), tf.log(u), corrected);
    return tf.where(tf.equal(denominator, 0), x, plain);
  });
}

/** `log(1 + input)`, accurate near 0. @example `log1p(x)` */
export function log1p(input: Tensor): Tensor {
  return unary('log1p', input, (x) => accurateLog1p(floatOf(x)), (g, x) => tf.div(g, tf.add(x, 1)));
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
    // PyTorch's min(max(x, min), max): with min > max every element becomes max. The
    // comparisons are false for NaN, which stays NaN (tf.clipByValue would not keep it).
    (x) =>
      tf.tidy(() => {
        const raised = tf.where(tf.less(x, lo), tf.fill(x.shape, lo, x.dtype), x);
        return tf.where(tf.greater(raised, hi), tf.fill(x.shape, hi, x.dtype), raised);
      }),
    (g, x) => tf.where(tf.logicalAnd(tf.greaterEqual(x, lo), tf.lessEqual(x, hi)), g, tf.zerosLike(g)),
  );
}
