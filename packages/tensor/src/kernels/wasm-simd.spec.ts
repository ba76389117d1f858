/**
 * Loom's SIMD module assembles, validates and runs on the wasm backend's memory (the
 * kernels that use it are checked value by value in their own specs), and stays off
 * on the cpu backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from '../index';
import { heapOffset, simdKernels } from './wasm-simd';

describe('wasm SIMD module', () => {
  test('instantiates on the wasm backend and reads and writes tensors in place', async () => {
    await setBackend('wasm');
    const simd = simdKernels();
    expect(simd).not.toBeNull();
    const src = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const dst = tf.zeros([9]);
    // Two runs of 3 values, 4 bytes apart after each run: [1,2,3] and [5,6,7].
    simd!.copyRuns(heapOffset(src), heapOffset(dst), 1, 0, 2, 4, 3);
    expect(Array.from(dst.dataSync())).toEqual([1, 2, 3, 5, 6, 7, 0, 0, 0]);
    tf.dispose([src, dst]);
  });

  test('is off on the cpu backend', async () => {
    await setBackend('cpu');
    expect(simdKernels()).toBeNull();
  });
});
