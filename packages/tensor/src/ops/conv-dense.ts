/**
 * Dense convolutions (groups = 1) in PyTorch's NCHW layout: the forward and all three
 * gradients, choosing per shape between XNNPACK's NHWC convolution and one matrix
 * product with the input's patches (kernels/im2col.ts).
 *
 * NOTE (dense conv kernels on wasm): XNNPACK's matrix product and its convolution both
 * reach 33-35 GFLOP/s on one core here when the reduction is long, so the choice is
 * decided by what surrounds them: transposes between NCHW and NHWC, building the
 * patches, and XNNPACK packing the right operand of every product (about 4.5 ns a
 * value; tfjs caches the packing per tensor, and a step's operands are all new
 * tensors). Kernel times on the conv bench (batch 64, one thread, CPU ms, loaded
 * machine), tools/bench/conv-step.js with LOOM_BENCH_PROFILE=1:
 *
 *                        before                             now
 *   conv 1->32 forward   NHWC conv 1.9 + transpose 1.8      patches 1.3 + product 1.4 + transpose 1.3
 *   conv 1->32 dW, db    one-hot depthwise patches 0.9 +    g to [C,N,HW] 0.8 + product with the
 *                        transposes 0.8 + product 2.9 +     forward's patches (ones column: db) 3.4
 *                        sums 0.9
 *   conv 32->64 dW, db   swapped conv 13.4 + transposes     patches 1.4 (SIMD copies) + product 10.5
 *                        1.3 + sums 0.3                     (g in NHWC shared with dx)
 *   conv 32->64 forward  NHWC conv 8.5 + transposes 1.1     unchanged but the transposes (0.9)
 *   conv 32->64 dx       transposed conv 11.4 + transposes  unchanged, rotated filter 0.4 -> 0.06
 *                        0.8 + reverse 0.4                  (product 8.1 + col2im ~4 is no faster)
 *
 * Interleaved whole-step runs (CPU time per step, before the SIMD copies): the patch
 * product for conv 32->64's dW saved 2-4 ms over the swapped convolution; for conv
 * 1->32 the product forward plus reused patches and the NHWC convolution plus patches
 * built in the backward tie (62.4 against 62.9 ms).
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchTranspose } from '../kernels/batch-transpose';
import { hasIm2col, im2col, im2colT, type Im2colWindows } from '../kernels/im2col';
import { rotateFilter } from '../kernels/rotate-filter';
import { transpose2d } from '../kernels/transpose';
import { convBiasGrad, runConv, transposedOperand, type ConvGeometry } from './conv-kernels';
import { matMul } from './kernels';

/** NCHW -> NHWC, as `[N, C, H*W] -> [N, H*W, C]`. */
function toNhwc(x: tf.Tensor4D): tf.Tensor4D {
  const [n, c, h, w] = x.shape;
  return tf.reshape(batchTranspose(tf.reshape(x, [n, c, h * w])), [n, h, w, c]);
}

/** NHWC -> NCHW, as `[N, H*W, C] -> [N, C, H*W]`. */
function toNchw(y: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = y.shape;
  return tf.reshape(batchTranspose(tf.reshape(y, [n, h * w, c])), [n, c, h, w]);
}

/**
 * Up to this many weight columns (Cin*kH*kW) the forward is a product with the
 * patches, which the weight gradient then reuses: XNNPACK's convolution runs at 15
 * GFLOP/s with 9 columns (conv 1->32 3x3); from 32 input channels (288 columns) the
 * convolution is as fast as the product and the patches would cost more than it saves.
 */
const PRODUCT_FORWARD_MAX_COLUMNS = 27;

/** Which gradients a backward pass must produce. */
export interface ConvNeeds {
  input: boolean;
  weight: boolean;
  bias: boolean;
}

/** A convolution's input, weight and bias gradients (null where not needed). */
export type ConvGrads = [tf.Tensor | null, tf.Tensor | null, tf.Tensor | null];

function windows(geo: ConvGeometry, ones: boolean): Im2colWindows {
  return { kernel: geo.kernel, stride: geo.stride, dilation: geo.dilation, padBefore: geo.padBefore, outSize: geo.outSize, ones };
}

/**
 * The convolution of NCHW `x` with OIHW `w` (and `bias`) as NCHW, and, when it was made
 * by a product, the patches one output pixel per row (with a ones column when there is
 * a bias), which the weight gradient can reuse.
 */
export function denseForward(x: tf.Tensor4D, w: tf.Tensor4D, bias: tf.Tensor | null, geo: ConvGeometry): [tf.Tensor4D, tf.Tensor2D | null] {
  const [cout, cin, kh, kw] = w.shape;
  const columns = cin * kh * kw;
  if (columns <= PRODUCT_FORWARD_MAX_COLUMNS && hasIm2col()) {
    const cols = im2col(x, windows(geo, bias !== null));
    let wm: tf.Tensor = tf.reshape(w, [cout, columns]);
    if (bias !== null) wm = tf.concat([wm, tf.reshape(bias, [cout, 1])], 1);
    // The small weight is the right operand, which XNNPACK packs on every call.
    const y = tf.reshape(matMul(cols, transpose2d(wm)), [x.shape[0], ...geo.outSize, cout]) as tf.Tensor4D;
    return [toNchw(y), cols];
  }
  const y = runConv(toNhwc(x), tf.transpose(w, [2, 3, 1, 0]), geo.stride, geo.padBefore, geo.padAfter, geo.dilation, bias);
  return [toNchw(y), null];
}

/** dL/dx from the NHWC output gradient: a stride-1 convolution with the rotated kernel (NOTE in conv-kernels.ts). */
function inputGrad(gNhwc: tf.Tensor4D, w: tf.Tensor4D, geo: ConvGeometry): tf.Tensor4D {
  const op = transposedOperand(gNhwc, geo);
  return toNchw(runConv(op.x, rotateFilter(w), [1, 1], op.before, op.after, geo.dilation));
}

/**
 * dW without host kernels (the tensorflow backend): a convolution whose "batch" is the
 * input channels and whose "filter" is the output gradient: input [Cin,H,W,N], filter
 * [oH,oW,N,Cout], stride = forward dilation, dilation = forward stride; the result
 * [Cin,kH,kW,Cout] is dW transposed.
 */
function weightGradBySwappedConv(x: tf.Tensor4D, g: tf.Tensor4D, geo: ConvGeometry): tf.Tensor4D {
  const [kh, kw] = geo.kernel;
  const xs = tf.transpose(x, [1, 2, 3, 0]);
  const gs = tf.transpose(g, [2, 3, 0, 1]);
  let r = runConv(xs, gs, geo.dilation, geo.padBefore, geo.padAfter, geo.stride);
  if (r.shape[1] !== kh || r.shape[2] !== kw) r = tf.slice(r, [0, 0, 0, 0], [r.shape[0], kh, kw, r.shape[3]]);
  return tf.transpose(r, [3, 0, 1, 2]);
}

/**
 * The weight and bias gradients as one product with the patches, contracting over the
 * N*oH*oW output pixels. XNNPACK packs the right operand on every call (about 4.5 ns an
 * element), so the smaller of the patches and the gradient goes there:
 *
 *   few taps (K+1 <= Cout)   g [Cout, N*oH*oW] @ patches [N*oH*oW, K+1]
 *   otherwise                (patches^T [K+1, N*oH*oW] @ g [N*oH*oW, Cout])^T
 *
 * `cols` are the forward's patches (one pixel per row), when it kept them.
 */
function weightAndBiasGrad(x: tf.Tensor4D, g: tf.Tensor4D, gNhwc: () => tf.Tensor4D, w: tf.Tensor4D, geo: ConvGeometry, needs: ConvNeeds, cols: tf.Tensor2D | null): [tf.Tensor | null, tf.Tensor | null] {
  const [cout, cin, kh, kw] = w.shape;
  const columns = cin * kh * kw;
  let grads: tf.Tensor; // [Cout, K(+1)]
  if (columns + 1 <= cout || cols !== null) {
    const [n, , oh, ow] = g.shape;
    const gRows = tf.reshape(tf.transpose(tf.reshape(g, [n, cout, oh * ow]), [1, 0, 2]), [cout, n * oh * ow]);
    grads = matMul(gRows, cols ?? im2col(x, windows(geo, needs.bias)));
  } else {
    grads = transpose2d(matMul(im2colT(x, windows(geo, needs.bias)), tf.reshape(gNhwc(), [-1, cout])));
  }
  const dw = needs.weight ? tf.reshape(tf.slice(grads, [0, 0], [cout, columns]), w.shape) : null;
  const db = needs.bias ? tf.reshape(tf.slice(grads, [0, columns], [cout, 1]), [cout]) : null;
  return [dw, db];
}

/**
 * The gradients of {@link denseForward} from the NCHW output gradient `g`; `cols` are
 * the forward's patches, when it kept them (they hold a ones column when the forward
 * had a bias, so whenever the bias gradient is needed).
 */
export function denseBackward(g: tf.Tensor4D, x: tf.Tensor4D, w: tf.Tensor4D, geo: ConvGeometry, needs: ConvNeeds, cols: tf.Tensor2D | null): ConvGrads {
  // g in NHWC, made once for the input and the weight gradients.
  let nhwc: tf.Tensor4D | null = null;
  const gNhwc = (): tf.Tensor4D => (nhwc ??= toNhwc(g));
  const dx = needs.input ? inputGrad(gNhwc(), w, geo) : null;
  if (!needs.weight) return [dx, null, needs.bias ? convBiasGrad(g) : null];
  if (!hasIm2col()) return [dx, weightGradBySwappedConv(x, g, geo), needs.bias ? convBiasGrad(g) : null];
  return [dx, ...weightAndBiasGrad(x, g, gNhwc, w, geo, needs, cols)];
}
