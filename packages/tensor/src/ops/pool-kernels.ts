/**
 * Kernel-level max and average pooling with PyTorch's semantics. Inputs are NCHW
 * viewed as `[N*C, H, W]`; the tfjs pool and conv kernels see them as NHWC images of
 * one channel, `[N*C, H, W, 1]`, which needs no transpose. Pads and slices are done on
 * the rank-3 view: tfjs-wasm's Pad is ~15x slower on a rank-4 tensor whose last dim
 * is 1 (measured 19 ms against 1.2 ms on [2048,26,26]).
 *
 * Max pooling runs on the host kernel of kernels/max-pool.ts wherever there is one
 * (wasm and cpu): it keeps each window's argmax for the backward. The max pooling here
 * is the fallback for the other backends (tensorflow).
 *
 * NOTE (pooling gradients): tfjs-backend-wasm's MaxPoolGrad (and MaxPoolWithArgmax)
 * start each window's maximum at FLT_MIN, the smallest *positive* float: windows whose
 * values are all <= 0 get no gradient (measured, tfjs 4.22), ties go to the last
 * element where PyTorch picks the first, and the kernel is a plain loop (30 ms for a
 * [64,32,26,26] input). So the backward rules here are built from kernels that are
 * right everywhere:
 *
 *   1. the window values, one row per window: `S [windows, kH*kW]`
 *        stride = kernel, no padding ("tiles"): a reshape and a rank-4 transpose
 *        otherwise: a convolution with one one-hot filter per kernel tap
 *   2. for max: which tap is the first maximum, `S == y` and no earlier tap equal
 *      (row-major over the window, as PyTorch scans). Row broadcasts and the count of
 *      earlier equal taps are products with small matrices of ones (exact), because
 *      XNNPACK's matrix product is fast when its right operand is small (it packs
 *      that operand on every call), and wasm's broadcast over a last dim of 1 is slow
 *   3. the masked gradient back to the input: the inverse transpose, or the transposed
 *      convolution with the same filters (which adds overlapping windows up)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HW } from './conv-args';
import { runConv } from './conv-kernels';

/** Where a pooling's windows fall. */
export interface PoolGeometry {
  inSize: HW;
  kernel: HW;
  stride: HW;
  dilation: HW;
  /** Padding on top and left (and, with floor rounding, on bottom and right). */
  padding: HW;
  /** Padding on bottom and right: `padding`, or more so that ceil mode's last window fits. */
  padAfter: HW;
  outSize: HW;
}

/** The largest finite float32: stands for -inf where a multiplication by 0 must stay 0. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** The padding below/right that makes the last window end at the padded edge (PyTorch's extents). */
export function padAfterFor(input: number, kernel: number, stride: number, pad: number, dilation: number, out: number): number {
  const needed = (out - 1) * stride + dilation * (kernel - 1) + 1;
  return Math.max(pad, needed - input - pad);
}

function taps(geo: PoolGeometry): number {
  return geo.kernel[0] * geo.kernel[1];
}

/** Whether the windows tile the input: stride = kernel, no dilation, no padding. */
function tiles(geo: PoolGeometry): boolean {
  return [0, 1].every(
    (a) => geo.stride[a] === geo.kernel[a] && geo.dilation[a] === 1 && geo.padding[a] === 0 && geo.outSize[a] * geo.kernel[a] <= geo.inSize[a],
  );
}

/** `[NC,H,W]` as the one-channel NHWC images tfjs' kernels take. */
function images(x: tf.Tensor3D): tf.Tensor4D {
  return tf.reshape(x, [...x.shape, 1]);
}

/** Explicit NHWC padding of the windows' extent. */
function explicitPadding(geo: PoolGeometry): tf.backend_util.ExplicitPadding {
  return [[0, 0], [geo.padding[0], geo.padAfter[0]], [geo.padding[1], geo.padAfter[1]], [0, 0]];
}

// ---- step 1 and 3: window values and their way back ------------------------------------

/** `[NC,H,W]` -> `[NC*oH*oW, kH*kW]` when the windows tile the input. */
function toTiles(x: tf.Tensor3D, geo: PoolGeometry): tf.Tensor2D {
  const [nc, h, w] = x.shape;
  const [oh, ow] = geo.outSize;
  const [kh, kw] = geo.kernel;
  // Floor rounding leaves the last rows/columns out of every window.
  const used = oh * kh === h && ow * kw === w ? x : tf.slice(x, [0, 0, 0], [nc, oh * kh, ow * kw]);
  return tf.reshape(tf.transpose(tf.reshape(used, [nc * oh, kh, ow, kw]), [0, 2, 1, 3]), [nc * oh * ow, kh * kw]);
}

/** Inverse of {@link toTiles}: `[NC*oH*oW, kH*kW]` -> `[NC,H,W]`, zeros outside the windows. */
function fromTiles(t: tf.Tensor2D, geo: PoolGeometry, nc: number): tf.Tensor3D {
  const [h, w] = geo.inSize;
  const [oh, ow] = geo.outSize;
  const [kh, kw] = geo.kernel;
  const x = tf.reshape(tf.transpose(tf.reshape(t, [nc * oh, ow, kh, kw]), [0, 2, 1, 3]), [nc, oh * kh, ow * kw]) as tf.Tensor3D;
  if (oh * kh === h && ow * kw === w) return x;
  return tf.pad(x, [[0, 0], [0, h - oh * kh], [0, w - ow * kw]]);
}

/** `[eH,eW,1,kH*kW]`: output channel `i*kW + j` picks tap `(i, j)` of the dilated window. */
function tapFilter(geo: PoolGeometry): tf.Tensor4D {
  const [kh, kw] = geo.kernel;
  const [dh, dw] = geo.dilation;
  const eh = dh * (kh - 1) + 1;
  const ew = dw * (kw - 1) + 1;
  const values = new Float32Array(eh * ew * kh * kw);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) values[(i * dh * ew + j * dw) * kh * kw + i * kw + j] = 1;
  }
  return tf.tensor4d(values, [eh, ew, 1, kh * kw]);
}

/** Window values `[NC*oH*oW, kH*kW]` of an input already padded to the windows' extent. */
function extractWindows(padded: tf.Tensor3D, geo: PoolGeometry): tf.Tensor2D {
  const s = runConv(images(padded), tapFilter(geo), geo.stride, [0, 0], [0, 0], [1, 1]); // [NC,oH,oW,taps]
  return tf.reshape(s, [-1, taps(geo)]);
}

/** Adds per-tap gradients `[NC*oH*oW, taps]` back into the input `[NC,H,W]` (overlaps add up). */
function placeWindows(c: tf.Tensor2D, filter: tf.Tensor4D, geo: PoolGeometry, nc: number): tf.Tensor3D {
  const dy = tf.reshape(c, [nc, ...geo.outSize, filter.shape[3]]);
  const attrs = { strides: geo.stride, pad: explicitPadding(geo), dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: [nc, ...geo.inSize, 1] };
  const dx = tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  return tf.reshape(dx, [nc, ...geo.inSize]);
}

// ---- step 2: the first maximum of each window -------------------------------------------

/** `[M] -> [M,n]`: a product with a row of ones. */
function repeatColumns(v: tf.Tensor, n: number): tf.Tensor2D {
  return tf.matMul(tf.reshape(v, [-1, 1]), tf.ones([1, n]));
}

/**
 * The gradient each window tap receives: `g` on the first tap whose value equals the
 * window's maximum `y`, 0 elsewhere. `windows` is `[M, taps]`, `y` and `g` hold M values.
 */
function firstMaximum(windows: tf.Tensor2D, y: tf.Tensor, g: tf.Tensor): tf.Tensor2D {
  const count = windows.shape[1];
  const equal = tf.sub(1, tf.step(tf.sub(repeatColumns(y, count), windows)));
  // earlier[:, b] = number of taps a < b equal to the maximum.
  const upper = new Float32Array(count * count);
  for (let a = 0; a < count; a++) for (let b = a + 1; b < count; b++) upper[a * count + b] = 1;
  const earlier = tf.matMul(equal, tf.tensor2d(upper, [count, count]));
  return tf.mul(tf.mul(equal, tf.sub(1, tf.step(earlier))), repeatColumns(g, count));
}

// ---- max pooling -----------------------------------------------------------------------

/** The input padded with `value` (standing for -inf) to the windows' extent, ceil mode included. */
function padForMax(x: tf.Tensor3D, geo: PoolGeometry, value: number): tf.Tensor3D {
  const pads: [number, number][] = [[0, 0], [geo.padding[0], geo.padAfter[0]], [geo.padding[1], geo.padAfter[1]]];
  return pads.every(([a, b]) => a === 0 && b === 0) ? x : tf.pad(x, pads, value);
}

/** Infinities clipped to the largest finite float: the tap convolution multiplies by 0. */
function finite(t: tf.Tensor3D): tf.Tensor3D {
  return tf.clipByValue(t, -FLOAT32_MAX, FLOAT32_MAX);
}

/** Max pooling of `[NC,H,W]` into `[NC,oH,oW]`. */
export function maxPoolForward(x: tf.Tensor3D, geo: PoolGeometry): tf.Tensor3D {
  const out: [number, number, number] = [x.shape[0], ...geo.outSize];
  if (geo.dilation[0] === 1 && geo.dilation[1] === 1) {
    return tf.reshape(tf.maxPool(images(padForMax(x, geo, -Infinity)), geo.kernel, geo.stride, 'valid'), out);
  }
  // tfjs pools have no dilation: take the maximum over the extracted taps.
  const windows = extractWindows(padForMax(finite(x), geo, -FLOAT32_MAX), geo);
  return tf.reshape(tf.max(windows, 1), out);
}

/** Gradient of {@link maxPoolForward}'s input given its output `y` and the output gradient `g`. */
export function maxPoolBackward(x: tf.Tensor3D, y: tf.Tensor3D, g: tf.Tensor3D, geo: PoolGeometry): tf.Tensor3D {
  const nc = x.shape[0];
  if (tiles(geo)) return fromTiles(firstMaximum(toTiles(x, geo), y, g), geo, nc);
  // Input and maximum are clipped alike, so ties with an infinity are kept.
  const windows = extractWindows(padForMax(finite(x), geo, -FLOAT32_MAX), geo);
  return placeWindows(firstMaximum(windows, finite(y), g), tapFilter(geo), geo, nc);
}

// ---- average pooling --------------------------------------------------------------------

/** Options of average pooling that change the divisor. */
export interface AvgDivisor {
  countIncludePad: boolean;
  divisorOverride: number | null;
}

/**
 * Each window's divisor, as PyTorch's avg_pool2d computes it: the window clipped to
 * the padded input (ceil mode's last window can stick out), or to the input alone
 * without `countIncludePad`, or the override. Returns `[oH*oW]` values.
 */
export function avgDivisors(geo: PoolGeometry, options: AvgDivisor): Float32Array {
  const [oh, ow] = geo.outSize;
  const out = new Float32Array(oh * ow);
  const extent = (o: number, a: 0 | 1): [number, number] => {
    const start = o * geo.stride[a] - geo.padding[a];
    const end = Math.min(start + geo.kernel[a], geo.inSize[a] + geo.padding[a]);
    const inside = Math.min(end, geo.inSize[a]) - Math.max(start, 0);
    return [end - start, inside];
  };
  for (let i = 0; i < oh; i++) {
    const [padH, inH] = extent(i, 0);
    for (let j = 0; j < ow; j++) {
      const [padW, inW] = extent(j, 1);
      out[i * ow + j] = options.divisorOverride ?? (options.countIncludePad ? padH * padW : inH * inW);
    }
  }
  return out;
}

/** Window sums (a convolution with a kernel of ones, zero padding) divided by `divisors`. */
export function avgPoolForward(x: tf.Tensor3D, geo: PoolGeometry, divisors: Float32Array): tf.Tensor3D {
  const [oh, ow] = geo.outSize;
  const sums = runConv(images(x), tf.ones([...geo.kernel, 1, 1]), geo.stride, geo.padding, geo.padAfter, [1, 1]);
  return tf.reshape(tf.div(tf.reshape(sums, [-1, oh * ow]), tf.tensor1d(divisors)), [x.shape[0], oh, ow]);
}

/** Gradient of {@link avgPoolForward}'s input: every tap of a window gets `g / divisor`. */
export function avgPoolBackward(g: tf.Tensor3D, geo: PoolGeometry, divisors: Float32Array): tf.Tensor3D {
  const [nc, oh, ow] = g.shape;
  const share = tf.div(tf.reshape(g, [nc, oh * ow]), tf.tensor1d(divisors));
  if (tiles(geo)) return fromTiles(repeatColumns(share, taps(geo)), geo, nc);
  return placeWindows(tf.reshape(share, [-1, 1]), tf.ones([...geo.kernel, 1, 1]), geo, nc);
}
