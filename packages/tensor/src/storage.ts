/**
 * Storage: the memory behind a tensor, reference-counted.
 *
 * A Loom {@link Tensor} owns one reference to its storage; an autograd node that saves
 * a tensor for backward takes another. The TensorFlow.js tensor is disposed when the
 * last reference goes, so a scope may release an activation while the graph still
 * needs it for backward, exactly as PyTorch's saved tensors outlive Python variables.
 *
 * Values created before the backend is ready (a model built at module top level) wait
 * on the host and move to the backend on first use. Host values may also be deferred:
 * a function that writes them (ToTensor's byte conversion), run only when they are
 * needed, or straight into a batch by {@link Storage.copyHostTo}.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertReady } from './backend/backend';
import { heapFloat32View } from './kernels/wasm-simd';
import { allocate, type DType, type TypedArray } from './dtype';
import { sizeOf } from './shape';

/** Writes a tensor's values (all of them) into `out` from index `offset`. */
export type HostFill = (out: TypedArray, offset: number) => void;

/** @internal */
export class Storage {
  private tfValue: tf.Tensor | null;
  private host: TypedArray | null;
  private fill: HostFill | null = null;
  private refs = 1;

  private constructor(
    tfValue: tf.Tensor | null,
    host: TypedArray | null,
    readonly shape: readonly number[],
    readonly dtype: DType,
  ) {
    this.tfValue = tfValue;
    this.host = host;
  }

  /** Wraps a kernel's output; the storage now owns it. */
  static fromTf(value: tf.Tensor): Storage {
    return new Storage(value, null, value.shape, value.dtype as DType);
  }

  /** Keeps host values until the first kernel needs them. */
  static fromHost(values: TypedArray, shape: readonly number[], dtype: DType): Storage {
    return new Storage(null, values, shape, dtype);
  }

  /** Host values that `fill` writes when they are first needed. */
  static fromHostFill(fill: HostFill, shape: readonly number[], dtype: DType): Storage {
    const storage = new Storage(null, null, shape, dtype);
    storage.fill = fill;
    return storage;
  }

  /** The host values, written now if they were deferred; null once on the backend. */
  private hostValues(): TypedArray | null {
    if (this.fill !== null) {
      const values = allocate(this.dtype, sizeOf(this.shape));
      this.fill(values, 0);
      this.fill = null;
      this.host = values;
    }
    return this.host;
  }

  /**
   * The TensorFlow.js tensor, moved to the backend on first use. Tensors reach it
   * through `Tensor.value`, which registers them for collection at that point.
   */
  get value(): tf.Tensor {
    if (this.tfValue === null) {
      assertReady('tensor');
      // keep: the first use may happen inside an op's tf.tidy, which must not dispose it.
      this.tfValue = tf.keep(tf.tensor(this.hostValues() as TypedArray, this.shape as number[], this.dtype));
      this.host = null;
    }
    return this.tfValue;
  }

  /** Whether the values wait on the host (no backend memory is held yet). */
  get onHost(): boolean {
    return this.tfValue === null;
  }

  /** A copy of the values as a typed array (never a view the caller could corrupt). */
  read(): TypedArray {
    if (this.tfValue === null) return (this.hostValues() as TypedArray).slice();
    const values = this.tfValue.dataSync() as TypedArray;
    // The wasm and tensorflow backends return a fresh copy; the cpu backend returns
    // its own backing array, which must not escape.
    return tf.getBackend() === 'cpu' ? values.slice() : values;
  }

  /**
   * Copies the values into `out` from `offset` with no intermediate array: from the
   * host values, or straight out of the wasm heap for float32 (dataSync elsewhere).
   */
  copyTo(out: TypedArray, offset: number): void {
    if (this.copyHostTo(out, offset)) return;
    const value = this.tfValue as tf.Tensor;
    const view = value.dtype === 'float32' ? heapFloat32View(value, value.size) : null;
    out.set(view ?? (value.dataSync() as TypedArray), offset);
  }

  /** The values as the kernels hold them, without a copy when they are on the host. */
  peekHost(): TypedArray | null {
    return this.tfValue === null ? this.hostValues() : null;
  }

  /**
   * Writes the host values into `out` from `offset` (deferred ones straight there,
   * without making them first) and returns true; false when they are on the backend.
   */
  copyHostTo(out: TypedArray, offset: number): boolean {
    if (this.tfValue !== null) return false;
    if (this.fill !== null) this.fill(out, offset);
    else out.set(this.host as TypedArray, offset);
    return true;
  }

  get alive(): boolean {
    return this.refs > 0;
  }

  retain(): void {
    this.refs++;
  }

  release(): void {
    if (this.refs <= 0) return;
    this.refs--;
    if (this.refs === 0) {
      this.tfValue?.dispose();
      this.tfValue = null;
      this.host = null;
      this.fill = null;
    }
  }
}
