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

/**
 * A tensor whose values `fill` writes when they are first needed: a batch built by
 * `defaultCollate` gets them written straight into its array, so a sample made this
 * way (ToTensor's) costs no array of its own.
 * @internal
 */
export function lazyHostTensor(fill: (out: TypedArray, offset: number) => void, shape: readonly number[], dtype: DType): Tensor {
  return Tensor.fromHostFill(fill, shape, dtype);
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
 * A typed array for `dtype`'s values that the caller writes entirely (a batch that
 * defaultCollate fills sample by sample): its memory is not zeroed first, which spares
 * a pass over every batch (about 10 us for 64 Fashion-MNIST images, measured).
 * @internal
 */
export function allocateUnfilled(dtype: DType, length: number): TypedArray {
  const bytes = Buffer.allocUnsafeSlow(length * (dtype === 'bool' ? 1 : 4));
  switch (dtype) {
    case 'float32':
      return new Float32Array(bytes.buffer, bytes.byteOffset, length);
    case 'int32':
      return new Int32Array(bytes.buffer, bytes.byteOffset, length);
    case 'bool':
      return new Uint8Array(bytes.buffer, bytes.byteOffset, length);
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
