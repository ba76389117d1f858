/**
 * Broadcasting arithmetic: `add sub mul div pow maximum minimum`. Each op's forward
 * and backward rule sit side by side; gradients are reduced to each input's shape.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DTypeError } from '../errors';
import { Tensor } from '../tensor';
import { binary, type BinaryOp } from './binary';
import { unbroadcast } from './broadcast-grad';
import type { TensorOrScalar } from './operand';

const ADD: BinaryOp = {
  name: 'add',
  forward: (a, b) => tf.add(a, b),
  grad: (g, a, b) => [unbroadcast(g, a.shape), unbroadcast(g, b.shape)],
};

const SUB: BinaryOp = {
  name: 'sub',
  forward: (a, b) => tf.sub(a, b),
  grad: (g, a, b) => [unbroadcast(g, a.shape), unbroadcast(tf.neg(g), b.shape)],
};

const MUL: BinaryOp = {
  name: 'mul',
  forward: (a, b) => tf.mul(a, b),
  grad: (g, a, b) => [unbroadcast(tf.mul(g, b), a.shape), unbroadcast(tf.mul(g, a), b.shape)],
};

/** True division as PyTorch's `/`: integer operands are divided as floats. */
function trueDiv(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.dtype === 'float32' || b.dtype === 'float32') return tf.div(a, b);
  return tf.tidy(() => tf.div(tf.cast(a, 'float32'), tf.cast(b, 'float32')));
}

const DIV: BinaryOp = {
  name: 'div',
  forward: trueDiv,
  // PyTorch's order of operations, -g * ((a / b) / b), so that x / x gets gradients
  // that cancel exactly.
  grad: (g, a, b) => [unbroadcast(tf.div(g, b), a.shape), unbroadcast(tf.neg(tf.mul(g, tf.div(tf.div(a, b), b))), b.shape)],
};

/**
 * `a ** b` with C's special cases, which PyTorch follows: `1 ** b` is 1 even for a
 * NaN `b` (JavaScript's `Math.pow`, behind tfjs's cpu kernel, gives NaN there).
 */
function power(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.dtype !== 'float32' && b.dtype !== 'float32') return tf.pow(a, b);
  return tf.tidy(() => {
    const out = tf.pow(a, b);
    return tf.where(tf.equal(a, 1), tf.onesLike(out), out);
  });
}

const POW: BinaryOp = {
  name: 'pow',
  forward: power,
  saveOutput: true,
  grad: (g, a, b, out) => [
    // d/da a^b = b * a^(b-1); PyTorch defines it as 0 where b == 0 (even at a == 0).
    unbroadcast(tf.where(tf.equal(b, 0), tf.zerosLike(g), tf.mul(g, tf.mul(b, tf.pow(a, tf.sub(b, 1))))), a.shape),
    // d/db a^b = a^b * log(a); PyTorch masks a == 0 with b >= 0 to 0 instead of NaN.
    unbroadcast(
      tf.where(tf.logicalAnd(tf.equal(a, 0), tf.greaterEqual(b, 0)), tf.zerosLike(g), tf.mul(g, tf.mul(out, tf.log(a)))),
      b.shape,
    ),
  ],
};

/**
 * Element-wise maximum/minimum that propagates NaN from either side, as PyTorch's
 * `maximum`/`minimum` do (XNNPACK's `max` in tfjs-wasm returns the other operand).
 */
function nanPropagating(pick: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): BinaryOp['forward'] {
  return (a, b) => {
    if (a.dtype !== 'float32' && b.dtype !== 'float32') return pick(a, b);
    return tf.tidy(() => {
      const out = pick(a, b);
      return tf.where(tf.logicalOr(tf.isNaN(a), tf.isNaN(b)), tf.fill(out.shape, NaN), out);
    });
  };
}

/**
 * PyTorch's rule for `maximum` (`loses` = `a < b`) and `minimum` (`loses` = `a > b`):
 * ties split the gradient in half, and where a NaN makes every comparison false both
 * operands get the whole gradient.
 */
function extremumGrad(loses: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): NonNullable<BinaryOp['grad']> {
  return (g, a, b) => {
    const shared = tf.where(tf.equal(a, b), tf.div(g, 2), g);
    const zero = tf.zerosLike(shared);
    const ga = tf.where(loses(a, b), zero, shared);
    const gb = tf.where(loses(b, a), zero, shared);
    return [unbroadcast(ga, a.shape), unbroadcast(gb, b.shape)];
  };
}

const MAXIMUM: BinaryOp = { name: 'maximum', forward: nanPropagating(tf.maximum), grad: extremumGrad(tf.less) };
const MINIMUM: BinaryOp = { name: 'minimum', forward: nanPropagating(tf.minimum), grad: extremumGrad(tf.greater) };

function isBool(x: TensorOrScalar): boolean {
  return x instanceof Tensor ? x.dtype === 'bool' : typeof x === 'boolean';
}

/**
 * `input + alpha * other`, broadcasting (PyTorch's `torch.add`).
 *
 * @example
 * ```ts
 * add(tensor([1, 2]), 1).toArray(); // [2, 3]
 * ```
 */
export function add(input: TensorOrScalar, other: TensorOrScalar, options: { alpha?: number } = {}): Tensor {
  const { alpha } = options;
  if (alpha !== undefined && alpha !== 1) return binary(ADD, input, mul(other, alpha));
  return binary(ADD, input, other);
}

/** `input - alpha * other`, broadcasting. @example `sub(tensor([3]), 1)` */
export function sub(input: TensorOrScalar, other: TensorOrScalar, options: { alpha?: number } = {}): Tensor {
  if (isBool(input) && isBool(other)) {
    throw new DTypeError('sub: subtraction of two bool tensors is not supported', 'to invert a mask use logicalNot(x); to do arithmetic convert first with .int()');
  }
  const { alpha } = options;
  if (alpha !== undefined && alpha !== 1) return binary(SUB, input, mul(other, alpha));
  return binary(SUB, input, other);
}

/** Element-wise product, broadcasting. @example `mul(x, 2)` */
export function mul(input: TensorOrScalar, other: TensorOrScalar): Tensor {
  return binary(MUL, input, other);
}

/** True division (integers divide as floats, as PyTorch's `/`). @example `div(x, 255)` */
export function div(input: TensorOrScalar, other: TensorOrScalar): Tensor {
  return binary(DIV, input, other);
}

/** `input ** exponent`, broadcasting. @example `pow(x, 2)` */
export function pow(input: TensorOrScalar, exponent: TensorOrScalar): Tensor {
  return binary(POW, input, exponent);
}

/** Element-wise maximum of two tensors. @example `maximum(a, b)` */
export function maximum(input: TensorOrScalar, other: TensorOrScalar): Tensor {
  return binary(MAXIMUM, input, other);
}

/** Element-wise minimum of two tensors. @example `minimum(a, b)` */
export function minimum(input: TensorOrScalar, other: TensorOrScalar): Tensor {
  return binary(MINIMUM, input, other);
}
