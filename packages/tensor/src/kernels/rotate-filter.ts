/**
 * The filter of a dense convolution's input gradient: an OIHW weight rotated by 180
 * degrees in its taps and laid out as tfjs' HWIO filter with the channels swapped,
 * `[Cout,Cin,kH,kW] -> [kH,kW,Cout,Cin]` (NOTE (conv gradients on wasm) in
 * ops/conv-kernels.ts). tfjs needs a Transpose and a Reverse for it, and wasm's
 * Reverse takes 0.4 ms for a [3,3,64,32] filter; this is one pass of 18k copies.
 */
import * as tf from '@tensorflow/tfjs-core';
import { bitsOf, hasHostKernel, registerHostKernel, runHostKernel } from './host-kernel';

/** `w` `[Cout,Cin,kH,kW]` -> `[kH,kW,Cout,Cin]`, taps reversed. */
export const ROTATE_FILTER = 'LoomRotateFilter';

registerHostKernel({
  kernelName: ROTATE_FILTER,
  inputNames: ['w'],
  outputs: ([w]) => {
    const [cout, cin, kh, kw] = w!.shape as [number, number, number, number];
    return [{ shape: [kh, kw, cout, cin], dtype: 'float32' }];
  },
  // Copied as int32 bits, as tfjs's Transpose and Reverse copy them.
  run: ([w], [out], [info]) => {
    const [cout, cin, kh, kw] = info!.shape as [number, number, number, number];
    const from = bitsOf(w!);
    const to = bitsOf(out!);
    const taps = kh * kw;
    const channels = cout * cin;
    for (let oc = 0; oc < channels; oc++) {
      // Tap t of the weight lands at tap taps-1-t of the rotated filter.
      for (let t = 0; t < taps; t++) to[(taps - 1 - t) * channels + oc] = from[oc * taps + t] as number;
    }
  },
});

/**
 * `tf.reverse(tf.transpose(w, [2, 3, 0, 1]), [0, 1])` for a float32 OIHW `w`, in one pass.
 *
 * @example
 * ```ts
 * rotateFilter(tf.zeros([64, 32, 3, 3])).shape; // [3, 3, 64, 32]
 * ```
 */
export function rotateFilter(w: tf.Tensor4D): tf.Tensor4D {
  if (w.dtype === 'float32' && hasHostKernel(ROTATE_FILTER)) return runHostKernel(ROTATE_FILTER, { w }) as tf.Tensor4D;
  return tf.tidy(() => tf.reverse(tf.transpose(w, [2, 3, 0, 1]), [0, 1]));
}
