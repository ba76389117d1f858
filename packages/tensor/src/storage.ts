/**
 * Storage: the memory behind a tensor, reference-counted.
 *
 * A Loom {@link Tensor} owns one reference to its storage; an autograd node that saves
 * a tensor for backward takes another. The TensorFlow.js tensor is disposed when the
 * last reference goes, so a scope may release an activation while the graph still
 * needs it for backward, exactly as PyTorch's saved tensors outlive Python variables.
 *
 * Values created before the backend is ready (a model built at module top level) wait
 * on the host and move to the backend on first use.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertReady } from './backend/backend';
import type { DType, TypedArray } from './dtype';

/** @internal */
export class Storage {
  private tfValue: tf.Tensor | null;
  private host: TypedArray | null;
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

  /** The TensorFlow.js tensor, moved to the backend on first use. */
  get value(): tf.Tensor {
    if (this.tfValue === null) {
      assertReady('tensor');
      // keep: the first use may happen inside an op's tf.tidy, which must not dispose it.
      this.tfValue = tf.keep(tf.tensor(this.host as TypedArray, this.shape as number[], this.dtype));
      this.host = null;
    }
    return this.tfValue;
  }

  /** A copy of the values as a typed array (never a view the caller could corrupt). */
  read(): TypedArray {
    if (this.tfValue === null) return (this.host as TypedArray).slice();
    const values = this.tfValue.dataSync() as TypedArray;
    // The wasm and tensorflow backends return a fresh copy; the cpu backend returns
    // its own backing array, which must not escape.
    return tf.getBackend() === 'cpu' ? values.slice() : values;
  }

  /** The values as the kernels hold them, without a copy when they are on the host. */
  peekHost(): TypedArray | null {
    return this.host;
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
    }
  }
}
