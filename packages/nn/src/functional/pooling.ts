/**
 * 2-D pooling with PyTorch's arguments over `@loom/tensor`'s kernels, accepting
 * unbatched `[C, H, W]` input as PyTorch does.
 */
import {
  ShapeError,
  Tensor,
  adaptiveAvgPool2d as adaptiveAvgKernel,
  avgPool2d as avgKernel,
  maxPool2d as maxKernel,
} from '@loom/tensor';
import { asPair, expandSize, type SizeN } from './args';

/** Options of {@link maxPool2d} (PyTorch's defaults). */
export interface MaxPool2dOptions {
  /** Default: `kernelSize`. */
  stride?: SizeN | null;
  /** Implicit -inf padding on both sides (default 0). */
  padding?: SizeN;
  /** Default 1. */
  dilation?: SizeN;
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
}

/** Options of {@link avgPool2d} (PyTorch's defaults). */
export interface AvgPool2dOptions {
  /** Default: `kernelSize`. */
  stride?: SizeN | null;
  /** Implicit zero padding on both sides (default 0). */
  padding?: SizeN;
  /** Default false. */
  ceilMode?: boolean;
  /** Count the zero padding in the average (default true). */
  countIncludePad?: boolean;
  /** Divide by this instead of the window size. */
  divisorOverride?: number | null;
}

function batched(input: Tensor, op: string): Tensor {
  if (input.ndim === 4) return input;
  if (input.ndim === 3) return input.unsqueeze(0);
  throw new ShapeError(`${op}: expected 3-D (unbatched) or 4-D (batched) input [N, C, H, W], got [${input.shape.join(',')}]`);
}

function unbatched(out: Tensor, input: Tensor): Tensor {
  return input.ndim === 4 ? out : out.squeeze(0);
}

/**
 * Max over `kernelSize` windows (PyTorch's `F.max_pool2d`).
 *
 * @example
 * ```ts
 * maxPool2d(x, 2); // [64,32,26,26] -> [64,32,13,13]
 * ```
 */
export function maxPool2d(input: Tensor, kernelSize: SizeN, options: MaxPool2dOptions = {}): Tensor {
  const kernel = expandSize(kernelSize, 2, 'maxPool2d', 'kernelSize');
  const out = maxKernel(batched(input, 'maxPool2d'), asPair(kernel), {
    stride: asPair(expandSize(options.stride ?? kernel, 2, 'maxPool2d', 'stride')),
    padding: asPair(expandSize(options.padding ?? 0, 2, 'maxPool2d', 'padding', 0)),
    dilation: asPair(expandSize(options.dilation ?? 1, 2, 'maxPool2d', 'dilation')),
    ceilMode: options.ceilMode ?? false,
  });
  return unbatched(out, input);
}

/**
 * Mean over `kernelSize` windows (PyTorch's `F.avg_pool2d`).
 *
 * @example
 * ```ts
 * avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false });
 * ```
 */
export function avgPool2d(input: Tensor, kernelSize: SizeN, options: AvgPool2dOptions = {}): Tensor {
  const kernel = expandSize(kernelSize, 2, 'avgPool2d', 'kernelSize');
  const out = avgKernel(batched(input, 'avgPool2d'), asPair(kernel), {
    stride: asPair(expandSize(options.stride ?? kernel, 2, 'avgPool2d', 'stride')),
    padding: asPair(expandSize(options.padding ?? 0, 2, 'avgPool2d', 'padding', 0)),
    ceilMode: options.ceilMode ?? false,
    countIncludePad: options.countIncludePad ?? true,
    divisorOverride: options.divisorOverride ?? undefined,
  });
  return unbatched(out, input);
}

/** An adaptive output size: one for both dims, or one per dim where `null` keeps the input's. */
export type AdaptiveSize = number | readonly [number | null, number | null];

/**
 * Mean over windows chosen so that the output is `outputSize` (PyTorch's
 * `F.adaptive_avg_pool2d`).
 *
 * @example
 * ```ts
 * adaptiveAvgPool2d(features, 1); // global average pooling: [N, C, 1, 1]
 * ```
 */
export function adaptiveAvgPool2d(input: Tensor, outputSize: AdaptiveSize): Tensor {
  const x = batched(input, 'adaptiveAvgPool2d');
  const given = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
  const size = given.map((s, i) => s ?? (x.shape[2 + i] as number));
  const out = adaptiveAvgKernel(x, expandSize(size, 2, 'adaptiveAvgPool2d', 'outputSize') as [number, number]);
  return unbatched(out, input);
}
