/**
 * Element types. Loom has PyTorch's `float32`, `int32` and `bool`; where PyTorch
 * produces `int64` (class labels, `argmax`, `randint`, `arange` of integers), Loom
 * produces `int32`, because TensorFlow.js has no 64-bit integer kernels.
 */
export type DType = 'float32' | 'int32' | 'bool';

/** The typed array that holds each dtype's values. */
export type TypedArray = Float32Array | Int32Array | Uint8Array;

/** Every dtype name, for validation messages. */
export const DTYPES: readonly DType[] = ['float32', 'int32', 'bool'];

/** Allocates a zeroed typed array for `dtype`. */
export function allocate(dtype: DType, length: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'bool':
      return new Uint8Array(length);
  }
}

/** The dtype a typed array stores. */
export function dtypeOfArray(values: TypedArray): DType {
  if (values instanceof Float32Array) return 'float32';
  if (values instanceof Int32Array) return 'int32';
  return 'bool';
}

/** PyTorch's type promotion for two operands, reduced to Loom's three dtypes. */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === 'float32' || b === 'float32') return 'float32';
  if (a === 'int32' || b === 'int32') return 'int32';
  return 'bool';
}

/** Whether values of this dtype can carry gradients. */
export function isFloating(dtype: DType): boolean {
  return dtype === 'float32';
}
