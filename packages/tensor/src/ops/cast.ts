/** Conversions and copies: `to float int long bool detach clone contiguous`. */
import * as tf from '@tensorflow/tfjs-core';
import { record } from '../autograd/record';
import { resolveDevice } from '../backend/backend';
import { DTYPES, type DType } from '../dtype';
import { DTypeError } from '../errors';
import { Tensor } from '../tensor';
import { expectTensor } from './operand';

function cast(input: Tensor, dtype: DType, op: string): Tensor {
  const x = expectTensor(input, op);
  if (x.dtype === dtype) return x;
  // Non-zero is true (NaN included); tfjs-wasm's Cast to bool copies the integer as is.
  const value = dtype === 'bool' ? tf.notEqual(x.value(op), 0) : tf.cast(x.value(op), dtype);
  // Only float-to-float casts carry gradients (PyTorch: integer tensors cannot require grad).
  if (dtype !== 'float32') return Tensor.fromTf(value);
  return record(op, value, [x], () => (g) => [x.dtype === 'float32' ? g : null]);
}

/**
 * A device (`'cpu'`, `'cuda'`) or a dtype conversion. Returns the tensor itself when
 * nothing changes, as PyTorch does. Asking for `cuda` without a GPU backend throws an
 * error that says what to install.
 *
 * @example
 * ```ts
 * const device = cuda.isAvailable() ? 'cuda' : 'cpu';
 * X = X.to(device);
 * y.to('float32');
 * ```
 */
export function to(input: Tensor, target: string): Tensor {
  const x = expectTensor(input, 'to');
  if ((DTYPES as readonly string[]).includes(target)) return cast(x, target as DType, 'to');
  resolveDevice(target, 'to');
  return x;
}

/** float32 copy (or the tensor itself). @example `pred.argmax(1).eq(y).float()` */
export function float(input: Tensor): Tensor {
  return cast(input, 'float32', 'float');
}

/** int32 copy (truncating floats toward zero). @example `x.int()` */
export function int(input: Tensor): Tensor {
  return cast(input, 'int32', 'int');
}

/** PyTorch's `long()`: Loom's integer type is int32. @example `labels.long()` */
export function long(input: Tensor): Tensor {
  return cast(input, 'int32', 'long');
}

/** bool copy (non-zero is true). @example `mask.bool()` */
export function bool(input: Tensor): Tensor {
  return cast(input, 'bool', 'bool');
}

/**
 * A tensor with the same values that is cut from the graph (shares memory; no grad).
 *
 * @example
 * ```ts
 * const target = output.detach();
 * ```
 */
export function detach(input: Tensor): Tensor {
  const x = expectTensor(input, 'detach');
  // tf.clone shares the underlying data; it only adds a reference.
  return Tensor.fromTf(tf.clone(x.value('detach')));
}

/** A copy that stays in the graph (gradient passes through). @example `w.clone()` */
export function clone(input: Tensor): Tensor {
  const x = expectTensor(input, 'clone');
  return record('clone', tf.clone(x.value('clone')), [x], () => (g) => [g]);
}

/** Loom tensors are always contiguous: returns the tensor. @example `x.contiguous()` */
export function contiguous(input: Tensor): Tensor {
  return expectTensor(input, 'contiguous');
}

/** Checks a dtype name. @internal */
export function checkDTypeName(dtype: string, op: string): DType {
  if (!(DTYPES as readonly string[]).includes(dtype)) {
    throw new DTypeError(`${op}: unknown dtype '${dtype}': expected one of ${DTYPES.join(', ')}`);
  }
  return dtype as DType;
}
