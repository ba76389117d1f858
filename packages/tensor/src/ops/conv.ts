/**
 * Convolutions in PyTorch's layout: `conv2d` on `[N,C,H,W]` with `[Cout,Cin/groups,kH,kW]`
 * weights, and `conv1d` on `[N,C,L]` as a convolution of height 1. The kernels and
 * their gradients live in `conv-kernels.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { record } from '../autograd/record';
import { ArgumentError, ShapeError, formatShape } from '../errors';
import type { Tensor } from '../tensor';
import { checkInputRank, convOutputLength, expectFloat, pair, show, widthOnly, type HW, type Pair } from './conv-args';
import { convBackward, convForward } from './conv-dispatch';
import type { ConvGeometry } from './conv-kernels';
import { expectTensor } from './operand';
import { reshape } from './shape-ops';

/** Options of {@link conv2d}, with PyTorch's defaults. */
export interface Conv2dOptions {
  /** Step between windows (default 1). */
  stride?: Pair;
  /** Zeros added on each side, or `'valid'` (none) or `'same'` (output as large as the input, stride 1 only). Default 0. */
  padding?: Pair | 'valid' | 'same';
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Channel groups: input and output channels are split in `groups` independent parts (default 1). */
  groups?: number;
}

/** Options of {@link conv1d}, with PyTorch's defaults. */
export interface Conv1dOptions {
  stride?: number;
  padding?: number | 'valid' | 'same';
  dilation?: number;
  groups?: number;
}

/** How an op's arguments map to a 2-D convolution. */
interface Spelling {
  op: string;
  oneD: boolean;
  /** Dims of a batched input, for messages: `[N,C,H,W]`. */
  inputLayout: readonly string[];
  weightLayout: string;
}

const CONV2D: Spelling = { op: 'conv2d', oneD: false, inputLayout: ['N', 'C', 'H', 'W'], weightLayout: '[Cout,Cin/groups,kH,kW]' };
const CONV1D: Spelling = { op: 'conv1d', oneD: true, inputLayout: ['N', 'C', 'L'], weightLayout: '[Cout,Cin/groups,k]' };

/** 'same' padding as PyTorch splits it: the odd unit goes after (bottom, right). */
function samePadding(kernel: HW, dilation: HW): { before: HW; after: HW } {
  const total: HW = [dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)];
  const before: HW = [Math.floor(total[0] / 2), Math.floor(total[1] / 2)];
  return { before, after: [total[0] - before[0], total[1] - before[1]] };
}

function checkGroups(groups: unknown, spelling: Spelling): number {
  if (typeof groups !== 'number' || !Number.isInteger(groups) || groups < 1) {
    throw new ArgumentError(`${spelling.op}: groups must be a positive integer, got ${JSON.stringify(groups)}`);
  }
  return groups;
}

/**
 * Checks the arguments the way PyTorch does (each case with its own message) and
 * works out the geometry. `x` and `w` are already 4-D (batch and height added).
 */
function plan(x: Tensor, w: Tensor, bias: Tensor | null, shown: { input: readonly number[]; weight: readonly number[] }, options: Conv2dOptions, spelling: Spelling): ConvGeometry {
  const { op, oneD } = spelling;
  const groups = checkGroups(options.groups ?? 1, spelling);
  const [outChannels, perGroup, kh, kw] = w.shape as [number, number, number, number];
  const inChannels = x.shape[1] as number;
  if (outChannels % groups !== 0) {
    throw new ShapeError(`${op}: weight ${formatShape(shown.weight)} has ${outChannels} output channels, which groups ${groups} does not divide`);
  }
  if (perGroup * groups !== inChannels) {
    throw new ShapeError(
      `${op}: weight ${formatShape(shown.weight)} expects ${perGroup} input channels (x groups ${groups}), input has ${inChannels}: input is ${formatShape(shown.input)}`,
      'the weight is [Cout, Cin/groups, ...]: check in_channels of the layer against the channels the input carries',
    );
  }
  if (bias !== null) {
    expectFloat(bias, op, 'bias');
    if (bias.ndim !== 1 || bias.shape[0] !== outChannels) {
      throw new ShapeError(`${op}: bias must have shape [${outChannels}] (one value per output channel), got ${formatShape(bias.shape)}`);
    }
  }
  const kernel: HW = [kh, kw];
  const stride = pair(options.stride, [1, 1], op, 'stride', 1);
  const dilation = pair(options.dilation, [1, 1], op, 'dilation', 1);
  let before: HW;
  let after: HW;
  if (options.padding === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) {
      throw new ArgumentError(`${op}: padding='same' is not supported for strided convolutions (stride ${show(stride, oneD)})`, "use padding='valid' or a number");
    }
    ({ before, after } = samePadding(kernel, dilation));
  } else if (options.padding === 'valid') {
    before = [0, 0];
    after = [0, 0];
  } else {
    before = pair(options.padding, [0, 0], op, 'padding', 0);
    after = before;
  }
  const inSize: HW = [x.shape[2] as number, x.shape[3] as number];
  const padded = [0, 1].map((a) => inSize[a] + before[a] + after[a]) as HW;
  const reach = [0, 1].map((a) => dilation[a] * (kernel[a] - 1) + 1) as HW;
  if (reach[0] > padded[0] || reach[1] > padded[1]) {
    throw new ShapeError(
      `${op}: kernel ${show(kernel, oneD)} with dilation ${show(dilation, oneD)} spans ${show(reach, oneD)}, more than the padded input ${show(padded, oneD)}: input is ${formatShape(shown.input)}`,
      'use a smaller kernel or dilation, more padding, or a larger input',
    );
  }
  const outSize = [0, 1].map((a) => convOutputLength(inSize[a], kernel[a], stride[a], before[a], after[a], dilation[a])) as HW;
  return { inSize, kernel, stride, dilation, padBefore: before, padAfter: after, outSize, groups };
}

/** The recorded op, on 4-D operands. */
function convolve(x: Tensor, w: Tensor, bias: Tensor | null, geo: ConvGeometry): Tensor {
  const xv = x.value('conv2d') as tf.Tensor4D;
  const wv = w.value('conv2d') as tf.Tensor4D;
  const bv = bias === null ? null : bias.value('conv2d');
  const [value, patches = null] = tf.tidy(() => {
    const [y, reusable] = convForward(xv, wv, bv, geo);
    return reusable === null ? [y] : [y, reusable];
  }) as [tf.Tensor4D, tf.Tensor2D?];
  const inputs = bias === null ? [x, w] : [x, w, bias];
  // Only what a needed gradient reads is kept alive: dx reads the weight, dW the input
  // (or the forward's patches of it).
  const keepPatches = patches !== null && w.requiresGrad;
  if (patches !== null && !keepPatches) patches.dispose();
  const saved = [...(x.requiresGrad ? [w] : []), ...(w.requiresGrad && !keepPatches ? [x] : [])];
  return record('conv2d', value, inputs, () => (grad) => {
    const needs = { input: x.requiresGrad, weight: w.requiresGrad, bias: bias?.requiresGrad ?? false };
    const grads: (tf.Tensor | null)[] = convBackward(grad as tf.Tensor4D, xv, wv, geo, needs, keepPatches ? patches : null);
    return bias === null ? grads.slice(0, 2) : grads;
  }, { saved, owned: keepPatches ? [patches] : [] });
}

function checkOperands(input: unknown, weight: unknown, bias: unknown, spelling: Spelling): { x: Tensor; w: Tensor; b: Tensor | null; unbatched: boolean } {
  const { op, inputLayout, weightLayout } = spelling;
  const x = expectTensor(input, op, 'input');
  const w = expectTensor(weight, op, 'weight');
  const b = bias === undefined || bias === null ? null : expectTensor(bias, op, 'bias');
  if (w.ndim !== inputLayout.length) {
    throw new ShapeError(`${op}: expected weight with ${inputLayout.length} dims ${weightLayout}, got ${formatShape(w.shape)}`);
  }
  const unbatched = checkInputRank(x, op, inputLayout);
  expectFloat(x, op, 'input');
  expectFloat(w, op, 'weight');
  return { x, w, b, unbatched };
}

/**
 * 2-D convolution (PyTorch's `F.conv2d`): input `[N,Cin,H,W]` (or unbatched
 * `[Cin,H,W]`), weight `[Cout,Cin/groups,kH,kW]`, optional bias `[Cout]`; the output
 * is `[N,Cout,oH,oW]` with `oH = floor((H + 2*padding - dilation*(kH-1) - 1)/stride) + 1`.
 *
 * @example
 * ```ts
 * const x = randn([64, 1, 28, 28]);
 * const w = randn([32, 1, 3, 3], { requiresGrad: true });
 * conv2d(x, w, null, { padding: 1 }).shape; // [64, 32, 28, 28]
 * conv2d(x, w, null, { stride: 2 }).shape;  // [64, 32, 13, 13]
 * ```
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const { x, w, b, unbatched } = checkOperands(input, weight, bias, CONV2D);
  const x4 = unbatched ? reshape(x, [1, ...x.shape]) : x;
  const geo = plan(x4, w, b, { input: x.shape, weight: w.shape }, options, CONV2D);
  const y = convolve(x4, w, b, geo);
  return unbatched ? reshape(y, y.shape.slice(1)) : y;
}

/**
 * 1-D convolution (PyTorch's `F.conv1d`): input `[N,Cin,L]` (or unbatched `[Cin,L]`),
 * weight `[Cout,Cin/groups,k]`, optional bias `[Cout]`; computed as a 2-D convolution
 * of height 1.
 *
 * @example
 * ```ts
 * const signal = randn([8, 2, 100]);
 * conv1d(signal, randn([4, 2, 5]), null, { stride: 2, padding: 2 }).shape; // [8, 4, 50]
 * ```
 */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv1dOptions = {}): Tensor {
  const { x, w, b, unbatched } = checkOperands(input, weight, bias, CONV1D);
  const [n, c, l] = unbatched ? [1, x.shape[0] as number, x.shape[1] as number] : (x.shape as [number, number, number]);
  const x4 = reshape(x, [n, c, 1, l]);
  const w4 = reshape(w, [w.shape[0] as number, w.shape[1] as number, 1, w.shape[2] as number]);
  const padding = options.padding === 'same' || options.padding === 'valid' ? options.padding : widthOnly(options.padding, 0, 'conv1d', 'padding', 0);
  const options2d: Conv2dOptions = {
    stride: widthOnly(options.stride, 1, 'conv1d', 'stride', 1),
    padding,
    dilation: widthOnly(options.dilation, 1, 'conv1d', 'dilation', 1),
    groups: options.groups,
  };
  const geo = plan(x4, w4, b, { input: x.shape, weight: w.shape }, options2d, CONV1D);
  const y = convolve(x4, w4, b, geo);
  const [, cout, , ol] = y.shape as [number, number, number, number];
  return reshape(y, unbatched ? [cout, ol] : [n, cout, ol]);
}
