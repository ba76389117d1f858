/**
 * Tensors over host arrays, for the per-sample and per-batch paths. They run in worker
 * threads that never start a TensorFlow.js backend, so they build typed arrays and wrap
 * them; they never call tensor ops.
 */
import { Tensor, type DType, type TypedArray } from '@loom/tensor';

/**
 * Wraps a freshly allocated typed array as a tensor without copying it. `fromArray`
 * copies (so that callers may reuse their array); here the array is new and handed
 * over, so that copy would double the allocation of every sample and every batch.
 * The caller must not touch `values` afterwards.
 * @internal
 */
export function hostTensor(values: TypedArray, shape: readonly number[], dtype: DType): Tensor {
  return Tensor.fromHost(values, shape, dtype);
}

/** A zeroed typed array for `dtype`'s values. @internal */
export function allocateFor(dtype: DType, length: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'bool':
      return new Uint8Array(length);
  }
}

/**
 * A tensor's values for reading: the host array itself when the tensor has not moved to
 * a backend yet (no copy, no backend needed), else a copy from the backend.
 * @internal
 */
export function readValues(t: Tensor): TypedArray {
  return t.hostView() ?? t.data();
}
