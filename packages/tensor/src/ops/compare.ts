/** Comparisons (bool results, no gradient), logical ops and `where`. */
import * as tf from '@tensorflow/tfjs-core';
import { GradNode } from '../autograd/node';
import { broadcastShapes } from '../shape';
import { Storage } from '../storage';
import { Tensor, needsGrad } from '../tensor';
import { binary, type BinaryOp } from './binary';
import { expandTo, unbroadcast } from './broadcast-grad';
import { expectTensor, operand, type TensorOrScalar } from './operand';
import { DTypeError } from '../errors';

const cmp = (name: string, f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): BinaryOp => ({ name, forward: f });
const EQ = cmp('eq', tf.equal);
const NE = cmp('ne', tf.notEqual);
const GT = cmp('gt', tf.greater);
const LT = cmp('lt', tf.less);
const GE = cmp('ge', tf.greaterEqual);
const LE = cmp('le', tf.lessEqual);

/** `input == other` element-wise, as a bool tensor. @example `pred.argmax(1).eq(y)` */
export function eq(input: TensorOrScalar, other: TensorOrScalar): Tensor {
  return binary(EQ, input, other);
}
/** `input != other`. @example `ne(a, b)` */
export function ne(input: TensorOrScalar, other: TensorOrScalar): Tensor {
  return binary(NE, input, other);
}
/** `input > other`. @example `gt(x, 0)` */
export function gt(input: TensorOrScalar, other: TensorOrScalar): Tensor {
  return binary(GT, input, other);
}
/** `input < other`. @example `lt(x, 0)` */
export function lt(input: TensorOrScalar, other: TensorOrScalar): Tensor {
  return binary(LT, input, other);
}
/** `input >= other`. @example `ge(x, 0)` */
export function ge(input: TensorOrScalar, other: TensorOrScalar): Tensor {
  return binary(GE, input, other);
}
/** `input <= other`. @example `le(x, 0)` */
export function le(input: TensorOrScalar, other: TensorOrScalar): Tensor {
  return binary(LE, input, other);
}

function asBool(x: tf.Tensor): tf.Tensor {
  return x.dtype === 'bool' ? x : tf.notEqual(x, 0);
}
const AND = cmp('logicalAnd', (a, b) => tf.tidy(() => tf.logicalAnd(asBool(a), asBool(b))));
const OR = cmp('logicalOr', (a, b) => tf.tidy(() => tf.logicalOr(asBool(a), asBool(b))));

/** Element-wise logical and (non-zero is true). @example `logicalAnd(a, b)` */
export function logicalAnd(input: TensorOrScalar, other: TensorOrScalar): Tensor {
  return binary(AND, input, other);
}
/** Element-wise logical or. @example `logicalOr(a, b)` */
export function logicalOr(input: TensorOrScalar, other: TensorOrScalar): Tensor {
  return binary(OR, input, other);
}
/** Element-wise logical not. @example `logicalNot(mask)` */
export function logicalNot(input: Tensor): Tensor {
  const x = expectTensor(input, 'logicalNot');
  return Tensor.fromTf(tf.tidy(() => tf.logicalNot(asBool(x.value('logicalNot')))));
}
/** Where values are NaN. @example `isnan(loss).any()` */
export function isnan(input: Tensor): Tensor {
  return Tensor.fromTf(tf.isNaN(expectTensor(input, 'isnan').value('isnan')));
}
/** Where values are finite (not NaN, not ±inf). @example `isfinite(x)` */
export function isfinite(input: Tensor): Tensor {
  return Tensor.fromTf(tf.isFinite(expectTensor(input, 'isfinite').value('isfinite')));
}

/**
 * `condition ? input : other` element-wise, broadcasting all three.
 *
 * @example
 * ```ts
 * where(x.gt(0), x, 0);
 * ```
 */
export function where(condition: Tensor, input: TensorOrScalar, other: TensorOrScalar): Tensor {
  const c = expectTensor(condition, 'where', 'condition');
  if (c.dtype !== 'bool') throw new DTypeError(`where: expected condition to be a bool tensor, got ${c.dtype}`, 'compare first, e.g. x.gt(0)');
  const a = operand(input, other, 'where', 'input');
  const b = operand(other, input, 'where', 'other');
  const shape = broadcastShapes(broadcastShapes(c.shape, a.shape, 'where'), b.shape, 'where');
  const cv = c.value('where');
  const value = tf.tidy(() => {
    const dtype = a.value.dtype === 'float32' || b.value.dtype === 'float32' ? 'float32' : a.value.dtype;
    return tf.where(expandTo(cv, shape), expandTo(tf.cast(a.value, dtype), shape), expandTo(tf.cast(b.value, dtype), shape));
  });
  const inputs = [a.tensor, b.tensor].filter((x): x is Tensor => x !== null);
  if (a.owned) a.value.dispose();
  if (b.owned) b.value.dispose();
  if (!needsGrad(...inputs)) return Tensor.fromTf(value);
  const aShape = a.shape;
  const bShape = b.shape;
  const out = Tensor.fromTf(value, true);
  out.gradFn = new GradNode(
    'where',
    inputs,
    (g) => {
      const zero = tf.zerosLike(g);
      const full = expandTo(cv, g.shape);
      const grads: tf.Tensor[] = [];
      if (a.tensor) grads.push(unbroadcast(tf.where(full, g, zero), aShape));
      if (b.tensor) grads.push(unbroadcast(tf.where(full, zero, g), bShape));
      return grads;
    },
    [c.storage('where')] as Storage[],
    null,
  );
  return out;
}
