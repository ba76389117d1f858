/**
 * Kernel-level convolution in PyTorch's NCHW layout on TensorFlow.js' NHWC kernels:
 * the shared pieces (Conv2D through the registry, the transposed operand of an input
 * gradient) and the depthwise convolution with its gradients. Dense convolutions are
 * in conv-dense.ts, the choice between them in conv-dispatch.ts. Every function here
 * takes and returns tfjs tensors and is called inside `tf.tidy` (by `record` or by a
 * backward rule).
 *
 * NOTE (conv gradients on wasm): tfjs-backend-wasm runs Conv2D and
 * DepthwiseConv2dNative on XNNPACK, but has no Conv2DBackpropFilter, and its
 * Conv2DBackpropInput is a plain loop (measured 90-120 ms against 13 ms for the same
 * work as a Conv2D, [64,32,13,13] -> 64 channels). Both gradients are therefore
 * written as forward convolutions or products:
 *
 *   input gradient   the output gradient, with (stride-1) zeros inserted between
 *                    its rows and columns, correlated with the kernel rotated by 180
 *                    degrees (in and out channels swapped), dilation as in forward:
 *
 *                        g  g  g          g 0 g 0 g
 *                        g  g  g   --->   0 0 0 0 0   (*) rot180(W)  ==  dL/dx
 *                                          g 0 g 0 g
 *
 *   weight gradient  dense: a product with the input's patches (conv-dense.ts);
 *                    depthwise: a convolution whose "batch" is the input channels
 *                    and whose "filter" is the output gradient: input [.,H,W,N*C],
 *                    filter [oH,oW,N*C,M], stride = forward dilation, dilation =
 *                    forward stride.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { HW } from './conv-args';

/** Where a convolution's windows fall: everything the kernels need besides the values. */
export interface ConvGeometry {
  /** Input height and width. */
  inSize: HW;
  kernel: HW;
  stride: HW;
  dilation: HW;
  /** Zero padding on top and left. */
  padBefore: HW;
  /** Zero padding on bottom and right (differs from `padBefore` for 'same' with even kernels). */
  padAfter: HW;
  outSize: HW;
  groups: number;
}

const NCHW_TO_NHWC = [0, 2, 3, 1];
const NHWC_TO_NCHW = [0, 3, 1, 2];
/** [N,C,H,W] -> [H,W,N,C]: the layout the weight gradient convolves over. */
const NCHW_TO_HWNC = [2, 3, 0, 1];

function explicitPadding(before: HW, after: HW): tf.backend_util.ExplicitPadding {
  return [[0, 0], [before[0], after[0]], [before[1], after[1]], [0, 0]];
}

/**
 * Conv2D (or FusedConv2D with a bias) through the kernel registry: `tf.conv2d` refuses
 * a stride and a dilation both above 1, which the kernels of every backend compute.
 * Also used by the poolings.
 * @internal
 */
export function runConv(x: tf.Tensor, filter: tf.Tensor, stride: HW, before: HW, after: HW, dilation: HW, bias: tf.Tensor | null = null): tf.Tensor4D {
  const attrs = { strides: stride, pad: explicitPadding(before, after), dataFormat: 'NHWC', dilations: dilation, dimRoundingMode: undefined };
  if (bias === null) return tf.engine().runKernel(tf.Conv2D, { x, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  const fusedAttrs = { ...attrs, activation: 'linear', leakyreluAlpha: 0 };
  return tf.engine().runKernel(tf.FusedConv2D, { x, filter, bias }, fusedAttrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/**
 * DepthwiseConv2dNative with a stride and a dilation both above 1: the cpu backend
 * refuses that pair, so it runs at stride 1 and keeps every stride-th output.
 */
function runDepthwise(x: tf.Tensor, filter: tf.Tensor, stride: HW, before: HW, after: HW, dilation: HW): tf.Tensor4D {
  const both = stride.some((s) => s > 1) && dilation.some((d) => d > 1);
  const attrs = { strides: both ? [1, 1] : stride, pad: explicitPadding(before, after), dilations: dilation, dimRoundingMode: undefined };
  const y = tf.engine().runKernel(tf.DepthwiseConv2dNative, { x, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  if (!both) return y;
  return tf.stridedSlice(y, [0, 0, 0, 0], y.shape, [1, stride[0], stride[1], 1]) as tf.Tensor4D;
}

/** Slices away negative padding (a crop) of NHWC `x`; returns the non-negative rest. */
function cropNegative(x: tf.Tensor4D, before: HW, after: HW): { x: tf.Tensor4D; before: HW; after: HW } {
  if (before.every((p) => p >= 0) && after.every((p) => p >= 0)) return { x, before, after };
  const [n, h, w, c] = x.shape;
  const top = Math.max(0, -before[0]);
  const left = Math.max(0, -before[1]);
  const height = h - top - Math.max(0, -after[0]);
  const width = w - left - Math.max(0, -after[1]);
  const cropped = tf.slice(x, [0, top, left, 0], [n, height, width, c]);
  const clamp = (p: HW): HW => [Math.max(0, p[0]), Math.max(0, p[1])];
  return { x: cropped, before: clamp(before), after: clamp(after) };
}

/**
 * Inserts `stride - 1` zeros after every row and column of NHWC `x` (the trailing
 * ones included: [N,h,w,C] -> [N,h*sh,w*sw,C]). Two rank-4 pads: tfjs-wasm's Pad is
 * fast at rank 4 with a wide last dim, its rank-6 path is not.
 */
function zeroInsert(x: tf.Tensor4D, stride: HW): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const [sh, sw] = stride;
  let y: tf.Tensor = x;
  if (sh > 1) y = tf.reshape(tf.pad(tf.reshape(y, [n * h, 1, w, c]), [[0, 0], [0, sh - 1], [0, 0], [0, 0]]), [n, h * sh, w, c]);
  if (sw > 1) y = tf.reshape(tf.pad(tf.reshape(y, [n * h * sh, w, 1, c]), [[0, 0], [0, 0], [0, sw - 1], [0, 0]]), [n, h * sh, w * sw, c]);
  return y as tf.Tensor4D;
}

/**
 * The zero-inserted output gradient and the padding that makes a stride-1
 * correlation with the rotated kernel produce exactly the input's height and width.
 * @internal
 */
export function transposedOperand(gNhwc: tf.Tensor4D, geo: ConvGeometry): { x: tf.Tensor4D; before: HW; after: HW } {
  const before = [0, 1].map((a) => geo.dilation[a] * (geo.kernel[a] - 1) - geo.padBefore[a]) as HW;
  // zeroInsert leaves out*stride rows; the correlation adds back dilation*(k-1).
  const after = [0, 1].map((a) => geo.inSize[a] + geo.padBefore[a] - geo.outSize[a] * geo.stride[a]) as HW;
  return cropNegative(zeroInsert(gNhwc, geo.stride), before, after);
}

// ---- depthwise (groups = in channels, out channels = multiplier * in) -----------------

/** [C*M,1,kH,kW] -> tfjs' depthwise filter [kH,kW,C,M]. */
function depthwiseFilter(w: tf.Tensor4D, channels: number): tf.Tensor4D {
  const [out, , kh, kw] = w.shape;
  return tf.transpose(tf.reshape(w, [channels, out / channels, kh, kw]), [2, 3, 0, 1]);
}

/** Depthwise forward (groups = Cin): NCHW in and out. @internal */
export function depthwiseForward(x: tf.Tensor4D, w: tf.Tensor4D, bias: tf.Tensor | null, geo: ConvGeometry): tf.Tensor4D {
  let y: tf.Tensor4D = runDepthwise(tf.transpose(x, NCHW_TO_NHWC), depthwiseFilter(w, x.shape[1]), geo.stride, geo.padBefore, geo.padAfter, geo.dilation);
  if (bias !== null) y = tf.add(y, bias);
  return tf.transpose(y, NHWC_TO_NCHW);
}

/** Depthwise input gradient. @internal */
export function depthwiseInputGrad(g: tf.Tensor4D, w: tf.Tensor4D, channels: number, geo: ConvGeometry): tf.Tensor4D {
  const [out, , kh, kw] = w.shape;
  const multiplier = out / channels;
  // Each of the C*M output channels flows back through its own rotated kernel...
  const rotated = tf.reshape(tf.reverse(depthwiseFilter(w, channels), [0, 1]), [kh, kw, out, 1]);
  const op = transposedOperand(tf.transpose(g, NCHW_TO_NHWC), geo);
  let dx: tf.Tensor = runDepthwise(op.x, rotated, [1, 1], op.before, op.after, geo.dilation);
  // ...and the M channels made from one input channel add up.
  if (multiplier > 1) dx = tf.sum(tf.reshape(dx, [...dx.shape.slice(0, 3), channels, multiplier]), 4);
  return tf.transpose(dx as tf.Tensor4D, NHWC_TO_NCHW);
}

/** Depthwise weight gradient. @internal */
export function depthwiseWeightGrad(x: tf.Tensor4D, g: tf.Tensor4D, geo: ConvGeometry): tf.Tensor4D {
  const [n, c, h, w] = x.shape;
  const out = g.shape[1];
  const [oh, ow] = geo.outSize;
  const [kh, kw] = geo.kernel;
  // Every (sample, channel) pair is one depthwise channel; the samples are summed after.
  const xs = tf.reshape(tf.transpose(x, NCHW_TO_HWNC), [1, h, w, n * c]);
  const gs = tf.reshape(tf.transpose(g, NCHW_TO_HWNC), [oh, ow, n * c, out / c]);
  const r = runDepthwise(xs, gs, geo.dilation, geo.padBefore, geo.padAfter, geo.stride); // [1,kH',kW',N*C*M]
  const [, kh2, kw2] = r.shape;
  let dw: tf.Tensor = tf.reshape(tf.sum(tf.reshape(r, [kh2 * kw2, n, out]), 1), [kh2, kw2, out]);
  if (kh2 !== kh || kw2 !== kw) dw = tf.slice(dw, [0, 0, 0], [kh, kw, out]);
  return tf.reshape(tf.transpose(dw, [2, 0, 1]), [out, 1, kh, kw]);
}

/** @internal The bias gradient: the output gradient summed over batch and space (innermost first, cheapest on wasm). */
export function convBiasGrad(g: tf.Tensor4D): tf.Tensor1D {
  const [n, c, h, w] = g.shape;
  return tf.sum(tf.sum(tf.reshape(g, [n, c, h * w]), 2), 0);
}
