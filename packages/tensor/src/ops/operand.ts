/**
 * Turning op arguments into kernel values: tensors as they are, JavaScript numbers as
 * scalars of the dtype PyTorch would give them (an integer with an int32 tensor stays
 * int32; a fractional number promotes to float32).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from '../errors';
import { Tensor } from '../tensor';

/** A tensor or a plain number, as binary ops accept. */
export type Scalar = number | boolean;
/** What binary ops take as an operand. */
export type TensorOrScalar = Tensor | Scalar;

/** A kernel operand: its value, the Loom tensor it came from, and whether we own it. */
export interface Operand {
  value: tf.Tensor;
  tensor: Tensor | null;
  owned: boolean;
  shape: readonly number[];
}

/** Converts one operand; `like` picks the dtype of a number. */
export function operand(x: TensorOrScalar, like: TensorOrScalar, op: string, arg: string): Operand {
  if (x instanceof Tensor) return { value: x.value(op), tensor: x, owned: false, shape: x.shape };
  if (typeof x === 'boolean') x = x ? 1 : 0;
  if (typeof x !== 'number') {
    throw new ArgumentError(`${op}: ${arg} must be a Tensor or a number, got ${x === null ? 'null' : typeof x}`);
  }
  const dtype = like instanceof Tensor && like.dtype !== 'bool' && Number.isInteger(x) ? like.dtype : 'float32';
  return { value: tf.scalar(x, dtype), tensor: null, owned: true, shape: [] };
}

/** Disposes operands created for numbers. */
export function releaseOperands(...ops: Operand[]): void {
  for (const o of ops) if (o.owned) o.value.dispose();
}

/** The tensors among operands (for autograd inputs). */
export function tensorsOf(...ops: Operand[]): Tensor[] {
  return ops.map((o) => o.tensor).filter((t): t is Tensor => t !== null);
}

/** Checks that the argument is a Loom tensor, naming the op and argument otherwise. */
export function expectTensor(x: unknown, op: string, arg = 'input'): Tensor {
  if (!(x instanceof Tensor)) {
    throw new ArgumentError(`${op}: ${arg} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  }
  return x;
}

/** Floats in, floats out: integer inputs of float functions are promoted as in PyTorch. */
export function floatOf(x: tf.Tensor): tf.Tensor {
  return x.dtype === 'float32' ? x : tf.cast(x, 'float32');
}
