/**
 * In-place updates (`zero_ fill_ copy_ add_ sub_ mul_ uniform_ normal_`), used by
 * optimizers and `nn.init`. As in PyTorch, a leaf that requires grad can only be
 * modified in place under `noGrad`. The tensor's previous memory is released (or
 * kept by the autograd node that saved it, so a recorded graph stays correct).
 */
import * as tf from '@tensorflow/tfjs-core';
import { isGradEnabled } from '../autograd/grad-mode';
import { AutogradError, ShapeError, formatShape } from '../errors';
import { broadcastShapes, sameShape } from '../shape';
import { allocate, type TypedArray } from '../dtype';
import { Tensor } from '../tensor';
import { defaultGenerator, type Generator } from '../random';
import { scaledUpdate } from '../kernels/scaled-update';
import { expandTo } from './broadcast-grad';
import { expectTensor, operand, type TensorOrScalar } from './operand';

function checkWritable(x: Tensor, op: string): void {
  if (isGradEnabled() && x.requiresGrad && x.isLeaf) {
    throw new AutogradError(
      `${op}: a leaf tensor that requires grad is being used in an in-place operation`,
      'wrap the update in noGrad(() => ...), as optimizers and nn.init do',
    );
  }
  if (isGradEnabled() && x.requiresGrad) {
    throw new AutogradError(`${op}: in-place operations on tensors recorded in an autograd graph are not supported`, 'use the out-of-place op (e.g. add instead of add_)');
  }
}

function update(x: Tensor, op: string, compute: (xv: tf.Tensor) => tf.Tensor): Tensor {
  checkWritable(x, op);
  const xv = x.value(op);
  const value = tf.tidy(() => {
    const out = compute(xv);
    return out.dtype === x.dtype ? out : tf.cast(out, x.dtype);
  });
  return x.assign(value, op);
}

function updateWith(x: Tensor, other: TensorOrScalar, op: string, f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): Tensor {
  const self = expectTensor(x, op);
  if (isGradEnabled() && other instanceof Tensor && other.requiresGrad) {
    // PyTorch would record the update; Loom's in-place ops never do, so the gradient
    // that should flow to `other` would be lost without a word.
    throw new AutogradError(
      `${op}: other ${formatShape(other.shape)} requires grad, but in-place operations are not recorded by autograd`,
      `use the out-of-place op (e.g. x = x.${op.slice(0, -1)}(other)) or update under noGrad(() => ...) with other.detach()`,
    );
  }
  const o = operand(other, self, op, 'other');
  const shape = broadcastShapes(self.shape, o.shape, op);
  if (!sameShape(shape, self.shape)) {
    if (o.owned) o.value.dispose();
    throw new ShapeError(`${op}: output with shape ${formatShape(self.shape)} doesn't match the broadcast shape ${formatShape(shape)}`);
  }
  try {
    return update(self, op, (xv) => f(xv, o.value));
  } finally {
    if (o.owned) o.value.dispose();
  }
}

/**
 * Replaces all values with host values. Fills never need the backend, so `nn.init`
 * works on a model built before `ready()`.
 */
function refill(x: Tensor, op: string, values: TypedArray): Tensor {
  checkWritable(x, op);
  return x.assignHost(values, op);
}

/** Sets every element to 0. @example `w.zero_()` */
export function zero_(x: Tensor): Tensor {
  const t = expectTensor(x, 'zero_');
  return refill(t, 'zero_', allocate(t.dtype, t.numel()));
}

/** Sets every element to `value`. @example `b.fill_(0.1)` */
export function fill_(x: Tensor, value: number): Tensor {
  const t = expectTensor(x, 'fill_');
  const values = allocate(t.dtype, t.numel());
  values.fill(value);
  return refill(t, 'fill_', values);
}

/** Copies `src` (broadcast to this shape) into the tensor. @example `w.copy_(loaded)` */
export function copy_(x: Tensor, src: Tensor): Tensor {
  const source = expectTensor(src, 'copy_', 'src');
  const host = source.storage('copy_').peekHost();
  if (host !== null && sameShape(source.shape, x.shape) && source.dtype === x.dtype) return refill(x, 'copy_', host.slice());
  return updateWith(x, expectTensor(src, 'copy_', 'src'), 'copy_', (a, b) => expandTo(tf.cast(b, a.dtype), a.shape));
}

/** `x += alpha * other`. @example `p.add_(g, { alpha: -lr })` */
export function add_(x: Tensor, other: TensorOrScalar, options: { alpha?: number } = {}): Tensor {
  const alpha = options.alpha ?? 1;
  return updateWith(x, other, 'add_', (a, b) => (alpha === 1 ? tf.add(a, b) : scaledUpdate(a, b, alpha, 1)));
}

/** `x -= alpha * other`. @example `p.sub_(g, { alpha: lr })` */
export function sub_(x: Tensor, other: TensorOrScalar, options: { alpha?: number } = {}): Tensor {
  const alpha = options.alpha ?? 1;
  return updateWith(x, other, 'sub_', (a, b) => (alpha === 1 ? tf.sub(a, b) : scaledUpdate(a, b, alpha, -1)));
}

/** `x *= other`. @example `buf.mul_(momentum)` */
export function mul_(x: Tensor, other: TensorOrScalar): Tensor {
  return updateWith(x, other, 'mul_', (a, b) => tf.mul(a, b));
}

/** `x /= other`. @example `g.div_(worldSize)` */
export function div_(x: Tensor, other: TensorOrScalar): Tensor {
  return updateWith(x, other, 'div_', (a, b) => tf.div(a, b));
}

/** Fills with uniform values in [low, high) from the generator (PyTorch's `uniform_`). @example `w.uniform_(-0.1, 0.1)` */
export function uniform_(x: Tensor, low = 0, high = 1, generator: Generator = defaultGenerator): Tensor {
  const t = expectTensor(x, 'uniform_');
  return refill(t, 'uniform_', generator.uniform(t.numel(), low, high));
}

/** Fills with normal values (PyTorch's `normal_`). @example `w.normal_(0, 0.02)` */
export function normal_(x: Tensor, mean = 0, std = 1, generator: Generator = defaultGenerator): Tensor {
  const t = expectTensor(x, 'normal_');
  return refill(t, 'normal_', generator.normal(t.numel(), mean, std));
}
