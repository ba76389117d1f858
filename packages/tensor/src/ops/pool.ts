/**
 * Poolings in PyTorch's layout: `maxPool2d avgPool2d adaptiveAvgPool2d` on `[N,C,H,W]`
 * (or unbatched `[C,H,W]`), and `maxPool1d avgPool1d` on `[N,C,L]` as poolings of
 * height 1. The kernels and gradients live in `pool-kernels.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { record } from '../autograd/record';
import { ArgumentError, ShapeError, formatShape } from '../errors';
import { hasMaxPoolWithIndices, maxPoolGrad, maxPoolWithIndices } from '../kernels/max-pool';
import type { Tensor } from '../tensor';
import { checkInputRank, expectFloat, pair, poolOutputLength, show, widthOnly, type HW, type Pair } from './conv-args';
import { expectTensor } from './operand';
import {
  avgDivisors, avgPoolBackward, avgPoolForward, maxPoolBackward, maxPoolForward, padAfterFor, type PoolGeometry,
} from './pool-kernels';
import { reshape } from './shape-ops';

/** Options of {@link maxPool2d}, with PyTorch's defaults. */
export interface MaxPool2dOptions {
  /** Step between windows (default: `kernelSize`). */
  stride?: Pair;
  /** Implicit -inf added on each side, at most half the kernel (default 0). */
  padding?: Pair;
  /** Spacing between window taps (default 1). */
  dilation?: Pair;
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
}

/** Options of {@link avgPool2d}, with PyTorch's defaults. */
export interface AvgPool2dOptions {
  /** Step between windows (default: `kernelSize`). */
  stride?: Pair;
  /** Zeros added on each side, at most half the kernel (default 0). */
  padding?: Pair;
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
  /** Count the padding zeros in the divisor (default true). */
  countIncludePad?: boolean;
  /** Divide every window sum by this number instead. */
  divisorOverride?: number;
}

/** Options of {@link maxPool1d}. */
export interface MaxPool1dOptions {
  stride?: number;
  padding?: number;
  dilation?: number;
  ceilMode?: boolean;
}

/** Options of {@link avgPool1d}. */
export interface AvgPool1dOptions {
  stride?: number;
  padding?: number;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

interface Spelling {
  op: string;
  oneD: boolean;
  layout: readonly string[];
}

const LAYOUT_2D = ['N', 'C', 'H', 'W'];

/** The pooling's input as 4-D, remembering how to shape the output back. */
function lift(input: unknown, spelling: Spelling): { x4: Tensor; shown: readonly number[]; unlift: (y: Tensor) => Tensor } {
  const x = expectTensor(input, spelling.op, 'input');
  const unbatched = checkInputRank(x, spelling.op, spelling.layout);
  expectFloat(x, spelling.op, 'input');
  if (x.shape.some((d) => d === 0)) throw new ShapeError(`${spelling.op}: expected an input without empty dims, got ${formatShape(x.shape)}`);
  const batchShape = unbatched ? [1, ...x.shape] : [...x.shape];
  const shape4 = spelling.oneD ? [batchShape[0] as number, batchShape[1] as number, 1, batchShape[2] as number] : batchShape;
  const x4 = shape4.length === x.ndim && !spelling.oneD ? x : reshape(x, shape4);
  const unlift = (y: Tensor): Tensor => {
    const [n, c, oh, ow] = y.shape as [number, number, number, number];
    const spatial = spelling.oneD ? [ow] : [oh, ow];
    const out = unbatched ? [c, ...spatial] : [n, c, ...spatial];
    return out.length === 4 ? y : reshape(y, out);
  };
  return { x4, shown: x.shape, unlift };
}

/** Checks the window arguments as PyTorch does and works out the geometry. */
function plan(
  x4: Tensor,
  shown: readonly number[],
  spelling: Spelling,
  args: { kernelSize: unknown; stride?: unknown; padding?: unknown; dilation?: unknown; ceilMode: boolean },
): PoolGeometry {
  const { op, oneD } = spelling;
  const kernel = pair(args.kernelSize, undefined, op, 'kernelSize', 1);
  const stride = pair(args.stride, kernel, op, 'stride', 1);
  const padding = pair(args.padding, [0, 0], op, 'padding', 0);
  const dilation = pair(args.dilation, [1, 1], op, 'dilation', 1);
  if ([0, 1].some((a) => padding[a] > Math.floor(kernel[a] / 2))) {
    throw new ArgumentError(
      `${op}: padding should be at most half of the kernel size, got padding ${show(padding, oneD)} for kernelSize ${show(kernel, oneD)}`,
      'pad the input explicitly first if you need more',
    );
  }
  const inSize: HW = [x4.shape[2] as number, x4.shape[3] as number];
  const outSize = [0, 1].map((a) => poolOutputLength(inSize[a], kernel[a], stride[a], padding[a], dilation[a], args.ceilMode)) as HW;
  if (outSize[0] < 1 || outSize[1] < 1) {
    throw new ShapeError(
      `${op}: output size is too small: input ${formatShape(shown)} with kernelSize ${show(kernel, oneD)}, stride ${show(stride, oneD)}, padding ${show(padding, oneD)} and dilation ${show(dilation, oneD)} gives ${show(outSize, oneD)}`,
      'use a smaller kernel or a larger input',
    );
  }
  const padAfter = [0, 1].map((a) => padAfterFor(inSize[a], kernel[a], stride[a], padding[a], dilation[a], outSize[a])) as HW;
  return { inSize, kernel, stride, dilation, padding, padAfter, outSize };
}

/** `[N,C,H,W]` as the `[N*C,H,W]` the pool kernels take. */
function channelsAsImages(t: tf.Tensor, shape: readonly number[]): tf.Tensor3D {
  const [n, c, h, w] = shape as [number, number, number, number];
  return tf.reshape(t, [n * c, h, w]);
}

function maxPool(input: unknown, kernelSize: unknown, options: MaxPool2dOptions | MaxPool1dOptions, spelling: Spelling, lifted: MaxPool2dOptions): Tensor {
  const { x4, shown, unlift } = lift(input, spelling);
  const geo = plan(x4, shown, spelling, { kernelSize, ...lifted, ceilMode: options.ceilMode ?? false });
  const [n, c] = x4.shape as [number, number];
  const outShape = [n, c, ...geo.outSize];
  const xv = x4.value(spelling.op);
  if (hasMaxPoolWithIndices()) {
    // The indices are all the backward needs: neither the input nor the output is kept.
    const [value, indices] = tf.tidy(() => {
      const [y3, at] = maxPoolWithIndices(channelsAsImages(xv, x4.shape), geo);
      return [tf.reshape(y3, outShape), at];
    });
    const y = record('maxPool2d', value, [x4], () => (g) => {
      const dx = maxPoolGrad(channelsAsImages(g, outShape), indices as tf.Tensor3D, geo.inSize);
      return [tf.reshape(dx, x4.shape as number[])];
    }, { owned: [indices as tf.Tensor] });
    return unlift(y);
  }
  const value = tf.tidy(() => tf.reshape(maxPoolForward(channelsAsImages(xv, x4.shape), geo), outShape));
  const y = record('maxPool2d', value, [x4], () => (g, out) => {
    const dx = maxPoolBackward(channelsAsImages(xv, x4.shape), channelsAsImages(out, outShape), channelsAsImages(g, outShape), geo);
    return [tf.reshape(dx, x4.shape as number[])];
  }, { saved: [x4], saveOutput: true });
  return unlift(y);
}

function avgPool(input: unknown, kernelSize: unknown, options: AvgPool2dOptions, spelling: Spelling, lifted: MaxPool2dOptions): Tensor {
  const { x4, shown, unlift } = lift(input, spelling);
  const geo = plan(x4, shown, spelling, { kernelSize, ...lifted, dilation: undefined, ceilMode: options.ceilMode ?? false });
  const override = options.divisorOverride ?? null;
  if (override !== null && (typeof override !== 'number' || !Number.isFinite(override) || override === 0)) {
    throw new ArgumentError(`${spelling.op}: divisorOverride must be a non-zero number, got ${JSON.stringify(override)}`);
  }
  const divisors = avgDivisors(geo, { countIncludePad: options.countIncludePad ?? true, divisorOverride: override });
  const [n, c] = x4.shape as [number, number];
  const outShape = [n, c, ...geo.outSize];
  const xv = x4.value(spelling.op);
  const value = tf.tidy(() => tf.reshape(avgPoolForward(channelsAsImages(xv, x4.shape), geo, divisors), outShape));
  const y = record('avgPool2d', value, [x4], () => (g) => {
    const dx = avgPoolBackward(channelsAsImages(g, outShape), geo, divisors);
    return [tf.reshape(dx, x4.shape as number[])];
  });
  return unlift(y);
}

const MAX_POOL_2D: Spelling = { op: 'maxPool2d', oneD: false, layout: LAYOUT_2D };
const AVG_POOL_2D: Spelling = { op: 'avgPool2d', oneD: false, layout: LAYOUT_2D };
const MAX_POOL_1D: Spelling = { op: 'maxPool1d', oneD: true, layout: ['N', 'C', 'L'] };
const AVG_POOL_1D: Spelling = { op: 'avgPool1d', oneD: true, layout: ['N', 'C', 'L'] };

/**
 * 2-D max pooling (PyTorch's `F.max_pool2d`) over `[N,C,H,W]` or `[C,H,W]`. The
 * gradient goes to the first maximum of each window, as in PyTorch.
 *
 * @example
 * ```ts
 * maxPool2d(x, 2).shape;                             // [64,32,26,26] -> [64,32,13,13]
 * maxPool2d(x, 3, { stride: 2, padding: 1 }).shape;  // [64,32,26,26] -> [64,32,13,13]
 * ```
 */
export function maxPool2d(input: Tensor, kernelSize: Pair, options: MaxPool2dOptions = {}): Tensor {
  return maxPool(input, kernelSize, options, MAX_POOL_2D, options);
}

/**
 * 2-D average pooling (PyTorch's `F.avg_pool2d`) over `[N,C,H,W]` or `[C,H,W]`.
 *
 * @example
 * ```ts
 * avgPool2d(x, 2).shape; // [8,3,32,32] -> [8,3,16,16]
 * avgPool2d(x, 3, { stride: 1, padding: 1, countIncludePad: false });
 * ```
 */
export function avgPool2d(input: Tensor, kernelSize: Pair, options: AvgPool2dOptions = {}): Tensor {
  return avgPool(input, kernelSize, options, AVG_POOL_2D, options);
}

/**
 * A 1-D pooling's kernel and options as the 2-D ones over a height of 1 (each value
 * checked and named by `op`); avgPool ignores the dilation, which 1-D average pooling
 * does not take.
 */
function liftTo2d(op: string, kernelSize: number, options: { stride?: number; padding?: number; dilation?: number }): [Pair | undefined, MaxPool2dOptions] {
  const kernel = widthOnly(kernelSize, 1, op, 'kernelSize', 1);
  return [
    kernel,
    {
      stride: widthOnly(options.stride ?? kernelSize, 1, op, 'stride', 1),
      padding: widthOnly(options.padding, 0, op, 'padding', 0),
      dilation: widthOnly(options.dilation, 1, op, 'dilation', 1),
    },
  ];
}

/**
 * 1-D max pooling (PyTorch's `F.max_pool1d`) over `[N,C,L]` or `[C,L]`.
 *
 * @example
 * ```ts
 * maxPool1d(signal, 3, { stride: 2, padding: 1 }); // [8,4,100] -> [8,4,50]
 * ```
 */
export function maxPool1d(input: Tensor, kernelSize: number, options: MaxPool1dOptions = {}): Tensor {
  const [kernel, lifted] = liftTo2d(MAX_POOL_1D.op, kernelSize, options);
  return maxPool(input, kernel, options, MAX_POOL_1D, lifted);
}

/**
 * 1-D average pooling (PyTorch's `F.avg_pool1d`) over `[N,C,L]` or `[C,L]`.
 *
 * @example
 * ```ts
 * avgPool1d(signal, 4); // [8,4,100] -> [8,4,25]
 * ```
 */
export function avgPool1d(input: Tensor, kernelSize: number, options: AvgPool1dOptions = {}): Tensor {
  const [kernel, lifted] = liftTo2d(AVG_POOL_1D.op, kernelSize, options);
  return avgPool(input, kernel, options, AVG_POOL_1D, lifted);
}
