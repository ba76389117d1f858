/**
 * `batchTranspose`: the last two dims of a 3-D float32 tensor swapped, `[B, R, C] ->
 * [B, C, R]`, which is NCHW <-> NHWC as `[N, C, H*W] <-> [N, H*W, C]`, the transposes
 * around every XNNPACK convolution. Where Loom's SIMD module runs (wasm-simd.ts) the
 * 4x4 blocks go through it and only the edges of dims that are not multiples of 4 are
 * copied here; tfjs-wasm's Transpose moves one value at a time (measured on the conv
 * bench: 2.0 against 1.3 ms for [64,676,32] -> [64,32,676], about 0.1 ms less for each
 * of the four smaller ones).
 */
import * as tf from '@tensorflow/tfjs-core';
import { bitsOf, hasHostKernel, registerHostKernel, runHostKernel, type HostArray } from './host-kernel';
import { simdKernels } from './wasm-simd';

/** `x` `[B, R, C]` float32 -> `[B, C, R]`. */
export const BATCH_TRANSPOSE = 'LoomBatchTranspose';


/** SIMD block size: four 32-bit lanes. */
const BLOCK = 4;


/** Copies `x[b][r][c]` to `out[b][c][r]` for `r` in `[r0, r1)` and `c` in `[c0, c1)` of every matrix. */
function copyRegion(x: HostArray, out: HostArray, batch: number, rows: number, cols: number, r0: number, r1: number, c0: number, c1: number): void {
  for (let b = 0; b < batch; b++) {
    const base = b * rows * cols;
    for (let r = r0; r < r1; r++) {
      for (let c = c0; c < c1; c++) out[base + c * rows + r] = x[base + r * cols + c] as number;
    }
  }
}

registerHostKernel({
  kernelName: BATCH_TRANSPOSE,
  inputNames: ['x'],
  outputs: ([x]) => {
    const [b, r, c] = x!.shape as [number, number, number];
    return [{ shape: [b, c, r], dtype: 'float32' }];
  },
  // Copied as int32 bits, as tfjs's Transpose copies them.
  run: ([x], [out], [info], _attrs, ctx) => {
    const [batch, rows, cols] = info!.shape as [number, number, number];
    const from = bitsOf(x!);
    const to = bitsOf(out!);
    if (ctx.wasm === undefined) {
      copyRegion(from, to, batch, rows, cols, 0, rows, 0, cols);
      return;
    }
    const rows4 = rows - (rows % BLOCK);
    const cols4 = cols - (cols % BLOCK);
    ctx.wasm.simd.transpose4(ctx.wasm.inputs[0] as number, ctx.wasm.outputs[0] as number, batch, rows, cols, rows4, cols4);
    copyRegion(from, to, batch, rows, cols, rows4, rows, 0, cols);
    copyRegion(from, to, batch, rows, cols, 0, rows4, cols4, cols);
  },
});

/**
 * `tf.transpose(x, [0, 2, 1])` for a 3-D float32 `x`; the host kernel where Loom's SIMD
 * module runs, tfjs's Transpose elsewhere (its cpu kernel is as fast as a JavaScript loop).
 *
 * @example
 * ```ts
 * batchTranspose(tf.zeros([64, 676, 32])).shape; // [64, 32, 676]
 * ```
 */
export function batchTranspose(x: tf.Tensor): tf.Tensor {
  if (x.dtype === 'float32' && x.rank === 3 && simdKernels() !== null && hasHostKernel(BATCH_TRANSPOSE)) {
    return runHostKernel(BATCH_TRANSPOSE, { x }) as tf.Tensor;
  }
  return tf.transpose(x, [0, 2, 1]);
}
