/**
 * `conv1d` and `conv2d` with PyTorch's arguments, over `@loom/tensor`'s `conv2d`
 * kernel: unbatched inputs, `padding: 'same' | 'valid'` (asymmetric 'same' padding
 * goes on the right, as PyTorch's `_convolution_mode` does), and 1-D convolution as a
 * 2-D one of height 1.
 */
import { ArgumentError, ShapeError, Tensor, cat, zeros, conv2d as convKernel } from '@loom/tensor';
import { asPair, expandSize, checkInt, type SizeN } from './args';

/** Padding: a size per spatial dim (or one for all), or PyTorch's `'same'` / `'valid'`. */
export type Padding = SizeN | 'same' | 'valid';

/** Options of {@link conv1d} and {@link conv2d} (PyTorch's defaults). */
export interface ConvOptions {
  /** Default 1. */
  stride?: SizeN;
  /** Default 0. */
  padding?: Padding;
  /** Default 1. */
  dilation?: SizeN;
  /** Default 1. */
  groups?: number;
}

/** Zero-pads `amount` elements at the end of `dim`. */
function padEnd(x: Tensor, dim: number, amount: number): Tensor {
  if (amount === 0) return x;
  const shape = [...x.shape];
  shape[dim] = amount;
  return cat([x, zeros(shape)], dim);
}

/** Resolves `'same'`/`'valid'` to per-dim padding, right-padding the input where 'same' is odd. */
function resolvePadding(input: Tensor, weight: Tensor, padding: Padding, stride: number[], dilation: number[], op: string): [Tensor, number[]] {
  const n = stride.length;
  if (padding === 'valid') return [input, new Array<number>(n).fill(0)];
  if (padding !== 'same') return [input, expandSize(padding, n, op, 'padding', 0)];
  if (stride.some((s) => s !== 1)) throw new ArgumentError(`${op}: padding='same' is not supported for strided convolutions, got stride ${JSON.stringify(stride)}`);
  let x = input;
  const left: number[] = [];
  for (let i = 0; i < n; i++) {
    const total = (dilation[i] as number) * ((weight.shape[2 + i] as number) - 1);
    left.push(Math.floor(total / 2));
    x = padEnd(x, input.ndim - n + i, total - Math.floor(total / 2) * 2);
  }
  return [x, left];
}

function checkConvShapes(input: Tensor, weight: Tensor, bias: Tensor | null | undefined, groups: number, spatial: number, op: string): void {
  const expectedRank = spatial + 2;
  if (input.ndim !== expectedRank && input.ndim !== expectedRank - 1) {
    throw new ShapeError(`${op}: expected ${expectedRank - 1}-D (unbatched) or ${expectedRank}-D (batched) input, got [${input.shape.join(',')}]`);
  }
  if (weight.ndim !== expectedRank) throw new ShapeError(`${op}: weight must be ${expectedRank}-D [out, in/groups, ...kernel], got [${weight.shape.join(',')}]`);
  const channels = input.shape[input.ndim - spatial - 1] as number;
  const out = weight.shape[0] as number;
  if (channels % groups !== 0 || out % groups !== 0 || channels / groups !== weight.shape[1]) {
    throw new ShapeError(
      `${op}: input [${input.shape.join(',')}] with groups=${groups} does not fit weight [${weight.shape.join(',')}]`,
      `expected input to have ${(weight.shape[1] as number) * groups} channels, and out channels divisible by groups`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== out)) throw new ShapeError(`${op}: bias must have shape [${out}], got [${bias.shape.join(',')}]`);
}

/**
 * 2-D convolution (cross-correlation, as PyTorch's `F.conv2d`) of `[N, C, H, W]` or
 * `[C, H, W]` input with weight `[O, C/groups, kh, kw]`.
 *
 * @example
 * ```ts
 * conv2d(x, w, b, { stride: 1, padding: 1 });
 * conv2d(x, w, null, { padding: 'same', dilation: 2 });
 * ```
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  const groups = checkInt(options.groups ?? 1, 'conv2d', 'groups');
  checkConvShapes(input, weight, bias, groups, 2, 'conv2d');
  const stride = expandSize(options.stride ?? 1, 2, 'conv2d', 'stride');
  const dilation = expandSize(options.dilation ?? 1, 2, 'conv2d', 'dilation');
  const batched = input.ndim === 4 ? input : input.unsqueeze(0);
  const [padded, padding] = resolvePadding(batched, weight, options.padding ?? 0, stride, dilation, 'conv2d');
  const out = convKernel(padded, weight, bias ?? undefined, { stride: asPair(stride), padding: asPair(padding), dilation: asPair(dilation), groups });
  return input.ndim === 4 ? out : out.squeeze(0);
}

/**
 * 1-D convolution of `[N, C, L]` or `[C, L]` input with weight `[O, C/groups, k]`
 * (PyTorch's `F.conv1d`), computed as a 2-D convolution of height 1.
 *
 * @example
 * ```ts
 * conv1d(signal, w, b, { padding: 1 });
 * ```
 */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  const groups = checkInt(options.groups ?? 1, 'conv1d', 'groups');
  checkConvShapes(input, weight, bias, groups, 1, 'conv1d');
  const stride = expandSize(options.stride ?? 1, 1, 'conv1d', 'stride');
  const dilation = expandSize(options.dilation ?? 1, 1, 'conv1d', 'dilation');
  const batched = input.ndim === 3 ? input : input.unsqueeze(0);
  const [padded, padding] = resolvePadding(batched, weight, options.padding ?? 0, stride, dilation, 'conv1d');
  const out = convKernel(padded.unsqueeze(2), weight.unsqueeze(2), bias ?? undefined, {
    stride: [1, stride[0] as number],
    padding: [0, padding[0] as number],
    dilation: [1, dilation[0] as number],
    groups,
  }).squeeze(2);
  return input.ndim === 3 ? out : out.squeeze(0);
}
