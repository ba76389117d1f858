/**
 * Argument handling shared by the convolutions and the poolings: `(h, w)` pairs,
 * PyTorch's output-size rules, and the checks that name the op, the argument and the
 * shapes when something does not fit.
 */
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors';
import type { Tensor } from '../tensor';

/** A size given once for both spatial dims, or as `[height, width]` (PyTorch's `_pair`). */
export type Pair = number | [number, number];

/** A resolved `[height, width]` pair. @internal */
export type HW = [number, number];

/** What a checked pair must be at least: 1 for sizes, strides and dilations, 0 for padding. */
type Minimum = 0 | 1;

/**
 * Resolves a `Pair` argument, or `fallback` when it is undefined.
 * @internal
 */
export function pair(value: unknown, fallback: HW | undefined, op: string, arg: string, min: Minimum): HW {
  if (value === undefined && fallback !== undefined) return [...fallback];
  const list = typeof value === 'number' ? [value, value] : value;
  const ok =
    Array.isArray(list) &&
    list.length === 2 &&
    list.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= min);
  if (!ok) {
    const what = min === 0 ? 'a non-negative integer' : 'a positive integer';
    throw new ArgumentError(`${op}: ${arg} must be ${what} or a pair of them, got ${JSON.stringify(value)}`);
  }
  return [list[0], list[1]] as HW;
}

/**
 * Views an argument of a 1-D op as the width of a 2-D one (height 1, or `heightValue`
 * for padding and offsets).
 * @internal
 */
export function widthOnly(value: unknown, heightValue: number, op: string, arg: string, min: Minimum): Pair | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    const what = min === 0 ? 'a non-negative integer' : 'a positive integer';
    throw new ArgumentError(`${op}: ${arg} must be ${what}, got ${JSON.stringify(value)}`);
  }
  return [heightValue, value];
}

/** Checks that a spatial op gets float32 values (the conv and pool kernels have no others). @internal */
export function expectFloat(x: Tensor, op: string, arg: string): void {
  if (x.dtype !== 'float32') {
    throw new DTypeError(`${op}: expected a float32 ${arg}, got ${x.dtype} ${formatShape(x.shape)}`, `convert it first: ${arg}.float()`);
  }
}

/**
 * Checks the input rank of a spatial op: `batched` dims, or one fewer for an unbatched
 * input (PyTorch accepts both). Returns whether a batch dim must be added.
 * @internal
 */
export function checkInputRank(x: Tensor, op: string, layout: readonly string[]): boolean {
  const batched = layout.length;
  if (x.ndim === batched) return false;
  if (x.ndim === batched - 1) return true;
  throw new ShapeError(
    `${op}: expected input with ${batched} dims [${layout.join(',')}], got ${formatShape(x.shape)}`,
    `an unbatched input with ${batched - 1} dims [${layout.slice(1).join(',')}] is accepted too`,
  );
}

/**
 * Output length of a convolution along one dim (PyTorch's formula):
 * `floor((in + before + after - dilation*(k-1) - 1) / stride) + 1`.
 * @internal
 */
export function convOutputLength(input: number, kernel: number, stride: number, before: number, after: number, dilation: number): number {
  return Math.floor((input + before + after - dilation * (kernel - 1) - 1) / stride) + 1;
}

/**
 * Output length of a pooling along one dim, PyTorch's `pooling_output_shape`: with
 * `ceilMode` the division rounds up, but the last window must start inside the input
 * or the left padding.
 * @internal
 */
export function poolOutputLength(input: number, kernel: number, stride: number, pad: number, dilation: number, ceilMode: boolean): number {
  const span = input + 2 * pad - dilation * (kernel - 1) - 1;
  let out = Math.floor((span + (ceilMode ? stride - 1 : 0)) / stride) + 1;
  if (ceilMode && (out - 1) * stride >= input + pad) out--;
  return out;
}

/**
 * Formats a pair as `[h,w]` for messages, or as a single number when the op is 1-D.
 * @internal
 */
export function show(values: HW, oneD: boolean): string {
  return oneD ? String(values[1]) : formatShape(values);
}
