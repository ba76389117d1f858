/**
 * Matrix transposes for `linear` and `matmul` (see NOTE (transposes on wasm) in
 * ops/matmul.ts): `transpose2d`, and `transposeAddBias`, the transpose that turns
 * `W @ x^T` back into `x W^T` with the bias added in the same pass.
 *
 * tfjs-wasm's `Transpose` walks the output one element at a time with index
 * arithmetic (about 2-3 ns an element here); copying eight rows at a time, so that
 * eight consecutive outputs are written together, is about 3x faster in JavaScript.
 */
import * as tf from '@tensorflow/tfjs-core';
import { bitsOf, hasHostKernel, registerHostKernel, runHostKernel, type HostArray } from './host-kernel';

/** `out = x^T` for a 2-D float32 `x`. */
export const TRANSPOSE_2D = 'LoomTranspose2D';
/** `out = x^T + bias` for a 2-D float32 `x` `[n, rows]` and `bias` `[n]` (added along the output's rows). */
export const TRANSPOSE_ADD_BIAS = 'LoomTransposeAddBias';

/** Rows copied together: eight outputs side by side per store run (measured best of 4, 8, 16). */
const ROW_BLOCK = 8;
/** Columns per tile, so that the block's rows stay in the L1 cache. */
const COL_BLOCK = 64;

/** Writes `x^T` for `x` `[rows, cols]`. */
function transposeInto(x: HostArray, rows: number, cols: number, out: HostArray): void {
  let r = 0;
  for (; r + ROW_BLOCK <= rows; r += ROW_BLOCK) {
    for (let c0 = 0; c0 < cols; c0 += COL_BLOCK) {
      const c1 = Math.min(c0 + COL_BLOCK, cols);
      let o = c0 * rows + r;
      for (let c = c0; c < c1; c++, o += rows) {
        const i = r * cols + c;
        out[o] = x[i] as number;
        out[o + 1] = x[i + cols] as number;
        out[o + 2] = x[i + 2 * cols] as number;
        out[o + 3] = x[i + 3 * cols] as number;
        out[o + 4] = x[i + 4 * cols] as number;
        out[o + 5] = x[i + 5 * cols] as number;
        out[o + 6] = x[i + 6 * cols] as number;
        out[o + 7] = x[i + 7 * cols] as number;
      }
    }
  }
  for (; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c] as number;
  }
}

/** Writes `x^T + bias` (bias[r] added to output column r) for `x` `[rows, cols]`. */
function transposeAddBiasInto(x: HostArray, rows: number, cols: number, bias: HostArray, out: HostArray): void {
  let r = 0;
  for (; r + ROW_BLOCK <= rows; r += ROW_BLOCK) {
    const b0 = bias[r] as number;
    const b1 = bias[r + 1] as number;
    const b2 = bias[r + 2] as number;
    const b3 = bias[r + 3] as number;
    const b4 = bias[r + 4] as number;
    const b5 = bias[r + 5] as number;
    const b6 = bias[r + 6] as number;
    const b7 = bias[r + 7] as number;
    for (let c0 = 0; c0 < cols; c0 += COL_BLOCK) {
      const c1 = Math.min(c0 + COL_BLOCK, cols);
      let o = c0 * rows + r;
      for (let c = c0; c < c1; c++, o += rows) {
        const i = r * cols + c;
        out[o] = (x[i] as number) + b0;
        out[o + 1] = (x[i + cols] as number) + b1;
        out[o + 2] = (x[i + 2 * cols] as number) + b2;
        out[o + 3] = (x[i + 3 * cols] as number) + b3;
        out[o + 4] = (x[i + 4 * cols] as number) + b4;
        out[o + 5] = (x[i + 5 * cols] as number) + b5;
        out[o + 6] = (x[i + 6 * cols] as number) + b6;
        out[o + 7] = (x[i + 7 * cols] as number) + b7;
      }
    }
  }
  for (; r < rows; r++) {
    const b = bias[r] as number;
    for (let c = 0; c < cols; c++) out[c * rows + r] = (x[r * cols + c] as number) + b;
  }
}

registerHostKernel({
  kernelName: TRANSPOSE_2D,
  inputNames: ['x'],
  outputs: ([x]) => [{ shape: [x!.shape[1] as number, x!.shape[0] as number], dtype: 'float32' }],
  // Copied as int32 bits, so that NaN payloads pass unchanged, as tfjs's Transpose copies them.
  run: ([x], [out], [info]) => transposeInto(bitsOf(x!), info!.shape[0] as number, info!.shape[1] as number, bitsOf(out!)),
});

registerHostKernel({
  kernelName: TRANSPOSE_ADD_BIAS,
  inputNames: ['x', 'bias'],
  outputs: ([x]) => [{ shape: [x!.shape[1] as number, x!.shape[0] as number], dtype: 'float32' }],
  run: ([x, bias], [out], [info]) => transposeAddBiasInto(x!, info!.shape[0] as number, info!.shape[1] as number, bias!, out!),
});

/**
 * `x^T` for a 2-D float32 kernel value.
 *
 * @example
 * ```ts
 * transpose2d(tf.zeros([64, 784])).shape; // [784, 64]
 * ```
 */
export function transpose2d(x: tf.Tensor): tf.Tensor {
  if (x.dtype === 'float32' && x.rank === 2 && hasHostKernel(TRANSPOSE_2D)) return runHostKernel(TRANSPOSE_2D, { x }) as tf.Tensor;
  return tf.transpose(x);
}

/**
 * `x^T + bias` for a 2-D float32 `x` `[n, rows]` and `bias` `[n]`: the same numbers as
 * `tf.add(tf.transpose(x), bias)`, in one pass.
 *
 * @example
 * ```ts
 * transposeAddBias(tf.matMul(w, xT), b); // [out, rows] -> [rows, out]
 * ```
 */
export function transposeAddBias(x: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  if (x.dtype === 'float32' && bias.dtype === 'float32' && x.rank === 2 && hasHostKernel(TRANSPOSE_ADD_BIAS)) {
    return runHostKernel(TRANSPOSE_ADD_BIAS, { x, bias }) as tf.Tensor;
  }
  return tf.tidy(() => tf.add(tf.transpose(x), bias));
}
